// One withdrawal to Ethereum: sender, recipient, amount, its checkpoint and proof status.
import { h, replace } from '../dom.js';
import { account, block, checkId, fields, full, idLink, notFound, routeId, start, status } from './parts.js';

export default {
  path: /^\/withdrawal\/([^/?]*)$/,
  title: 'Withdrawal',
  nav: false,
  href: '/bridge',

  async render(el, match, ctx) {
    const id = routeId(match);
    const body = start(el, `Withdrawal ${id}`);
    if (!checkId(body, id, 'number', 'withdrawal id')) return;
    const w = await ctx.rpc('iex_getWithdrawal', [id]);
    if (!w) {
      notFound(body, `No withdrawal ${id}.`);
      return;
    }
    const f = ctx.format;
    const words = { 'in-period': 'in its checkpoint period (the period has not ended)', signing: 'checkpoint being signed', checkpointed: 'checkpointed: claimable on Ethereum once the checkpoint is anchored' };
    replace(body,
      fields([
        ['Id', f.int(w.id)],
        ['Status', h('span', null, status(w.status), ' ', words[w.status] ?? ''), 'status'],
        ['Sender', account(ctx, w.sender), 'sender'],
        ['Recipient (Ethereum)', full(w.recipient)],
        ['Amount', f.rlc(w.amount), 'amount'],
        ['At block', block(ctx, w.height)],
        ['Checkpoint', idLink(ctx, 'checkpoint', f.num(w.checkpointNumber), `#${f.int(w.checkpointNumber)}`)],
        ['Leaf hash', full(w.leafHash)],
        w.proof ? ['Position in period', `${f.int(w.proof.index)} of ${f.int(w.proof.count)}`] : undefined,
        w.proof ? ['Withdrawals root', full(w.proof.withdrawalsRoot)] : undefined,
        w.proof ? ['Proof', h('span', null, w.proof.siblings.flatMap((s, i) => [i ? ' ' : '', h('code', { class: 'hash', title: s }, f.shortHash(s))]))] : undefined,
        w.checkpoint ? ['Checkpoint digest', full(w.checkpoint.digest)] : undefined,
      ].filter(Boolean), { 'data-record': 'withdrawal' }));
  },
};
