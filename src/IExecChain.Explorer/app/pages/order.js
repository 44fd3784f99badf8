// One order: kind, owner, status, remaining volume, its terms, and its deals (a request order lists
// them; the other kinds only count them).
import { h, replace } from '../dom.js';
import { account, block, checkId, fields, full, idLink, notFound, routeId, start, status } from './parts.js';
import { orderTerms } from './market-parts.js';

export default {
  path: /^\/order\/([^/?]*)$/,
  title: 'Order',
  nav: false,
  href: '/market',

  async render(el, match, ctx) {
    const id = routeId(match);
    const body = start(el, `Order ${ctx.format.shortHash(id)}`);
    if (!checkId(body, id, 'hash', 'order hash')) return;
    const o = await ctx.rpc('iex_getOrder', [id]);
    if (!o) {
      notFound(body, `No order ${id} on this chain.`);
      return;
    }
    replace(body,
      h('section', { 'aria-labelledby': 'order-state' },
        h('h2', { id: 'order-state' }, 'State'),
        fields([
          ['Hash', full(o.hash), 'hash'],
          ['Kind', `${o.kind} order`, 'kind'],
          ['Owner', account(ctx, o.owner), 'owner'],
          ['Status', status(o.status), 'status'],
          ['Remaining volume', ctx.format.int(o.remaining), 'remaining'],
          ['Locked per unit', ctx.format.rlc(o.lockPerUnit), 'lockPerUnit'],
          ['Deals', ctx.format.int(o.dealCount), 'dealCount'],
          ['Owner\'s order sequence', ctx.format.int(o.sequence)],
          ['Placed at block', block(ctx, o.placedAt), 'placedAt'],
        ], { 'data-record': 'order' })),
      h('section', { 'aria-labelledby': 'order-terms' }, h('h2', { id: 'order-terms' }, 'Terms'), orderTerms(ctx, o.order)),
      o.deals ? h('section', { 'aria-labelledby': 'order-deals' },
        h('h2', { id: 'order-deals' }, 'Deals'),
        o.deals.length ? h('ul', null, o.deals.map((d) => h('li', null, idLink(ctx, 'deal', d)))) : h('p', { class: 'muted' }, 'No deals yet.')) : null);
  },
};
