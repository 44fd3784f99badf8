// An app: owner, runtime, content, status, and the deals that ran it.
import { h, replace } from '../dom.js';
import { account, block, checkId, fields, full, named, notFound, pagedList, routeId, start, status } from './parts.js';
import { dealRows } from './market-parts.js';

export default {
  path: /^\/app\/([^/?]*)$/,
  title: 'App',
  nav: false,
  href: '/market',

  async render(el, match, ctx) {
    const id = routeId(match);
    const body = start(el, `App ${ctx.format.shortHash(id)}`);
    if (!checkId(body, id, 'address', 'app address')) return;
    const a = await ctx.rpc('iex_getApp', [id]);
    if (!a) {
      notFound(body, `No app ${id} is registered.`);
      return;
    }
    replace(el.querySelector('h1'), 'App “', named(a.name), '”');
    const deals = pagedList('deals', (cursor) => ctx.rpc('iex_listDeals', { app: id, limit: 20, ...(cursor ? { cursor } : {}) }), (items) => dealRows(ctx, items));
    replace(body,
      h('section', { 'aria-labelledby': 'app-record' },
        h('h2', { id: 'app-record' }, 'Record'),
        fields([
          ['Address', full(a.id), 'id'],
          ['Name', named(a.name), 'name'],
          ['Owner', account(ctx, a.owner), 'owner'],
          ['Status', status(a.status), 'status'],
          ['Runtime', a.runtime === 'wasm' ? 'WebAssembly' : a.runtime, 'runtime'],
          ['Content root', full(a.contentRoot)],
          ['Content size', `${ctx.format.int(a.contentSize)} bytes`],
          ['Endpoint', a.endpoint || '—'],
          ['Manifest', a.manifest ? h('code', null, a.manifest) : '—'],
          ['Registered at block', block(ctx, a.registeredAt)],
        ], { 'data-record': 'app' }),
        h('p', null, h('a', { href: `#/wallet?app=${a.id}`, 'data-order-app': '' }, 'Request a run of this app'), ' (from the wallet page)')),
      h('section', { 'aria-labelledby': 'app-deals' }, h('h2', { id: 'app-deals' }, 'Deals'), deals.el));
  },
};
