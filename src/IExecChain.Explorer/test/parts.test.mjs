import { test } from 'node:test';
import assert from 'node:assert/strict';
import { installFakeDom } from './fake-dom.mjs';

installFakeDom();
const { pagedList } = await import('../app/pages/parts.js');

// A page fetch the test answers when it chooses: calls[i].answer({ items, next }).
function controlledFetch() {
  const calls = [];
  const fetchPage = (cursor) => new Promise((resolve, reject) => calls.push({ cursor, answer: resolve, fail: reject }));
  return { calls, fetchPage };
}
const settle = () => new Promise((r) => setImmediate(r));
const buttons = (list) => list.el.all('button');
const shown = (list) => list.el.children[0].textContent;

test('a live reload while the user\'s "Older" click is loading does not cancel the click', async () => {
  const { calls, fetchPage } = controlledFetch();
  const list = pagedList('tasks', fetchPage, (items) => items.join(','));
  calls[0].answer({ items: ['t9', 't8'], next: 'c1' });
  await settle();
  const [, older] = buttons(list);
  assert.equal(older.disabled, false);

  older.click(); // the user asks for page 2
  assert.equal(calls.at(-1).cursor, 'c1');
  await list.reload(); // an event arrives meanwhile: the page is not fetched again over the click
  assert.equal(calls.length, 2, 'the reload did not fetch while the user\'s page loads');
  calls[1].answer({ items: ['t7', 't6'], next: null });
  await settle();
  assert.equal(shown(list), 't7,t6', 'the older page the user asked for is shown');
  assert.equal(calls.length, 3, 'the reload that waited is made once the page has landed');
  assert.equal(calls[2].cursor, 'c1', 'of the page shown');
  calls[2].answer({ items: ['t7', 't6', 't5'], next: null });
  await settle();
  assert.equal(shown(list), 't7,t6,t5');
});

test('a live refresh touches the first page only, also while the user goes back to it', async () => {
  const { calls, fetchPage } = controlledFetch();
  const list = pagedList('tasks', fetchPage, (items) => items.join(','));
  calls[0].answer({ items: ['t9'], next: 'c1' });
  await settle();
  buttons(list)[1].click();
  calls[1].answer({ items: ['t8'], next: null });
  await settle();
  list.refreshLive();
  assert.equal(calls.length, 2, 'page 2 is not live');
  buttons(list)[0].click(); // back to the first page
  list.refreshLive(); // an event while it loads
  calls[2].answer({ items: ['t9'], next: 'c1' });
  await settle();
  assert.equal(calls.length, 4, 'the event is fetched for once the first page is back');
  calls[3].answer({ items: ['t10', 't9'], next: 'c1' });
  await settle();
  assert.equal(shown(list), 't10,t9');
});

test('after a failed "Older", "Newer" goes back to the page before it, never past the first', async () => {
  const { calls, fetchPage } = controlledFetch();
  const list = pagedList('tasks', fetchPage, (items) => items.join(','));
  calls[0].answer({ items: ['t9'], next: 'c1' });
  await settle();
  const [newer, older] = buttons(list);
  older.click();
  calls[1].fail(Object.assign(new Error('node down'), { code: null }));
  await settle();
  assert.equal(shown(list), 'Could not load tasks: node down');
  assert.equal(older.disabled, true);
  assert.equal(newer.disabled, false);
  newer.click();
  assert.equal(calls.at(-1).cursor, null, 'the first page');
  calls.at(-1).answer({ items: ['t9'], next: 'c1' });
  await settle();
  assert.equal(shown(list), 't9');
  assert.equal(newer.disabled, true, 'nothing newer than the first page');
  newer.disabled = false; // even forced, a click before the first page does nothing
  const before = calls.length;
  newer.click();
  assert.equal(calls.length, before);
});

test('a failed page says so in place and the next reload recovers', async () => {
  const { calls, fetchPage } = controlledFetch();
  const list = pagedList('tasks', fetchPage, (items) => items.join(','));
  calls[0].fail(Object.assign(new Error('node down'), { code: null }));
  await settle();
  assert.equal(shown(list), 'Could not load tasks: node down');
  list.reload();
  calls[1].answer({ items: ['t1'], next: null });
  await settle();
  assert.equal(shown(list), 't1');
});
