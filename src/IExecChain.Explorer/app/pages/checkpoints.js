// Checkpoints, newest first (iex_listCheckpoints, paged), with the blocks each covers, its
// signatures and whether a relayer reported it anchored on Ethereum (AnchorReceipt transactions).
import { h, replace } from '../dom.js';
import { block, idLink, pagedList, status, table } from './parts.js';

export function anchoring(ctx, c) {
  if (!c.anchors?.length) return status('not reported anchored');
  const a = c.anchors[0];
  return h('span', null, status('anchored'), ` on chain ${ctx.format.int(a.ethChainId)}, Ethereum block ${ctx.format.int(a.ethBlockNumber)}`);
}

export default {
  path: /^\/checkpoints$/,
  title: 'Checkpoints',
  nav: true,

  async render(el, _match, ctx) {
    const f = ctx.format;
    const list = pagedList('checkpoints', (cursor) => ctx.rpc('iex_listCheckpoints', { limit: 20, ...(cursor ? { cursor } : {}) }), (items) => table(
      [{ label: 'Checkpoint' }, { label: 'Blocks' }, { label: 'Recorded at' }, { label: 'Signatures', num: true }, { label: 'On Ethereum' }],
      items.map((c) => [idLink(ctx, 'checkpoint', f.num(c.number), `#${f.int(c.number)}`),
        h('span', null, block(ctx, c.firstHeight), ' – ', block(ctx, c.lastHeight)), block(ctx, c.recordedAtHeight),
        String(c.signatures?.length ?? 0), anchoring(ctx, c)]),
      'No checkpoints yet.',
      { 'data-list': 'checkpoints' }));
    replace(el,
      h('h1', null, 'Checkpoints'),
      h('p', { class: 'muted' }, 'Each checkpoint commits to a range of blocks, the state and the next validator set; the validators sign its digest and relayers anchor it on Ethereum. ',
        h('a', { href: '#/bridge' }, 'Bridge deposits and withdrawals'), ' are proven against checkpoints.'),
      list.el);
  },
};
