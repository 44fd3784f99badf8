// The market: its totals, the order book by kind and category (iex_getOrderBook), the task
// categories (iex_getCategories), recent tasks by status (iex_listTasks), and the workerpools, apps
// and datasets that open orders offer (the node has no list of all registered ones).
// Tasks in progress are followed: task events refresh the totals and the tasks list, at most
// every 250 ms, and only while the tasks list shows its first page.
import { h, replace } from '../dom.js';
import { coalesce, errorText, fields, idLink, loading, named, pagedList, problem, section, table } from './parts.js';
import { orderRows, taskRows } from './market-parts.js';

const KINDS = ['request', 'workerpool', 'app', 'dataset'];
const STATUSES = ['active', 'revealing', 'completed', 'failed'];

function totalsTable(ctx, height, open, t) {
  const f = ctx.format;
  return fields([
    ['At block', f.int(height)],
    ['Open orders', f.int(open), 'open'],
    ['Deals', f.int(t.deals), 'deals'],
    ['Tasks started', f.int(t.tasksStarted), 'tasksStarted'],
    ['Tasks completed', f.int(t.tasksCompleted), 'tasksCompleted'],
    ['Tasks failed', f.int(t.tasksFailed), 'tasksFailed'],
    ['Tasks waiting for workers', f.int(t.tasksAwaitingWorkers), 'tasksAwaitingWorkers'],
    ['Deals waiting to start', f.int(t.dealsWaitingToStart), 'dealsWaitingToStart'],
    t.spotChecks !== undefined ? ['Spot checks started', f.int(t.spotChecks)] : undefined,
    t.challenges !== undefined ? ['Challenges started', f.int(t.challenges)] : undefined,
    t.reversals !== undefined ? ['Results reversed', f.int(t.reversals)] : undefined,
    ['Kitty (unclaimed stakes)', f.rlc(t.kitty), 'kitty'],
  ].filter(Boolean), { 'data-record': 'market-totals' });
}

export default {
  path: /^\/market$/,
  title: 'Market',
  nav: true,

  async render(el, _match, ctx) {
    const f = ctx.format;
    const totals = section('Totals', 'market-totals', async () => {
      const book = await ctx.rpc('iex_getOrderBook', [{ limit: 1 }]);
      return totalsTable(ctx, book.height, book.open, book.totals);
    });

    // Order book: kind and category chosen in place.
    const kind = h('select', { id: 'book-kind', onchange: () => loadBook() },
      h('option', { value: '' }, 'all kinds'), KINDS.map((k) => h('option', { value: k }, `${k} orders`)));
    const category = h('select', { id: 'book-category', onchange: () => loadBook() }, h('option', { value: '' }, 'all categories'));
    const bookBody = h('div', null, loading());
    let bookGeneration = 0;
    async function loadBook() {
      const mine = ++bookGeneration;
      const filter = { limit: 100 };
      if (kind.value) filter.kind = kind.value;
      if (category.value !== '') {
        if (kind.value === 'app' || kind.value === 'dataset') {
          replace(bookBody, problem('App and dataset orders have no category: choose request or workerpool orders, or all categories.'));
          return;
        }
        filter.category = Number(category.value);
      }
      replace(bookBody, loading());
      try {
        const book = await ctx.rpc('iex_getOrderBook', [filter]);
        if (mine !== bookGeneration) return;
        replace(bookBody,
          h('p', { class: 'muted' }, `${f.int(book.orders.length)} shown of ${f.int(book.open)} open orders matching, at block ${f.int(book.height)}.`),
          orderRows(ctx, book.orders));
      } catch (e) {
        if (mine === bookGeneration) replace(bookBody, problem(`Could not load the order book: ${errorText(e)}`));
      }
    }

    const categories = section('Task categories', 'market-categories', async () => {
      const list = await ctx.rpc('iex_getCategories', []);
      for (const c of list) category.append(h('option', { value: String(f.num(c.id)) }, `${f.int(c.id)} (${c.name})`));
      return table(
        [{ label: 'Id', num: true }, { label: 'Name' }, { label: 'Time reference' }, { label: 'Max fuel', num: true }, { label: 'Max memory' },
          { label: 'Replica deadline' }, { label: 'Contributions close' }, { label: 'Reveal deadline' }, { label: 'Final deadline' }],
        list.map((c) => [f.int(c.id), c.name, `${f.int(c.timeRefBlocks)} blocks (${c.timeRefSeconds} s)`, f.int(c.maxFuel), `${f.int(c.maxMemoryMb)} MB`,
          `${f.int(c.replicaDeadlineBlocks)} blocks (${c.replicaDeadlineSeconds} s)`, `${f.int(c.contributionDeadlineBlocks)} blocks`,
          `${f.int(c.revealDeadlineBlocks)} blocks`, `${f.int(c.finalDeadlineBlocks)} blocks (${c.finalDeadlineSeconds} s)`]),
        'No categories.');
    });

    // Tasks by status.
    const taskStatus = h('select', { id: 'tasks-status', onchange: () => { tasks = makeTasks(); replace(tasksHolder, tasks.el); } },
      STATUSES.map((s) => h('option', { value: s, selected: s === 'completed' }, s)));
    const makeTasks = () => pagedList('tasks', (cursor) => ctx.rpc('iex_listTasks', { status: taskStatus.value, limit: 20, ...(cursor ? { cursor } : {}) }), (items) => taskRows(ctx, items));
    let tasks = makeTasks();
    const tasksHolder = h('div', null, tasks.el);

    const offered = section('Workerpools, apps and datasets on offer', 'market-offered', async () => {
      const lists = await Promise.all(['workerpool', 'app', 'dataset'].map((k) => ctx.rpc('iex_getOrderBook', [{ kind: k, limit: 1000 }])));
      const [pools, apps, datasets] = lists.map((book, i) => {
        const key = ['workerpool', 'app', 'dataset'][i];
        const counts = new Map();
        for (const o of book.orders) {
          const id = o.order?.[key];
          if (!id) continue;
          const c = counts.get(id) ?? { orders: 0, remaining: 0n };
          c.orders += 1;
          c.remaining += BigInt(o.remaining);
          counts.set(id, c);
        }
        return counts;
      });
      const detail = async (kind, method, ids) => Promise.all([...ids].map((id) => ctx.rpc(method, [id]).catch(() => null)));
      const [poolRecords, appRecords, datasetRecords] = await Promise.all([
        detail('pool', 'iex_getPool', pools.keys()), detail('app', 'iex_getApp', apps.keys()), detail('dataset', 'iex_getDataset', datasets.keys())]);
      const ids = (m) => [...m.keys()];
      return [
        h('h3', null, 'Workerpools'),
        table([{ label: 'Workerpool' }, { label: 'Description' }, { label: 'Workers', num: true }, { label: 'Completed', num: true }, { label: 'Failed', num: true }, { label: 'Open orders', num: true }],
          ids(pools).map((id, i) => [idLink(ctx, 'pool', id), poolRecords[i]?.description ?? '—', poolRecords[i] ? String(poolRecords[i].workers.length) : '—',
            poolRecords[i] ? f.int(poolRecords[i].tasksCompleted) : '—', poolRecords[i] ? f.int(poolRecords[i].tasksFailed) : '—', String(pools.get(id).orders)]),
          'No workerpool orders open.', { 'data-list': 'pools' }),
        h('h3', null, 'Apps'),
        table([{ label: 'App' }, { label: 'Name' }, { label: 'Runtime' }, { label: 'Status' }, { label: 'Open orders', num: true }],
          ids(apps).map((id, i) => [idLink(ctx, 'app', id), named(appRecords[i]?.name), appRecords[i]?.runtime ?? '—', appRecords[i]?.status ?? '—', String(apps.get(id).orders)]),
          'No app orders open.', { 'data-list': 'apps' }),
        h('h3', null, 'Datasets'),
        table([{ label: 'Dataset' }, { label: 'Name' }, { label: 'Size' }, { label: 'Open orders', num: true }],
          ids(datasets).map((id, i) => [idLink(ctx, 'dataset', id), named(datasetRecords[i]?.name), datasetRecords[i] ? `${f.int(datasetRecords[i].size)} bytes` : '—', String(datasets.get(id).orders)]),
          'No dataset orders open.', { 'data-list': 'datasets' }),
      ];
    });

    replace(el,
      h('h1', null, 'Market'),
      totals.el,
      h('section', { 'aria-labelledby': 'market-book' },
        h('h2', { id: 'market-book' }, 'Order book'),
        h('p', { class: 'controls' },
          h('label', { for: 'book-kind' }, 'Kind '), kind, ' ',
          h('label', { for: 'book-category' }, 'Category '), category),
        bookBody),
      h('section', { 'aria-labelledby': 'market-tasks' },
        h('h2', { id: 'market-tasks' }, 'Tasks'),
        h('p', { class: 'controls' }, h('label', { for: 'tasks-status' }, 'Status '), taskStatus),
        tasksHolder),
      offered.el,
      categories.el);
    loadBook();

    const refresh = coalesce(async () => {
      await Promise.all([totals.reload(), tasks.refreshLive()]);
    }, 1000);
    const unsubscribe = ctx.subscribe('tasks', null, () => refresh.poke(), () => refresh.poke());
    return () => {
      unsubscribe();
      refresh.stop();
    };
  },
};
