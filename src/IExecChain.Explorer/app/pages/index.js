// Every page of the explorer, in matching order (the first whose `path` matches the hash wins) and
// in nav order for those with `nav: true`. A page module exports:
//   { path: RegExp, title: string, nav: boolean, href?: string (nav target; default: the path's literal start),
//     async render(el, match, ctx) → optional dispose function }
import dashboard from './dashboard.js';

export default [dashboard];
