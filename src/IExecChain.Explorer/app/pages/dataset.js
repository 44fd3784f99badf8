// A dataset: owner, content, and the deals that used it.
import { h, replace } from '../dom.js';
import { account, block, checkId, fields, full, named, notFound, pagedList, routeId, start } from './parts.js';
import { dealRows } from './market-parts.js';

export default {
  path: /^\/dataset\/([^/?]*)$/,
  title: 'Dataset',
  nav: false,
  href: '/market',

  async render(el, match, ctx) {
    const id = routeId(match);
    const body = start(el, `Dataset ${ctx.format.shortHash(id)}`);
    if (!checkId(body, id, 'address', 'dataset address')) return;
    const d = await ctx.rpc('iex_getDataset', [id]);
    if (!d) {
      notFound(body, `No dataset ${id} is registered.`);
      return;
    }
    replace(el.querySelector('h1'), 'Dataset “', named(d.name), '”');
    const deals = pagedList('deals', (cursor) => ctx.rpc('iex_listDeals', { dataset: id, limit: 20, ...(cursor ? { cursor } : {}) }), (items) => dealRows(ctx, items));
    replace(body,
      h('section', { 'aria-labelledby': 'dataset-record' },
        h('h2', { id: 'dataset-record' }, 'Record'),
        fields([
          ['Address', full(d.id), 'id'],
          ['Name', named(d.name), 'name'],
          ['Owner', account(ctx, d.owner), 'owner'],
          ['Content root', full(d.contentRoot)],
          ['Size', `${ctx.format.int(d.size)} bytes`],
          ['Endpoint', d.endpoint || '—'],
          ['Registered at block', block(ctx, d.registeredAt)],
        ], { 'data-record': 'dataset' })),
      h('section', { 'aria-labelledby': 'dataset-deals' }, h('h2', { id: 'dataset-deals' }, 'Deals'), deals.el));
  },
};
