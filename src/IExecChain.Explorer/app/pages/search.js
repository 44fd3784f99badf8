// Search: one box for a block number, a 32-byte hash (block, transaction, deal, task or order) or a
// 20-byte address (account, app, dataset, workerpool). The input's shape decides which lookups are
// tried; one match opens its page, several are listed, none is said, and input of no known shape
// is refused in place with what was expected.
import { h, replace } from '../dom.js';
import { errorText, loading, named, problem, query } from './parts.js';

const EXPECTED = 'Enter a block number (such as 12), a 32-byte hash (0x and 64 hex digits: a block, transaction, deal, task or order) or a 20-byte address (0x and 40 hex digits: an account, app, dataset or workerpool).';

/** What the input is by its shape: { kind: 'number' | 'hash' | 'address', value } or { error }. */
export function classify(input) {
  const text = input.trim();
  if (text === '') return { empty: true };
  if (/^\d+$/.test(text)) {
    if (BigInt(text) > 18446744073709551615n) return { error: `Not a block number: “${text}” is above the largest height (2^64 - 1).` };
    return { kind: 'number', value: BigInt(text).toString() };
  }
  const hex = /^0x/i.test(text) ? text.slice(2) : text;
  if (/^[0-9a-fA-F]+$/.test(hex) && (/^0x/i.test(text) || hex.length === 64 || hex.length === 40)) {
    if (hex.length === 64) return { kind: 'hash', value: '0x' + hex.toLowerCase() };
    if (hex.length === 40) return { kind: 'address', value: '0x' + hex.toLowerCase() };
    return { error: `Not a block number, hash or address: “${text}” has ${hex.length} hex digits; a hash has 64 and an address 40.` };
  }
  return { error: `Not a block number, hash or address: “${text}”.` };
}

/** Every record the node holds under this id: [{ kind, label, href }]. */
async function candidates(ctx, c) {
  const f = ctx.format;
  if (c.kind === 'number') {
    const b = await ctx.rpc('iex_getBlockByNumber', [c.value, false]);
    if (!b) {
      const head = await ctx.rpc('iex_blockNumber');
      return { none: `No block ${f.int(c.value)} yet: the head is ${f.int(head)}.` };
    }
    return { found: [{ kind: 'block', label: `Block ${f.int(b.number)}`, href: ctx.link('block', f.num(b.number)) }] };
  }
  if (c.kind === 'hash') {
    const [block, tx, deal, task, order] = await Promise.all([
      ctx.rpc('iex_getBlockByHash', [c.value, false]), ctx.rpc('iex_getTransaction', [c.value]),
      ctx.rpc('iex_getDeal', [c.value]), ctx.rpc('iex_getTask', [c.value]), ctx.rpc('iex_getOrder', [c.value])]);
    const found = [];
    if (block) found.push({ kind: 'block', label: `Block ${f.int(block.number)}`, href: ctx.link('block', f.num(block.number)) });
    if (tx) found.push({ kind: 'tx', label: `Transaction (${tx.type}) in block ${f.int(tx.blockNumber)}`, href: ctx.link('tx', c.value) });
    if (deal) found.push({ kind: 'deal', label: 'Deal', href: ctx.link('deal', c.value) });
    if (task) found.push({ kind: 'task', label: `Task (${task.status})`, href: ctx.link('task', c.value) });
    if (order) found.push({ kind: 'order', label: `${order.kind} order (${order.status})`, href: ctx.link('order', c.value) });
    if (found.length === 0) return { none: `No block, transaction, deal, task or order has the id ${c.value}.` };
    return { found };
  }
  const [app, dataset, pool] = await Promise.all([
    ctx.rpc('iex_getApp', [c.value]), ctx.rpc('iex_getDataset', [c.value]), ctx.rpc('iex_getPool', [c.value])]);
  // Every well-formed address is an account (one never used reads as zeros).
  const found = [{ kind: 'account', label: 'Account', href: ctx.link('account', c.value) }];
  if (app) found.push({ kind: 'app', label: ['App “', named(app.name), '”'], href: ctx.link('app', c.value) });
  if (dataset) found.push({ kind: 'dataset', label: ['Dataset “', named(dataset.name), '”'], href: ctx.link('dataset', c.value) });
  if (pool) found.push({ kind: 'pool', label: ['Workerpool “', named(pool.description), '”'], href: ctx.link('pool', c.value) });
  return { found };
}

export default {
  path: /^\/search(?:\?(.*))?$/,
  title: 'Search',
  nav: true,
  href: '/search',

  async render(el, match, ctx) {
    const q = query(match[1]).q ?? '';
    const input = h('input', { id: 'search-q', name: 'q', type: 'search', value: q, autocomplete: 'off', spellcheck: 'false',
      placeholder: 'block, hash or address', 'aria-describedby': 'search-help' });
    const result = h('div', { id: 'search-result', 'aria-live': 'polite' });
    const form = h('form', {
      role: 'search',
      class: 'search',
      onsubmit: (e) => {
        e.preventDefault();
        const target = '#/search?q=' + encodeURIComponent(input.value.trim());
        if (location.hash === target) resolve(input.value); // same query again: search again
        else location.hash = target;
      },
    }, h('label', { for: 'search-q' }, 'Search'), ' ', input, ' ', h('button', { type: 'submit' }, 'Search'));

    async function resolve(text) {
      const c = classify(text);
      if (c.empty) { replace(result); return; }
      if (c.error) { replace(result, h('p', { class: 'error', role: 'alert', 'data-search': 'malformed' }, c.error)); return; }
      replace(result, loading('Searching…'));
      let answer;
      try {
        answer = await candidates(ctx, c);
      } catch (e) {
        replace(result, problem(`The search failed: ${errorText(e)}`));
        return;
      }
      if (answer.none) {
        replace(result, h('p', { class: 'error', role: 'alert', 'data-search': 'not-found' }, answer.none));
        return;
      }
      // The user may have gone elsewhere while the lookups ran: neither navigate nor draw then.
      if (!el.isConnected) return;
      if (answer.found.length === 1) {
        // One match: open it, in place of the search in the history (Back returns to where the user was).
        location.replace(answer.found[0].href);
        return;
      }
      replace(result, h('p', null, `${answer.found.length} matches for ${c.value}:`),
        h('ul', { 'data-search': 'matches' }, answer.found.map((m) => h('li', null, h('a', { href: m.href }, m.label)))));
    }

    replace(el, h('h1', null, 'Search'), form,
      h('p', { id: 'search-help', class: 'muted' }, EXPECTED), result);
    if (!q) input.focus();
    await resolve(q);
  },
};
