// A workerpool: owner, ratios, its workers with their scores, its SLA counters (tasks completed,
// failed, reversed, reliability, trust) and its deals.
import { h, replace } from '../dom.js';
import { account, block, checkId, fields, full, millionths, named, notFound, pagedList, routeId, start, table } from './parts.js';
import { dealRows } from './market-parts.js';

export default {
  path: /^\/pool\/([^/?]*)$/,
  title: 'Workerpool',
  nav: false,
  href: '/market',

  async render(el, match, ctx) {
    const id = routeId(match);
    const body = start(el, `Workerpool ${ctx.format.shortHash(id)}`);
    if (!checkId(body, id, 'address', 'workerpool address')) return;
    const p = await ctx.rpc('iex_getPool', [id]);
    if (!p) {
      notFound(body, `No workerpool ${id} is registered.`);
      return;
    }
    replace(el.querySelector('h1'), 'Workerpool “', named(p.description), '”');
    const deals = pagedList('deals', (cursor) => ctx.rpc('iex_listDeals', { workerpool: id, limit: 20, ...(cursor ? { cursor } : {}) }), (items) => dealRows(ctx, items));
    replace(body,
      h('section', { 'aria-labelledby': 'pool-record' },
        h('h2', { id: 'pool-record' }, 'Record'),
        fields([
          ['Address', full(p.id), 'id'],
          ['Owner (scheduler)', account(ctx, p.owner), 'owner'],
          ['Description', named(p.description), 'description'],
          ['Worker stake ratio', `${p.workerStakeRatio} % of the pool price per contribution`],
          ['Scheduler reward ratio', `${p.schedulerRewardRatio} % of the reward`],
          ['Native apps', p.allowNative ? 'allowed' : 'not allowed'],
          ['Worker allow-list', p.workerAllow.length ? h('span', null, p.workerAllow.flatMap((w, i) => [i ? ', ' : '', account(ctx, w)])) : 'anyone with the minimum worker stake'],
          ['Registered at block', block(ctx, p.registeredAt)],
        ], { 'data-record': 'pool' })),
      h('section', { 'aria-labelledby': 'pool-sla' },
        h('h2', { id: 'pool-sla' }, 'Service record'),
        fields([
          ['Tasks completed', ctx.format.int(p.tasksCompleted), 'tasksCompleted'],
          ['Tasks failed', ctx.format.int(p.tasksFailed), 'tasksFailed'],
          p.tasksReversed !== undefined ? ['Results reversed by verification', ctx.format.int(p.tasksReversed), 'tasksReversed'] : undefined,
          ['Reliability', millionths(ctx, p.reliability), 'reliability'],
          ['Trust', millionths(ctx, p.trust), 'trust'],
          ['Mean worker score', ctx.format.int(p.meanWorkerScore), 'meanWorkerScore'],
        ].filter(Boolean), { 'data-record': 'pool-sla' })),
      h('section', { 'aria-labelledby': 'pool-workers' },
        h('h2', { id: 'pool-workers' }, `Workers (${p.workers.length})`),
        table([{ label: 'Worker' }, { label: 'Score', num: true }],
          p.workers.map((w) => [account(ctx, w.address), ctx.format.int(w.score)]), 'No workers joined.', { 'data-list': 'pool-workers' })),
      h('section', { 'aria-labelledby': 'pool-deals' }, h('h2', { id: 'pool-deals' }, 'Deals'), deals.el));
  },
};
