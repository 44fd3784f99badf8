// Tables of market records shared by the market, deal, task, order, pool, app, dataset and account
// pages (records as docs/rpc.md "Market records" gives them). Not a page.
import { h } from '../dom.js';
import { account, block, fields, full, idLink, reason, short, status, table } from './parts.js';
import { label } from './payload.js';

const ZERO_ADDRESS = '0x' + '0'.repeat(40);

/** What an order offers or asks, in one line. */
function orderWhat(ctx, o) {
  const t = o.order ?? {};
  switch (o.kind) {
    case 'app': return h('span', null, 'app ', idLink(ctx, 'app', t.app), ` at ${ctx.format.rlc(t.price ?? 0)}`);
    case 'dataset': return h('span', null, 'dataset ', idLink(ctx, 'dataset', t.dataset), ` at ${ctx.format.rlc(t.price ?? 0)}`);
    case 'workerpool': return h('span', null, 'pool ', idLink(ctx, 'pool', t.workerpool), ` at ${ctx.format.rlc(t.price ?? 0)}, category ${t.category ?? 0}, trust ${t.trust ?? 0}`);
    case 'request': return h('span', null, 'app ', idLink(ctx, 'app', t.app), `, up to ${ctx.format.rlc(t.workerpoolMaxPrice ?? 0)} for the pool, category ${t.category ?? 0}`);
    default: return '—';
  }
}

export function orderRows(ctx, items) {
  return table(
    [{ label: 'Order' }, { label: 'Kind' }, { label: 'Offers / asks' }, { label: 'Owner' }, { label: 'Remaining', num: true }, { label: 'Deals', num: true }, { label: 'Placed at' }, { label: 'Status' }],
    items.map((o) => [idLink(ctx, 'order', o.hash), o.kind, orderWhat(ctx, o), account(ctx, o.owner), ctx.format.int(o.remaining),
      ctx.format.int(o.dealCount), block(ctx, o.placedAt), status(o.status)]),
    'No orders.',
    { 'data-list': 'orders' });
}

export function dealRows(ctx, items) {
  return table(
    [{ label: 'Deal' }, { label: 'App' }, { label: 'Workerpool' }, { label: 'Requester' }, { label: 'Price per task', num: true }, { label: 'Tasks (done/failed/volume)' }, { label: 'Created at' }],
    items.map((d) => [idLink(ctx, 'deal', d.id), idLink(ctx, 'app', d.app), idLink(ctx, 'pool', d.workerpool), account(ctx, d.requester),
      ctx.format.rlc(BigInt(d.appPrice) + BigInt(d.datasetPrice) + BigInt(d.workerpoolPrice)),
      `${ctx.format.int(d.completed)} / ${ctx.format.int(d.failed)} / ${ctx.format.int(d.volume)}`, block(ctx, d.createdAt)]),
    'No deals.',
    { 'data-list': 'deals' });
}

export function taskRows(ctx, items) {
  return table(
    [{ label: 'Task' }, { label: 'Deal' }, { label: 'Index', num: true }, { label: 'Status' }, { label: 'Replicas', num: true }, { label: 'Started at' }, { label: 'Outcome' }],
    items.map((t) => [idLink(ctx, 'task', t.id), idLink(ctx, 'deal', t.dealId), ctx.format.int(t.index), status(t.status),
      String(t.replicas?.length ?? 0), block(ctx, t.startHeight), t.outcome ?? (t.awaitingWorkers ? 'waiting for workers' : '—')]),
    'No tasks.',
    { 'data-list': 'tasks' });
}

/** Replicas (or a verification's verifiers): worker, status, contribution, reveal, score, failure. */
export function replicaTable(ctx, replicas, listName = 'replicas') {
  return table(
    [{ label: 'Worker' }, { label: 'Status' }, { label: 'Assigned at' }, { label: 'Deadline' }, { label: 'Contribution (result hash)' }, { label: 'Reveal (result digest)' }, { label: 'Score', num: true }, { label: 'Failure' }],
    replicas.map((r) => [account(ctx, r.worker), status(r.status), block(ctx, r.assignedAt), block(ctx, r.deadline),
      short(ctx, r.resultHash), short(ctx, r.resultDigest), r.score === undefined ? '—' : ctx.format.int(r.score), r.failure ?? '—']),
    'None assigned yet.',
    { 'data-list': listName });
}

/** An order's own fields (the .proto names; amounts as decimal strings, addresses as 0x-hex). */
export function orderTerms(ctx, terms) {
  const amount = new Set(['price', 'appMaxPrice', 'datasetMaxPrice', 'workerpoolMaxPrice']);
  const link = { app: 'app', dataset: 'dataset', workerpool: 'pool' };
  const rows = Object.entries(terms ?? {}).map(([k, v]) => {
    let value;
    if (v === null || v === undefined) value = '—';
    else if (amount.has(k)) value = ctx.format.rlc(v);
    else if (Array.isArray(v)) value = v.length ? h('span', null, v.flatMap((x, i) => [i ? ', ' : '', typeof x === 'string' && /^0x[0-9a-f]{40}$/.test(x) ? account(ctx, x) : String(x)])) : 'none';
    else if (typeof v === 'object') value = h('code', null, JSON.stringify(v));
    else if (typeof v === 'string' && v === ZERO_ADDRESS) value = 'any';
    else if (link[k] && /^0x[0-9a-f]{40}$/.test(String(v))) value = idLink(ctx, link[k], v);
    else if (typeof v === 'string' && /^0x[0-9a-f]{40}$/.test(v)) value = account(ctx, v);
    else if (typeof v === 'string' && /^0x[0-9a-f]{41,}$/.test(v)) value = full(v);
    else if (k === 'performance' || k === 'energyEfficiency') value = `${ctx.format.decimal(Number(v) / 10000, 2)} %`;
    else value = String(v);
    return [label(k), value, k];
  });
  return fields(rows, { 'data-record': 'order-terms' });
}

/** A task in full: deadlines, consensus, result, rollback window, verification, replicas. */
export function taskDetails(ctx, t) {
  const v = t.verification;
  return [
    h('section', { 'aria-labelledby': 'task-state' },
      h('h2', { id: 'task-state' }, 'State'),
      fields([
        ['Id', full(t.id), 'id'],
        ['Deal', idLink(ctx, 'deal', t.dealId), 'dealId'],
        ['Index in deal', ctx.format.int(t.index), 'index'],
        ['Status', status(t.status), 'status'],
        ['Outcome', t.outcome, 'outcome'],
        t.outcomeReason ? ['Outcome recorded', reason(ctx, t.outcomeReason), 'outcomeReason'] : undefined,
        ['Waiting for workers', t.awaitingWorkers ? 'yes' : 'no', 'awaitingWorkers'],
        ['Started at block', block(ctx, t.startHeight), 'startHeight'],
        ['Contributions close at block', block(ctx, t.contributionDeadline), 'contributionDeadline'],
        t.revealDeadline !== undefined ? ['Reveals close at block', block(ctx, t.revealDeadline), 'revealDeadline'] : undefined,
        ['Fails if not completed by block', block(ctx, t.finalDeadline), 'finalDeadline'],
        ['Consensus reached (result hash)', t.consensusHash ? full(t.consensusHash) : 'not yet', 'consensusHash'],
        ['Result digest', t.resultDigest ? full(t.resultDigest) : 'not yet', 'resultDigest'],
        t.originalDigest ? ['Result digest first accepted (reversed)', full(t.originalDigest), 'originalDigest'] : undefined,
        t.finishedAt !== undefined ? ['Finished at block', block(ctx, t.finishedAt), 'finishedAt'] : undefined,
      ].filter(Boolean), { 'data-record': 'task' })),
    h('section', { 'aria-labelledby': 'task-replicas' },
      h('h2', { id: 'task-replicas' }, `Replicas (${t.replicas.length})`),
      h('p', { class: 'muted' }, 'Each worker assigned the task, its contribution (the hash it committed), its reveal (the digest it revealed) and what became of it.'),
      replicaTable(ctx, t.replicas)),
    h('section', { 'aria-labelledby': 'task-window' },
      h('h2', { id: 'task-window' }, 'Rollback window'),
      t.windowEnd === undefined
        ? h('p', { class: 'muted' }, 'No rollback window: winners are paid when the task completes.')
        : h('div', null,
          fields([['Winners paid at block', block(ctx, t.windowEnd), 'windowEnd']]),
          table([{ label: 'Worker' }, { label: 'Stake held', num: true }, { label: 'Reward held', num: true }, { label: 'Score gain' }],
            (t.pending ?? []).map((p) => [account(ctx, p.worker), ctx.format.rlc(p.stake), ctx.format.rlc(p.reward), p.scoreGain ? 'yes' : 'no']),
            'Nothing held: paid or taken.'))),
    h('section', { 'aria-labelledby': 'task-verification' },
      h('h2', { id: 'task-verification' }, 'Verification'),
      v ? h('div', null,
        fields([
          ['Kind', v.kind, 'kind'],
          v.challenger ? ['Challenger', account(ctx, v.challenger)] : undefined,
          v.bond !== undefined ? ['Bond', ctx.format.rlc(v.bond)] : undefined,
          ['Phase', status(v.phase), 'phase'],
          ['Started at block', block(ctx, v.startedAt)],
          v.revealDeadline !== undefined ? ['Reveals close at block', block(ctx, v.revealDeadline)] : undefined,
          ['Final deadline', block(ctx, v.finalDeadline)],
          ['Verifiers\' result digest', v.resultDigest ? full(v.resultDigest) : 'not yet'],
          v.concludedAt !== undefined ? ['Concluded at block', block(ctx, v.concludedAt)] : undefined,
          ['Outcome', v.outcome ?? 'not concluded'],
          v.outcomeReason ? ['Outcome recorded', reason(ctx, v.outcomeReason)] : undefined,
        ].filter(Boolean), { 'data-record': 'verification' }),
        h('h3', null, 'Verifiers'),
        replicaTable(ctx, v.verifiers ?? [], 'verifiers'))
        : h('p', { class: 'muted' }, 'Not spot-checked or challenged.')),
  ];
}
