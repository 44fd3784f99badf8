// One deal: parties, orders, prices and stakes, its counters, and its tasks (by index, started
// ones) with their status; followed live through the `tasks` topic filtered on the deal.
import { h, replace } from '../dom.js';
import { account, block, checkId, coalesce, fields, full, idLink, notFound, pagedList, routeId, start } from './parts.js';
import { taskRows } from './market-parts.js';

const ZERO_ADDRESS = '0x' + '0'.repeat(40);

export default {
  path: /^\/deal\/([^/?]*)$/,
  title: 'Deal',
  nav: false,
  href: '/market',

  async render(el, match, ctx) {
    const id = routeId(match);
    const body = start(el, `Deal ${ctx.format.shortHash(id)}`);
    if (!checkId(body, id, 'hash', 'deal id')) return;
    const d = await ctx.rpc('iex_getDeal', [id]);
    if (!d) {
      notFound(body, `No deal ${id} on this chain.`);
      return;
    }
    const f = ctx.format;
    const tasks = pagedList('tasks', (cursor) => ctx.rpc('iex_listTasks', { deal: id, limit: 20, ...(cursor ? { cursor } : {}) }), (items) => taskRows(ctx, items));
    replace(body,
      h('section', { 'aria-labelledby': 'deal-terms' },
        h('h2', { id: 'deal-terms' }, 'Terms'),
        fields([
          ['Id', full(d.id), 'id'],
          ['Requester', account(ctx, d.requester), 'requester'],
          ['Beneficiary', account(ctx, d.beneficiary), 'beneficiary'],
          ['App', idLink(ctx, 'app', d.app), 'app'],
          ['Dataset', d.dataset && d.dataset !== ZERO_ADDRESS ? idLink(ctx, 'dataset', d.dataset) : 'none', 'dataset'],
          ['Workerpool', idLink(ctx, 'pool', d.workerpool), 'workerpool'],
          ['Request order', idLink(ctx, 'order', d.requestHash), 'requestHash'],
          ['App order', idLink(ctx, 'order', d.appOrderHash), 'appOrderHash'],
          d.datasetOrderHash ? ['Dataset order', idLink(ctx, 'order', d.datasetOrderHash), 'datasetOrderHash'] : undefined,
          ['Workerpool order', idLink(ctx, 'order', d.workerpoolOrderHash), 'workerpoolOrderHash'],
          ['App price', f.rlc(d.appPrice), 'appPrice'],
          ['Dataset price', f.rlc(d.datasetPrice), 'datasetPrice'],
          ['Workerpool price', f.rlc(d.workerpoolPrice), 'workerpoolPrice'],
          ['Pool stake', f.rlc(d.poolStake), 'poolStake'],
          ['Worker stake per contribution', f.rlc(d.workerStake), 'workerStake'],
          ['Scheduler reward ratio', `${d.schedulerRewardRatio} %`],
          ['Trust', f.int(d.trust), 'trust'],
          ['Category', f.int(d.category), 'category'],
          ['Tag', h('code', null, d.tag)],
          ['Parameters', d.params === '' ? '(none)' : h('code', null, d.params), 'params'],
          ['Created at block', block(ctx, d.createdAt), 'createdAt'],
        ].filter(Boolean), { 'data-record': 'deal' })),
      h('section', { 'aria-labelledby': 'deal-progress' },
        h('h2', { id: 'deal-progress' }, 'Progress'),
        fields([
          ['Volume (tasks)', f.int(d.volume), 'volume'],
          ['First task index', f.int(d.firstTaskIndex)],
          ['Started', f.int(d.started), 'started'],
          ['Completed', f.int(d.completed), 'completed'],
          ['Failed', f.int(d.failed), 'failed'],
        ])),
      h('section', { 'aria-labelledby': 'deal-tasks' }, h('h2', { id: 'deal-tasks' }, 'Tasks'), tasks.el));
    const refresh = coalesce(async () => { await tasks.refreshLive(); }, 250);
    const unsubscribe = ctx.subscribe('tasks', { dealId: id }, () => refresh.poke(), () => refresh.poke());
    return () => {
      unsubscribe();
      refresh.stop();
    };
  },
};
