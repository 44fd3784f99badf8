// One bridge deposit: credited (who, how much, when, attested by whom) or still being attested
// (the versions validators saw and their power).
import { h, replace } from '../dom.js';
import { account, block, checkId, fields, full, notFound, routeId, short, start, status, table } from './parts.js';

function content(ctx, d) {
  return fields([
    ['Depositor (Ethereum)', full(d.depositor)],
    ['Recipient', account(ctx, d.recipient), 'recipient'],
    ['Amount', ctx.format.rlc(d.amount), 'amount'],
    ['Ethereum transaction', full(d.ethTxHash)],
    ['Ethereum block', ctx.format.int(d.ethBlockNumber)],
  ]);
}

export default {
  path: /^\/deposit\/([^/?]*)$/,
  title: 'Deposit',
  nav: false,
  href: '/bridge',

  async render(el, match, ctx) {
    const id = routeId(match);
    const body = start(el, `Deposit ${id}`);
    if (!checkId(body, id, 'number', 'deposit id')) return;
    const d = await ctx.rpc('iex_getDeposit', [id]);
    if (!d) {
      notFound(body, `No deposit ${id}: nobody attested it.`);
      return;
    }
    const attesters = (list) => (list?.length ? h('span', null, list.flatMap((a, i) => [i ? ', ' : '', account(ctx, a)])) : 'none');
    replace(body,
      fields([['Id', ctx.format.int(d.id)], ['Status', status(d.status), 'status'],
        d.creditedAt !== undefined ? ['Credited at block', block(ctx, d.creditedAt)] : undefined,
        d.totalPower !== undefined ? ['Attesting power', ctx.format.int(d.totalPower)] : undefined,
        d.attesters ? ['Attested by', attesters(d.attesters)] : undefined].filter(Boolean), { 'data-record': 'deposit' }),
      d.deposit ? h('section', { 'aria-labelledby': 'dep-content' }, h('h2', { id: 'dep-content' }, 'Deposit'), content(ctx, d.deposit)) : null,
      d.candidates ? h('section', { 'aria-labelledby': 'dep-candidates' }, h('h2', { id: 'dep-candidates' }, 'Versions attested'),
        table([{ label: 'Recipient' }, { label: 'Amount', num: true }, { label: 'Ethereum transaction' }, { label: 'Power', num: true }, { label: 'Attesters' }],
          d.candidates.map((c) => [account(ctx, c.deposit.recipient), ctx.format.rlc(c.deposit.amount), short(ctx, c.deposit.ethTxHash), ctx.format.int(c.power), attesters(c.attesters)]))) : null);
  },
};
