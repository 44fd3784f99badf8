// Building blocks shared by the browse pages (blocks, transactions, accounts, search, market,
// governance, checkpoints, bridge): links to entities, label/value tables, lists, sections that
// load on their own and say in place what went wrong, cursor paging and coalesced live refresh.
// Not a page: pages/index.js does not list it.
import { h, replace } from '../dom.js';

export const HASH = /^0x[0-9a-f]{64}$/;
export const ADDRESS = /^0x[0-9a-f]{40}$/;
export const ZERO_HASH = '0x' + '0'.repeat(64);

/** A route's captured id, URL-decoded and lowercased (hashes and addresses are lowercase on the wire). */
export function routeId(match, index = 1) {
  try {
    return decodeURIComponent(match[index] ?? '').trim().toLowerCase();
  } catch {
    return String(match[index] ?? '');
  }
}

/**
 * A name someone registered on the chain (app, dataset, workerpool, chain), isolated for the
 * bidirectional algorithm: right-to-left or override characters in it cannot reorder the text around
 * it (a name ending in U+202E would otherwise show the address after it reversed).
 */
export function named(text) {
  return h('bdi', null, String(text ?? '—'));
}

/** A link to an entity, its id shortened, the full value in the title. */
export function idLink(ctx, kind, id, text) {
  if (id === undefined || id === null || id === '') return '—';
  const full = String(id);
  return h('a', { href: ctx.link(kind, full), class: text ? null : 'hash', title: full }, text ?? ctx.format.shortHash(full));
}

/** An address as a link to its account page. */
export function account(ctx, address) {
  return idLink(ctx, 'account', address);
}

/** A block height as a link. */
export function block(ctx, height) {
  if (height === undefined || height === null) return '—';
  const n = ctx.format.num(height);
  return h('a', { href: ctx.link('block', n) }, ctx.format.int(n));
}

/** A hash or other long value in full, selectable, with a button that copies it. */
export function full(value) {
  if (value === undefined || value === null || value === '') return '—';
  const text = String(value);
  const code = h('code', { class: 'hash full' }, text);
  const button = h('button', {
    type: 'button',
    class: 'copy',
    'aria-label': 'Copy ' + text,
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(text);
        button.textContent = 'Copied';
      } catch {
        // No clipboard permission: select the text for the user to copy.
        const range = document.createRange();
        range.selectNodeContents(code);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        button.textContent = 'Selected';
      }
    },
  }, 'Copy');
  return h('span', { class: 'full-value' }, code, ' ', button);
}

/** A short hash (not a link) with its full value in the title. */
export function short(ctx, value) {
  if (value === undefined || value === null || value === '') return '—';
  return h('span', { class: 'hash', title: String(value) }, ctx.format.shortHash(String(value)));
}

/** Height with its meaning: "1,234". */
export function height(ctx, q) {
  return q === undefined || q === null ? '—' : ctx.format.int(q);
}

/** A Unix-ms time: "2026-12-05 10:00:01 UTC (3 s ago)". */
export function when(ctx, q) {
  if (q === undefined || q === null) return '—';
  return h('time', { datetime: new Date(ctx.format.num(q)).toISOString() }, `${ctx.format.time(q)} (${ctx.format.ago(q)})`);
}

/** A fraction scaled by 1,000,000 as a percentage: 750000 → "75 %". */
export function millionths(ctx, n) {
  if (n === undefined || n === null) return '—';
  return `${ctx.format.decimal(Number(n) / 10000, 2)} %`;
}

/** A status word in a badge (data-status for the style sheet and the tests). */
export function status(text) {
  if (text === undefined || text === null) return '—';
  return h('span', { class: 'badge', 'data-status': String(text) }, String(text));
}

/** A recorded reason (receipt failure, task outcome): its name and arguments. */
export function reason(ctx, r) {
  if (!r) return null;
  const parts = [h('code', null, r.name ?? `code ${r.code}`)];
  if (r.numbers?.length) parts.push(' numbers: ', r.numbers.map((n) => ctx.format.int(n)).join(', '));
  if (r.ids?.length) parts.push(' ids: ', r.ids.flatMap((id, i) => [i ? ', ' : '', short(ctx, id)]));
  return h('span', null, parts);
}

/**
 * A label/value table: rows are [label, value] (value a string, node or array); rows whose value
 * is undefined are left out, so optional fields of a record show only when present.
 */
export function fields(rows, attributes) {
  return h('table', { class: 'kv', ...attributes },
    h('tbody', null, rows.filter((r) => r && r[1] !== undefined).map(([label, value, key]) =>
      h('tr', key ? { 'data-field': key } : null, h('th', { scope: 'row' }, label), h('td', null, value ?? '—')))));
}

/**
 * A table in a scrolling frame: columns are { label, num? }, rows arrays of cells. An empty list
 * gets one row saying so.
 */
export function table(columns, rows, emptyText = 'Nothing to show.', attributes) {
  const body = rows.length
    ? rows.map((cells) => h('tr', null, cells.map((c, i) => h('td', columns[i]?.num ? { class: 'num' } : null, c ?? '—'))))
    : [h('tr', null, h('td', { colspan: String(columns.length), class: 'muted' }, emptyText))];
  return h('div', { class: 'table-scroll' },
    h('table', attributes ?? null,
      h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)))),
      h('tbody', null, body)));
}

export function loading(text = 'Loading…') {
  return h('p', { class: 'loading muted', role: 'status' }, text);
}

export function problem(text) {
  return h('p', { class: 'error', role: 'alert' }, text);
}

/** Why a call failed, in words: the node's message, or the transport failure. */
export function errorText(e) {
  if (e && e.code !== undefined && e.code !== null) return `${e.message} (error ${e.code})`;
  return e?.message ?? String(e);
}

/** Shows a page's heading with a loading line; returns the element to fill. */
export function start(el, title, subtitle) {
  const body = h('div', null, loading());
  replace(el, h('h1', null, title), subtitle ? h('p', { class: 'muted subtitle' }, subtitle) : null, body);
  return body;
}

/**
 * A section with a heading that loads its own content: `load()` returns nodes (or throws); until
 * then it says Loading…, and on failure it shows the error in place, the rest of the page intact.
 * Returns { el, reload }.
 */
export function section(title, id, load) {
  const body = h('div', null, loading());
  const el = h('section', { 'aria-labelledby': id, 'data-section': id }, h('h2', { id }, title), body);
  let generation = 0;
  async function reload() {
    const mine = ++generation;
    try {
      const content = await load();
      if (mine === generation) replace(body, content);
    } catch (e) {
      if (mine === generation) replace(body, problem(`Could not load ${title.toLowerCase()}: ${errorText(e)}`));
    }
  }
  reload();
  return { el, reload };
}

/**
 * A list the node pages with cursors (docs/rpc.md "Queries"): `fetchPage(cursor)` returns
 * { items, next }; `render(items)` returns the table. Buttons go to older and back to newer pages.
 * Returns { el, reload, refreshLive }: reload refetches the page shown (or failed to show);
 * refreshLive does so only when that page is the first, the live one.
 */
export function pagedList(label, fetchPage, render) {
  const body = h('div', null, loading());
  const position = h('span', { class: 'muted', role: 'status' });
  const newer = h('button', { type: 'button', disabled: true, onclick: () => go(index - 1, true) }, '← Newer');
  const older = h('button', { type: 'button', disabled: true, onclick: () => go(index + 1, true) }, 'Older →');
  const cursors = [null]; // cursors[i]: the cursor of page i
  let index = 0; // the page shown, or whose loading failed
  let generation = 0;
  let navigating = null; // the page the user asked for while it loads
  let reloadWanted = false; // a reload came during that navigation

  // The newest request wins, except that a reload never cancels the user's own navigation: it is
  // remembered, and made once the navigation has landed (events may postdate its answer).
  async function go(target, byUser) {
    if (target < 0 || target >= cursors.length) return;
    if (!byUser && navigating !== null) {
      reloadWanted = true;
      return;
    }
    const mine = ++generation;
    navigating = byUser ? target : null;
    newer.disabled = true;
    older.disabled = true;
    let page = null;
    let failure = null;
    try {
      page = await fetchPage(cursors[target]);
    } catch (e) {
      failure = e;
    }
    if (mine !== generation) return;
    navigating = null;
    index = target;
    cursors.length = index + 1;
    newer.disabled = index === 0;
    position.textContent = `page ${index + 1}`;
    if (failure) {
      replace(body, problem(`Could not load ${label}: ${errorText(failure)}`));
      older.disabled = true;
    } else {
      if (page.next) cursors.push(page.next);
      replace(body, render(page.items ?? []));
      older.disabled = !page.next;
    }
    if (reloadWanted) {
      reloadWanted = false;
      go(index, false);
    }
  }

  go(0, false);
  const el = h('div', { class: 'paged' }, body, h('div', { class: 'pager', role: 'group', 'aria-label': `Pages of ${label}` }, newer, ' ', position, ' ', older));
  return {
    el,
    reload: () => go(index, false),
    /** Refetches the first page when it is shown or being navigated to; other pages stay as they are. */
    refreshLive: () => ((navigating ?? index) === 0 ? go(0, false) : undefined),
  };
}

/**
 * Refreshes at most every `intervalMs` however fast events come: `poke()` per event; `refresh()`
 * (async) runs once at a time, and once more afterwards if poked meanwhile. stop() ends it.
 */
export function coalesce(refresh, intervalMs = 250) {
  let timer = null;
  let running = false;
  let again = false;
  let stopped = false;
  let last = 0;
  async function run() {
    timer = null;
    if (stopped) return;
    running = true;
    last = Date.now();
    try { await refresh(); } catch { /* the refresh shows its own errors */ }
    running = false;
    if (again && !stopped) { again = false; poke(); }
  }
  function poke() {
    if (stopped) return;
    if (running) { again = true; return; }
    if (timer !== null) return;
    timer = setTimeout(run, Math.max(0, last + intervalMs - Date.now()));
  }
  return { poke, stop() { stopped = true; if (timer !== null) clearTimeout(timer); } };
}

/** Reads `?a=b&c=d` of a route into an object (values decoded). */
export function query(text) {
  const out = {};
  for (const part of (text ?? '').split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    try { out[decodeURIComponent(key)] = decodeURIComponent(value.replace(/\+/g, ' ')); } catch { out[key] = value; }
  }
  return out;
}

/** A not-found message for an id the node does not know. */
export function notFound(el, text) {
  replace(el, h('p', { class: 'error', role: 'alert', 'data-not-found': 'true' }, text));
}

/** An id from a route checked against its shape; a wrong one gets a clear message in place. */
export function checkId(el, id, shape, what) {
  const ok = shape === 'hash' ? HASH.test(id) : shape === 'address' ? ADDRESS.test(id) : /^\d+$/.test(id);
  if (ok) return true;
  const expected = shape === 'hash' ? '0x followed by 64 hex digits' : shape === 'address' ? '0x followed by 40 hex digits' : 'a decimal number';
  replace(el, problem(`Not a valid ${what}: “${id}” (expected ${expected}).`));
  return false;
}
