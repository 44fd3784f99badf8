// One order: kind, owner, status, remaining volume, its terms, and its deals (a request order lists
// them; the other kinds only count them).
import { h, replace } from '../dom.js';
import { account, block, checkId, fields, full, idLink, notFound, routeId, start, status } from './parts.js';
import { orderTerms } from './market-parts.js';
import { loadedWallet } from '../wallet-loader.js';

// The owner of an open order may cancel it here once the wallet page has unlocked their key; the
// wallet bundle is not fetched for an order page otherwise.
function cancelSection(ctx, o) {
  if (o.status !== 'open') return null;
  const wallet = loadedWallet();
  const mine = wallet?.session.address === o.owner;
  if (!mine) {
    return {
      el: h('section', { 'aria-labelledby': 'order-cancel' }, h('h2', { id: 'order-cancel' }, 'Cancel'),
        h('p', { class: 'muted' }, 'The owner can cancel this order after unlocking their key on the ', h('a', { href: '#/wallet' }, 'wallet page'), '.')),
    };
  }
  return wallet.actionForm(ctx, wallet.session, {
    id: 'cancel-order', title: 'Cancel this order', read: wallet.readCancelOrder, submit: 'Review the cancel',
    intro: 'What the order still locks is released; deals already made go on.',
    fields: [{ name: 'orderHash', label: 'Order hash', value: o.hash }],
  });
}

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
    const cancel = cancelSection(ctx, o);
    replace(body,
      cancel?.el,
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
    return cancel?.stop;
  },
};
