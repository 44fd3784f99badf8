// Blocks, newest first (iex_listBlocks, paged by cursor). The first page is live: each newHeads
// event (same fields as the list's items) is put on top in memory, and the table is drawn at most
// every 250 ms however fast blocks come.
import { h, replace } from '../dom.js';
import { account, block, coalesce, errorText, loading, pagedList, problem, table, when } from './parts.js';

const PAGE = 25;

export function blockRows(ctx, items) {
  return table(
    [{ label: 'Height' }, { label: 'Hash' }, { label: 'Time' }, { label: 'Transactions', num: true }, { label: 'Proposer' }],
    items.map((b) => [
      block(ctx, b.number),
      h('a', { href: ctx.link('block', ctx.format.num(b.number)), class: 'hash', title: b.hash }, ctx.format.shortHash(b.hash)),
      when(ctx, b.timestamp),
      ctx.format.int(b.transactionCount),
      account(ctx, b.proposer),
    ]),
    'No blocks.',
    { 'data-list': 'blocks' });
}

export default {
  path: /^\/blocks$/,
  title: 'Blocks',
  nav: true,

  async render(el, _match, ctx) {
    let latest = null; // the live first page: newest first
    const live = h('div', null, loading());
    const liveNote = h('p', { class: 'muted', role: 'status' });
    let older = null; // a paged list once the user leaves the first page

    async function loadFirst() {
      const page = await ctx.rpc('iex_listBlocks', { limit: PAGE });
      latest = { items: page.items, next: page.next };
      draw();
    }
    function draw() {
      // A refetch of the live page that ends after the user went to older blocks must not replace them.
      if (!latest || older) return;
      replace(live, blockRows(ctx, latest.items),
        h('div', { class: 'pager' }, h('button', { type: 'button', disabled: !latest.next, onclick: showOlder }, 'Older →')));
      liveNote.textContent = latest.items.length ? `Live: newest block ${ctx.format.int(latest.items[0].number)}.` : '';
    }
    async function showOlder() {
      if (!latest?.next) return;
      // The live page moved on since it was fetched: take the cursor after the current newest page.
      let firstCursor;
      try {
        firstCursor = (await ctx.rpc('iex_listBlocks', { limit: PAGE })).next;
      } catch (e) {
        replace(live, problem(`Could not load older blocks: ${errorText(e)}`));
        return;
      }
      if (!firstCursor) return;
      older = pagedList('blocks', (cursor) => ctx.rpc('iex_listBlocks', { limit: PAGE, cursor: cursor ?? firstCursor }), (items) => blockRows(ctx, items));
      replace(live, h('p', null, h('button', { type: 'button', onclick: backToLive }, '← Newest (live)')), older.el);
      liveNote.textContent = 'Older blocks (not live).';
    }
    function backToLive() {
      older = null;
      draw();
      redraw.poke(); // heads missed while older blocks were shown (a reconnection) are fetched now
    }

    let gap = false; // a head was missed (socket reconnected): the page is fetched again
    const redraw = coalesce(async () => {
      if (older) return;
      if (gap) {
        gap = false;
        await loadFirst().catch((e) => replace(live, problem(`Could not load the blocks: ${errorText(e)}`)));
      } else {
        draw();
      }
    }, 250);
    const unsubscribe = ctx.subscribe('newHeads', null, (head) => {
      if (!latest) return; // the first page, fetched next, holds it
      // Memory only per event; the table is drawn by the coalesced redraw.
      const top = latest.items.length ? ctx.format.num(latest.items[0].number) : -1;
      const number = ctx.format.num(head.number);
      if (number <= top) return;
      if (top >= 0 && number > top + 1) gap = true;
      latest.items.unshift(head);
      if (latest.items.length > PAGE) latest.items.length = PAGE;
      latest.next ??= 'more';
      redraw.poke();
    }, () => {
      // Confirmed (again): heads sent before, or while the socket was down, never came.
      if (!latest) return;
      gap = true;
      redraw.poke();
    });

    replace(el, h('h1', null, 'Blocks'), liveNote, live);
    try {
      await loadFirst();
    } catch (e) {
      replace(live, problem(`Could not load the blocks: ${errorText(e)}`));
    }
    return () => {
      unsubscribe();
      redraw.stop();
    };
  },
};
