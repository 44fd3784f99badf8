// One transaction: what it did (decoded payload), its receipt (status, the failure in words and as
// recorded, the fee paid) and the block holding it.
import { h, replace } from '../dom.js';
import { account, block, checkId, fields, full, notFound, reason, routeId, start, status } from './parts.js';
import { payloadDetails } from './payload.js';

export default {
  path: /^\/tx\/([^/?]*)$/,
  title: 'Transaction',
  nav: false,
  href: '/blocks',

  async render(el, match, ctx) {
    const id = routeId(match);
    const body = start(el, `Transaction ${ctx.format.shortHash(id)}`);
    if (!checkId(body, id, 'hash', 'transaction id')) return;
    const [tx, receipt] = await Promise.all([ctx.rpc('iex_getTransaction', [id]), ctx.rpc('iex_getReceipt', [id])]);
    if (!tx) {
      notFound(body, `No block holds a transaction ${id}: it is unknown, still pending or was refused.`);
      return;
    }
    const failed = receipt?.status === 'failed';
    replace(body,
      h('section', { 'aria-labelledby': 'tx-summary' },
        h('h2', { id: 'tx-summary' }, 'Summary'),
        fields([
          ['Id', full(tx.hash), 'hash'],
          ['Status', receipt ? status(receipt.status) : 'no receipt', 'status'],
          failed ? ['Why it failed', h('span', { class: 'warn' }, receipt.error ?? 'no reason given'), 'error'] : undefined,
          failed && receipt.failure ? ['Failure recorded', reason(ctx, receipt.failure), 'failure'] : undefined,
          ['Type', tx.type, 'type'],
          ['From', account(ctx, tx.from), 'from'],
          ['Block', block(ctx, tx.blockNumber), 'blockNumber'],
          ['Position in block', ctx.format.int(tx.transactionIndex)],
          ['Nonce', ctx.format.int(tx.nonce), 'nonce'],
          ['Fee offered', ctx.format.rlc(tx.fee), 'fee'],
          ['Fee paid', receipt ? ctx.format.rlc(receipt.feePaid) : '—', 'feePaid'],
          ['Chain id', ctx.format.int(tx.chainId)],
        ].filter(Boolean), { 'data-record': 'tx' })),
      h('section', { 'aria-labelledby': 'tx-payload' },
        h('h2', { id: 'tx-payload' }, 'Payload'),
        payloadDetails(ctx, tx)),
      h('section', { 'aria-labelledby': 'tx-raw' },
        h('h2', { id: 'tx-raw' }, 'Raw bytes'),
        h('details', null, h('summary', null, `Signed transaction, ${(tx.raw.length - 2) / 2} bytes`), full(tx.raw))));
  },
};
