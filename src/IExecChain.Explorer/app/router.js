// Hash routing: `#/block/12` is matched against each page's `path` (location.hash without '#'), in
// the order of pages/index.js; the first match renders into <main>. A page's render(el, match, ctx)
// may return a dispose function, called when the user leaves the page.
import { h, replace } from './dom.js';

/** The nav href of a page: its `href`, else the literal start of its path pattern (/^\/blocks(…)?$/ → '/blocks'). */
export function pageHref(page) {
  if (page.href) return page.href;
  const source = page.path.source.replace(/^\^/, '');
  let literal = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const next = source[i + 1];
      if (next === undefined || /[A-Za-z0-9]/.test(next)) break; // \d, \w …: a class, not a character
      literal += next;
      i++;
    } else if ('()[]{}?*+|.$^'.includes(c)) {
      break;
    } else {
      literal += c;
    }
  }
  return literal || '/';
}

export function currentPath(location = window.location) {
  const path = location.hash.replace(/^#/, '');
  return path.startsWith('/') ? path : '/';
}

export function createRouter({ pages, main, nav, ctx, onFirstRender }) {
  let generation = 0;
  let dispose = null;
  let first = true;

  const links = pages.filter((p) => p.nav).map((page) => ({
    page,
    a: h('a', { href: '#' + pageHref(page) }, page.title),
  }));
  replace(nav, h('ul', null, links.map(({ a }) => h('li', null, a))));

  async function show() {
    const path = currentPath();
    const mine = ++generation;
    if (dispose) {
      const d = dispose;
      dispose = null;
      try { d(); } catch (e) { console.error('page dispose failed', e); }
    }
    let page = null;
    let match = null;
    for (const candidate of pages) {
      match = path.match(candidate.path);
      if (match) { page = candidate; break; }
    }
    for (const { page: p, a } of links) {
      if (p === page) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    // Each visit renders into its own element: a slow render of a page the user already left
    // writes into a detached element, never over the page now shown.
    const el = h('div', { class: 'page' });
    replace(main, el);
    const wasFirst = first;
    first = false;
    if (!wasFirst) main.focus({ preventScroll: true });
    if (!page) {
      document.title = 'Not found · iExecChain';
      replace(el, h('h1', null, 'Not found'), h('p', { class: 'error', role: 'alert' }, `No page at ${path}.`),
        h('p', null, h('a', { href: '#/' }, 'Back to the dashboard')));
      if (wasFirst) onFirstRender?.();
      return;
    }
    document.title = `${page.title} · iExecChain`;
    try {
      const result = await page.render(el, match, ctx);
      if (typeof result === 'function') {
        if (mine === generation) dispose = result;
        else result();
      }
    } catch (e) {
      if (mine !== generation) return;
      replace(el, h('h1', null, page.title), h('p', { class: 'error', role: 'alert' }, `Could not show this page: ${e.message}`));
    }
    if (wasFirst) onFirstRender?.();
  }

  window.addEventListener('hashchange', show);
  return { show };
}
