// The dashboard: the chain live. Sources (docs/rpc.md): newHeads (height, transactions per block),
// the tasks topic (tasks completed and failed), iex_chainStats (transactions per second and block
// interval over the last 100 blocks), iex_nodeInfo (peers, mempool), iex_getValidators, and the head
// block's commit (finality: its last precommit's time minus the block's time).
// Events only update numbers; the page draws from them at most every 250 ms (app/live.js).
import { h, replace, setText } from '../dom.js';
import { named } from './parts.js';
import { createDrawScheduler, BucketSeries } from '../live.js';
import { createLineChart } from '../chart.js';

const BUCKET_MS = 2000;
const BUCKETS = 90; // three minutes of history
const REFRESH_MS = 2000;
const VALIDATORS_EVERY = 3; // refreshes

/** Finality of a block: from its proposal time to the last precommit of the commit that finalized it. */
export function finalityMs(block, format) {
  const signatures = block?.commit?.signatures;
  if (!signatures || signatures.length === 0) return null;
  const proposed = format.num(block.timestamp);
  let last = 0;
  for (const s of signatures) last = Math.max(last, format.num(s.timestamp));
  return Math.max(0, last - proposed);
}

function figure(name, label, note) {
  const value = h('dd', { class: 'figure-value', 'data-figure': name }, '—');
  const sub = h('dd', { class: 'figure-note' }, note ?? '');
  return { el: h('div', { class: 'figure' }, h('dt', null, label), value, sub), value, sub };
}

export default {
  path: /^\/$/,
  title: 'Dashboard',
  nav: true,
  href: '/',

  async render(el, _match, ctx) {
    const f = ctx.format;
    const figures = {
      height: figure('height', 'Height'),
      interval: figure('interval', 'Block interval', 'mean, last 100 blocks'),
      tps: figure('tps', 'Transactions/s', 'last 100 blocks'),
      finality: figure('finality', 'Finality', 'head block'),
      tasks: figure('tasks', 'Tasks completed', 'last 100 blocks'),
      peers: figure('peers', 'Peers'),
      mempool: figure('mempool', 'Mempool'),
    };
    const throughputChart = createLineChart({ title: 'Throughput (tx/s)', format: (v) => f.decimal(v, 1) });
    const finalityChart = createLineChart({ title: 'Finality', format: (v) => f.ms(v) });
    const tasksChart = createLineChart({ title: 'Tasks completed (per s)', format: (v) => f.decimal(v, 1) });
    const problem = h('p', { class: 'error', role: 'alert', hidden: true });
    const validatorRows = h('tbody');
    const validatorCount = h('span', { class: 'muted' });
    replace(el,
      h('h1', null, 'Dashboard'),
      h('p', { class: 'muted', 'data-figure': 'chain' }, 'Loading the chain…'),
      problem,
      h('section', { 'aria-labelledby': 'dash-chain' },
        h('h2', { id: 'dash-chain' }, 'Chain'),
        h('dl', { class: 'figures' }, Object.values(figures).map((x) => x.el))),
      h('section', { 'aria-labelledby': 'dash-activity' },
        h('h2', { id: 'dash-activity' }, 'Activity, last three minutes'),
        h('div', { class: 'charts' }, throughputChart.el, finalityChart.el, tasksChart.el)),
      h('section', { 'aria-labelledby': 'dash-validators' },
        h('h2', { id: 'dash-validators' }, 'Validators ', validatorCount),
        h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': 'Validators table' },
          h('table', null,
            h('thead', null, h('tr', null,
              [['Validator'], ['Voting power', 'num'], ['Stake', 'num'], ['Reputation', 'num'], ['Signed', 'num'], ['Missed', 'num'], ['Status']]
                .map(([c, kind]) => h('th', { scope: 'col', class: kind }, c)))),
            validatorRows))));
    const chainLine = el.querySelector('[data-figure="chain"]');

    // What the events and refreshes leave for the next drawing.
    const state = {
      head: null, // { number, timestamp, transactionCount }
      info: null,
      stats: null,
      validators: null,
      finality: null,
      error: null,
    };
    const throughput = new BucketSeries(BUCKET_MS, BUCKETS);
    const finality = new BucketSeries(BUCKET_MS, BUCKETS);
    const tasks = new BucketSeries(BUCKET_MS, BUCKETS);
    const blockTimes = new Map(); // height -> block time, for task events (they carry the height)

    function onHead(head) {
      const number = f.num(head.number);
      const time = f.num(head.timestamp);
      // Each height counts once: a refetch after a reconnection overlaps what the socket delivered,
      // and fills in heights below the newest one seen.
      if (blockTimes.has(number)) return;
      if (!state.head || number > state.head.number) state.head = { number, timestamp: time };
      throughput.add(time, f.num(head.transactionCount));
      finality.advance(time);
      tasks.advance(time);
      blockTimes.set(number, time);
      if (blockTimes.size > 2000) blockTimes.delete(blockTimes.keys().next().value);
    }

    function onTask(event) {
      if (event.event !== 'completed') return;
      const time = blockTimes.get(f.num(event.blockNumber)) ?? state.head?.timestamp;
      if (time !== undefined) tasks.add(time, 1);
      scheduler.schedule();
    }

    // The validators' rows are kept and their cells updated in place (a rebuilt table would take the
    // keyboard focus off a link in it on every refresh); rows are created, moved or removed only when
    // the set or its order changes.
    const validatorRowsByAddress = new Map();
    function validatorRow(address) {
      const cells = Array.from({ length: 5 }, () => h('td', { class: 'num' }));
      const status = h('td');
      const tr = h('tr', null,
        h('td', null, h('a', { href: ctx.link('account', address), class: 'hash', title: address }, f.shortHash(address))),
        cells, status);
      return { tr, cells, status };
    }
    function drawValidators() {
      const list = state.validators;
      if (!list) return;
      const head = state.head?.number ?? f.num(list.blockNumber);
      setText(validatorCount, `(${list.validators.length})`);
      const wanted = list.validators.map((v) => v.address);
      for (const [address, row] of validatorRowsByAddress) {
        if (!wanted.includes(address)) { row.tr.remove(); validatorRowsByAddress.delete(address); }
      }
      list.validators.forEach((v, index) => {
        let row = validatorRowsByAddress.get(v.address);
        if (!row) validatorRowsByAddress.set(v.address, row = validatorRow(v.address));
        if (validatorRows.children[index] !== row.tr) validatorRows.insertBefore(row.tr, validatorRows.children[index] ?? null);
        const jailedUntil = f.num(v.jailedUntil);
        const status = !v.admitted ? 'not admitted' : jailedUntil > head ? `jailed until #${f.int(jailedUntil)}` : 'active';
        [f.int(v.votingPower), f.rlc(v.stake), f.int(v.reputation), f.int(v.blocksSigned), f.int(v.blocksMissed)]
          .forEach((text, i) => setText(row.cells[i], text));
        setText(row.status, status);
        row.tr.classList.toggle('warn', status !== 'active');
      });
    }

    function draw() {
      if (state.head) setText(figures.height.value, f.int(state.head.number));
      if (state.head) setText(figures.height.sub, f.ago(state.head.timestamp));
      const stats = state.stats;
      if (stats) {
        setText(figures.interval.value, stats.blockIntervalMs ? f.ms(stats.blockIntervalMs.mean) : '—');
        setText(figures.interval.sub, stats.blockIntervalMs ? `mean, median ${f.ms(stats.blockIntervalMs.median)}, last ${f.int(stats.blocks)} blocks` : '');
        setText(figures.tps.value, stats.transactionsPerSecond == null ? '—' : f.decimal(stats.transactionsPerSecond, 1));
        setText(figures.tps.sub, `last ${f.int(stats.blocks)} blocks`);
        setText(figures.tasks.value, f.int(stats.tasksCompleted));
        setText(figures.tasks.sub, `${f.int(stats.tasksFailed)} failed, last ${f.int(stats.blocks)} blocks`);
      }
      if (state.finality !== null) setText(figures.finality.value, f.ms(state.finality));
      const info = state.info;
      if (info) {
        setText(figures.peers.value, f.int(info.peers));
        setText(figures.mempool.value, f.int(info.mempool?.count ?? 0));
        setText(figures.mempool.sub, `${f.int(info.mempool?.bytes ?? 0)} bytes`);
        const rest = ` · chain id ${f.int(info.chainId)} · node ${info.roles.join(', ')} · version ${info.version ?? '?'}`;
        if (chainLine.textContent !== info.chainName + rest) replace(chainLine, named(info.chainName), rest);
      }
      throughputChart.update(throughput.points().map((p) => p.sum / (BUCKET_MS / 1000)));
      finalityChart.update(finality.points().map((p) => (p.count ? p.sum / p.count : null)));
      tasksChart.update(tasks.points().map((p) => p.sum / (BUCKET_MS / 1000)));
      drawValidators();
      problem.hidden = !state.error;
      if (state.error) setText(problem, state.error);
    }

    const scheduler = createDrawScheduler(draw, 250);

    async function refresh(withValidators) {
      const head = state.head?.number ?? 0;
      const calls = [
        ctx.rpc('iex_nodeInfo'),
        head > 0 ? ctx.rpc('iex_chainStats', {}) : Promise.resolve(null),
        head > 0 ? ctx.rpc('iex_getBlockByNumber', ['latest', false]) : Promise.resolve(null),
        withValidators ? ctx.rpc('iex_getValidators') : Promise.resolve(null),
      ];
      const [info, stats, block, validators] = await Promise.all(calls);
      state.info = info;
      if (stats) state.stats = stats;
      if (block) onBlock(block);
      if (validators) state.validators = validators;
    }

    // The head block fetched whole, for its finality. The height shown moves with newHeads only, so
    // a page whose socket is down shows it (the status says "reconnecting") instead of hiding it.
    let finalityOf = -1; // the block whose finality the chart has (the refresh fetches the head again and again)
    function onBlock(block) {
      const time = f.num(block.timestamp);
      const number = f.num(block.number);
      if (!state.head) state.head = { number, timestamp: time };
      if (number === finalityOf) return;
      const value = finalityMs(block, f);
      if (value !== null) {
        finalityOf = number;
        state.finality = value;
        finality.add(time, value);
      }
    }

    // First drawing: everything the page shows, fetched at once (what "interactive" waits for).
    // On a chain still at genesis iex_chainStats has no window (-32602): the figures wait for blocks.
    const noWindowYet = (e) => { if (e instanceof ctx.RpcError && e.code === -32602) return null; throw e; };
    const [info, recent, validators, stats, block] = await Promise.all([
      ctx.rpc('iex_nodeInfo'),
      ctx.rpc('iex_listBlocks', { limit: 100 }),
      ctx.rpc('iex_getValidators'),
      ctx.rpc('iex_chainStats', {}).catch(noWindowYet),
      ctx.rpc('iex_getBlockByNumber', ['latest', false]),
    ]);
    state.info = info;
    state.validators = validators;
    for (const header of [...recent.items].reverse()) onHead(header);
    state.stats = stats;
    if (block) onBlock(block);
    draw();

    // Heads made before the subscription was confirmed (after the first fetch, or while the socket was
    // down) never arrive as events: the newest 100 are fetched again, and onHead counts each height once.
    async function catchUp() {
      try {
        // Back to the newest height counted before, or to the start of the charts' window.
        const known = state.head?.number ?? 0;
        const windowStart = Date.now() - BUCKET_MS * BUCKETS;
        let cursor = null;
        for (let pages = 0; pages < 20; pages++) {
          const page = await ctx.rpc('iex_listBlocks', { limit: 100, ...(cursor ? { cursor } : {}) });
          if (stopped) return;
          for (const header of [...page.items].reverse()) onHead(header);
          const oldest = page.items.at(-1);
          if (!page.next || !oldest || f.num(oldest.number) <= known || f.num(oldest.timestamp) < windowStart) break;
          cursor = page.next;
        }
        scheduler.schedule();
      } catch (e) {
        state.error = `Could not catch up with the blocks made while the connection was down: ${e.message}`;
        scheduler.schedule();
      }
    }

    const unsubscribe = [
      ctx.subscribe('newHeads', null, (head) => { onHead(head); scheduler.schedule(); }, catchUp),
      ctx.subscribe('tasks', { status: 'completed' }, onTask),
    ];

    let stopped = false;
    let timer = null;
    let round = 0;
    async function loop() {
      timer = null;
      if (stopped) return;
      if (!document.hidden) {
        try {
          await refresh(++round % VALIDATORS_EVERY === 0);
          state.error = null;
        } catch (e) {
          state.error = `Could not refresh the figures: ${e.message}`;
        }
        scheduler.schedule();
      }
      if (!stopped) timer = setTimeout(loop, REFRESH_MS);
    }
    timer = setTimeout(loop, REFRESH_MS);

    return () => {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      scheduler.stop();
      for (const u of unsubscribe) u();
    };
  },
};
