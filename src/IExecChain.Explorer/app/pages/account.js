// An account: balance, frozen funds, nonce, stakes and what is unbonding; its roles in the market
// (worker, or an app / dataset / workerpool at this address); its transactions (sent, received or
// both), orders, deals as requester and tasks as worker, each paged by the node's cursors; and the
// apps, datasets and workerpools its orders offer (the node has no list of records by owner).
import { h, replace } from '../dom.js';
import { block, checkId, fields, idLink, named, pagedList, routeId, section, start, status, table } from './parts.js';
import { dealRows, orderRows, taskRows } from './market-parts.js';

const PAGE = 20;

function transactionRows(ctx, items) {
  return table(
    [{ label: 'Transaction' }, { label: 'Block' }, { label: 'Type' }, { label: 'Direction' }, { label: 'From' }, { label: 'Status' }],
    items.map((t) => [idLink(ctx, 'tx', t.hash), block(ctx, t.blockNumber), t.type, t.direction ?? '—', idLink(ctx, 'account', t.from), status(t.status)]),
    'No transactions.',
    { 'data-list': 'account-transactions' });
}

export default {
  path: /^\/account\/([^/?]*)$/,
  title: 'Account',
  nav: false,

  async render(el, match, ctx) {
    const address = routeId(match);
    const body = start(el, `Account ${ctx.format.shortHash(address)}`);
    if (!checkId(body, address, 'address', 'address')) return;
    const a = await ctx.rpc('iex_getAccount', [address]);

    const unbonding = a.unbonding?.length
      ? table([{ label: 'Role' }, { label: 'Amount', num: true }, { label: 'Returns at block' }],
        a.unbonding.map((u) => [u.role, ctx.format.rlc(u.amount), block(ctx, u.releaseHeight)]))
      : 'nothing';

    const roles = section('Roles', 'account-roles', async () => {
      const [worker, app, dataset, pool] = await Promise.all([
        ctx.rpc('iex_getWorker', [address]), ctx.rpc('iex_getApp', [address]),
        ctx.rpc('iex_getDataset', [address]), ctx.rpc('iex_getPool', [address])]);
      const out = [];
      if (app) out.push(h('p', null, 'This address is the app ', idLink(ctx, 'app', address, h('span', null, '“', named(app.name), '”')), '.'));
      if (dataset) out.push(h('p', null, 'This address is the dataset ', idLink(ctx, 'dataset', address, h('span', null, '“', named(dataset.name), '”')), '.'));
      if (pool) out.push(h('p', null, 'This address is the workerpool ', idLink(ctx, 'pool', address, h('span', null, '“', named(pool.description), '”')), '.'));
      if (worker) {
        out.push(h('h3', null, 'Worker'), fields([
          ['Workerpool', worker.workerpool ? idLink(ctx, 'pool', worker.workerpool) : 'none'],
          ['Endpoint', worker.endpoint || '—'],
          ['Score', ctx.format.int(worker.score)],
          ['Contributions', ctx.format.int(worker.contributions)],
          ['Wins', ctx.format.int(worker.wins)],
          ['Losses', ctx.format.int(worker.losses)],
          ['Open assignments', worker.assignments.length ? h('span', null, worker.assignments.flatMap((t, i) => [i ? ', ' : '', idLink(ctx, 'task', t)])) : 'none'],
        ], { 'data-record': 'worker' }));
      }
      if (a.validatorStake !== '0x0') out.push(h('p', null, 'Holds a validator stake (see the dashboard for the validator set).'));
      return out.length ? out : h('p', { class: 'muted' }, 'No market role: not a worker, app, dataset or workerpool.');
    });

    const directionSelect = h('select', { id: 'account-direction', onchange: () => { txList = makeTxList(); replace(txHolder, txList.el); } },
      h('option', { value: 'all' }, 'sent and received'), h('option', { value: 'sent' }, 'sent'), h('option', { value: 'received' }, 'received'));
    const makeTxList = () => pagedList('transactions', (cursor) => ctx.rpc('iex_listTransactions',
      { account: address, direction: directionSelect.value, limit: PAGE, ...(cursor ? { cursor } : {}) }), (items) => transactionRows(ctx, items));
    let txList = makeTxList();
    const txHolder = h('div', null, txList.el);

    const orders = pagedList('orders', (cursor) => ctx.rpc('iex_listOrders', { owner: address, limit: PAGE, ...(cursor ? { cursor } : {}) }), (items) => orderRows(ctx, items));
    const deals = pagedList('deals', (cursor) => ctx.rpc('iex_listDeals', { requester: address, limit: PAGE, ...(cursor ? { cursor } : {}) }), (items) => dealRows(ctx, items));
    const tasks = pagedList('tasks', (cursor) => ctx.rpc('iex_listTasks', { worker: address, limit: PAGE, ...(cursor ? { cursor } : {}) }), (items) => taskRows(ctx, items));
    const offered = section('Apps, datasets and workerpools it offers', 'account-offers', async () => {
      const page = await ctx.rpc('iex_listOrders', { owner: address, limit: 100 });
      const seen = new Map();
      for (const o of page.items) {
        for (const kind of ['app', 'dataset', 'workerpool']) {
          const id = o.order?.[kind];
          if (o.kind === kind && id && !seen.has(id)) seen.set(id, kind);
        }
      }
      if (seen.size === 0) return h('p', { class: 'muted' }, 'None named in its latest 100 orders.');
      return h('ul', null, [...seen].map(([id, kind]) => h('li', null, `${kind} `, idLink(ctx, kind === 'workerpool' ? 'pool' : kind, id))));
    });

    replace(body,
      h('section', { 'aria-labelledby': 'account-state' },
        h('h2', { id: 'account-state' }, 'Balance and stakes'),
        fields([
          ['Address', h('code', { class: 'hash full' }, a.address), 'address'],
          ['Balance', ctx.format.rlc(a.balance), 'balance'],
          ['Frozen', ctx.format.rlc(a.frozen), 'frozen'],
          ['Nonce', ctx.format.int(a.nonce), 'nonce'],
          a.pendingNonce !== undefined && a.pendingNonce !== a.nonce ? ['Next nonce with pending transactions', ctx.format.int(a.pendingNonce)] : undefined,
          ['Validator stake', ctx.format.rlc(a.validatorStake), 'validatorStake'],
          ['Worker stake', ctx.format.rlc(a.workerStake), 'workerStake'],
          ['Unbonding', unbonding, 'unbonding'],
          ['Read at block', block(ctx, a.blockNumber)],
        ].filter(Boolean), { 'data-record': 'account' })),
      roles.el,
      h('section', { 'aria-labelledby': 'account-txs' },
        h('h2', { id: 'account-txs' }, 'Transactions'),
        h('p', null, h('label', { for: 'account-direction' }, 'Show '), directionSelect),
        txHolder),
      h('section', { 'aria-labelledby': 'account-orders' }, h('h2', { id: 'account-orders' }, 'Orders'), orders.el),
      h('section', { 'aria-labelledby': 'account-deals' }, h('h2', { id: 'account-deals' }, 'Deals as requester'), deals.el),
      h('section', { 'aria-labelledby': 'account-tasks' }, h('h2', { id: 'account-tasks' }, 'Tasks as worker'), tasks.el),
      offered.el);
  },
};
