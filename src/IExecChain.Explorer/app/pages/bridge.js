// The bridge to Ethereum: settings, bridged supply and totals, deposits being attested
// (iex_bridgeStatus), and deposits and withdrawals looked up by id (the node lists neither; ids
// run from 0 to the next id minus one).
import { h, replace } from '../dom.js';
import { account, fields, full, section, short, status, table } from './parts.js';

function lookup(label, id, next, route) {
  const input = h('input', { id, type: 'text', inputmode: 'numeric', autocomplete: 'off', size: '8' });
  const message = h('span', { class: 'error', role: 'alert', hidden: true });
  const form = h('form', {
    class: 'controls',
    onsubmit: (e) => {
      e.preventDefault();
      const v = input.value.trim();
      if (!/^\d+$/.test(v)) {
        message.textContent = `Not a ${label.toLowerCase()} id: “${v}” (a whole number).`;
        message.hidden = false;
        return;
      }
      location.hash = `#/${route}/${v}`;
    },
  }, h('label', { for: id }, `${label} id `), input, ' ', h('button', { type: 'submit' }, 'Show'), ' ', message,
  next > 0n ? h('span', { class: 'muted' }, ` (0 to ${next - 1n})`) : h('span', { class: 'muted' }, ' (none yet)'));
  return form;
}

export function depositRow(ctx, d) {
  return [h('a', { href: `#/deposit/${ctx.format.num(d.id)}` }, ctx.format.int(d.id)), short(ctx, d.depositor), account(ctx, d.recipient), ctx.format.rlc(d.amount), short(ctx, d.ethTxHash), ctx.format.int(d.ethBlockNumber)];
}

export default {
  path: /^\/bridge$/,
  title: 'Bridge',
  nav: true,

  async render(el, _match, ctx) {
    const f = ctx.format;
    const state = section('Status', 'bridge-status', async () => {
      const s = await ctx.rpc('iex_bridgeStatus', []);
      const b = s.bridge;
      return [
        b ? fields([
          ['Ethereum chain id', f.int(b.ethChainId)],
          ['Bridge contract', full(b.contract)],
          ['Confirmations awaited', f.int(b.confirmations)],
          ['Followed from Ethereum block', f.int(b.startBlock)],
        ], { 'data-record': 'bridge-settings' }) : h('p', { class: 'muted', 'data-record': 'bridge-settings' }, 'This chain has no bridge configured (chain spec `bridge`).'),
        fields([
          ['At block', f.int(s.blockNumber)],
          ['Bridged supply', f.rlc(s.bridgedSupply), 'bridgedSupply'],
          ['Deposited in total', f.rlc(s.depositedTotal), 'depositedTotal'],
          ['Withdrawn in total', f.rlc(s.withdrawnTotal), 'withdrawnTotal'],
          ['Deposits credited', f.int(s.nextDepositId)],
          ['Withdrawals made', f.int(s.nextWithdrawalId)],
        ], { 'data-record': 'bridge-totals' }),
        h('h3', null, 'Deposits being attested'),
        table([{ label: 'Deposit' }, { label: 'Status' }, { label: 'Attesting power', num: true }, { label: 'Versions seen', num: true }],
          s.pendingDeposits.map((d) => [h('a', { href: `#/deposit/${f.num(d.id)}` }, f.int(d.id)), status(d.status), d.totalPower ? f.int(d.totalPower) : '—', String(d.candidates?.length ?? 0)]),
          'None: every deposit seen is credited.'),
        h('h3', null, 'Look up'),
        lookup('Deposit', 'bridge-deposit', BigInt(s.nextDepositId), 'deposit'),
        lookup('Withdrawal', 'bridge-withdrawal', BigInt(s.nextWithdrawalId), 'withdrawal'),
      ];
    });
    replace(el, h('h1', null, 'Bridge'), state.el);
  },
};
