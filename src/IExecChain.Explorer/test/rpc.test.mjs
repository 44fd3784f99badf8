import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSubscriptions } from '../app/rpc.js';

// A WebSocket stand-in: the test plays the node's side.
class FakeSocket {
  static OPEN = 1;
  static opened = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeSocket.opened.push(this);
  }
  send(text) { this.sent.push(JSON.parse(text)); }
  open() { this.readyState = FakeSocket.OPEN; this.onopen(); }
  receive(message) { this.onmessage({ data: JSON.stringify(message) }); }
  drop() { this.readyState = 3; this.onclose(); }
  answerSubscribes(prefix) {
    for (const m of this.sent.filter((m) => m.method === 'iex_subscribe' && !m.answered)) {
      m.answered = true;
      this.receive({ jsonrpc: '2.0', id: m.id, result: `${prefix}${m.params[0]}` });
    }
  }
}

function setup() {
  FakeSocket.opened = [];
  const timers = [];
  const statuses = [];
  const subscribe = createSubscriptions('ws://node/ws', (s, d) => statuses.push(d === undefined ? s : `${s} ${d}`), {
    WebSocket: FakeSocket,
    setTimeout: (fn, ms) => timers.push({ fn, ms }),
    random: () => 0.5,
  });
  return { subscribe, timers, statuses };
}

test('all subscriptions share one socket and get their own events', () => {
  const { subscribe } = setup();
  const heads = [];
  const tasks = [];
  subscribe('newHeads', null, (e) => heads.push(e.number));
  subscribe('tasks', { status: 'completed' }, (e) => tasks.push(e.taskId));
  assert.equal(FakeSocket.opened.length, 1);
  const socket = FakeSocket.opened[0];
  socket.open();
  assert.deepEqual(socket.sent.map((m) => m.params), [['newHeads'], ['tasks', { status: 'completed' }]]);
  socket.answerSubscribes('0xa');
  socket.receive({ jsonrpc: '2.0', method: 'iex_subscription', params: { subscription: '0xanewHeads', result: { number: '0x5' } } });
  socket.receive({ jsonrpc: '2.0', method: 'iex_subscription', params: { subscription: '0xatasks', result: { taskId: '0x1' } } });
  assert.deepEqual(heads, ['0x5']);
  assert.deepEqual(tasks, ['0x1']);
});

test('a dropped socket is reopened with growing backoff and the subscriptions are made again', () => {
  const { subscribe, timers, statuses } = setup();
  const heads = [];
  subscribe('newHeads', null, (e) => heads.push(e.number));
  FakeSocket.opened[0].open();
  FakeSocket.opened[0].answerSubscribes('0xa');

  FakeSocket.opened[0].drop();
  assert.deepEqual(timers.map((t) => t.ms), [500]);
  timers.shift().fn();
  FakeSocket.opened[1].drop(); // the node is still down
  assert.deepEqual(timers.map((t) => t.ms), [1000]);
  timers.shift().fn();
  const third = FakeSocket.opened[2];
  third.open();
  assert.deepEqual(third.sent.map((m) => [m.method, m.params]), [['iex_subscribe', ['newHeads']]]);
  third.answerSubscribes('0xb');
  // An event of the old subscription id is not delivered; the new one is.
  third.receive({ jsonrpc: '2.0', method: 'iex_subscription', params: { subscription: '0xanewHeads', result: { number: '0x1' } } });
  third.receive({ jsonrpc: '2.0', method: 'iex_subscription', params: { subscription: '0xbnewHeads', result: { number: '0x9' } } });
  assert.deepEqual(heads, ['0x9']);
  assert.deepEqual(statuses, ['connecting', 'live', 'reconnecting 500', 'connecting', 'reconnecting 1000', 'connecting', 'live']);

  // Once live again, the next drop starts from the shortest delay.
  third.drop();
  assert.equal(timers.at(-1).ms, 500);
});

test('onSubscribed runs when the node confirms, and again after every reconnection (a page refetches there)', () => {
  const { subscribe, timers } = setup();
  const confirmed = [];
  subscribe('tasks', { taskId: '0x1' }, () => {}, () => confirmed.push(FakeSocket.opened.length));
  const first = FakeSocket.opened[0];
  first.open();
  assert.deepEqual(confirmed, [], 'not before the node answered: events until then are not delivered');
  first.answerSubscribes('0xa');
  assert.deepEqual(confirmed, [1]);
  first.drop();
  timers.shift().fn();
  FakeSocket.opened[1].open();
  assert.deepEqual(confirmed, [1], 'not on reopening alone');
  FakeSocket.opened[1].answerSubscribes('0xb');
  assert.deepEqual(confirmed, [1, 2], 'events sent while the socket was down are lost: the page is told to refetch');
});

test('unsubscribing cancels on the node, also when the node answers the subscribe late', () => {
  const { subscribe } = setup();
  const unsubscribeHeads = subscribe('newHeads', null, () => assert.fail('no event after unsubscribe'));
  const socket = FakeSocket.opened[0];
  socket.open();
  unsubscribeHeads(); // before the node answered
  socket.answerSubscribes('0xc');
  assert.deepEqual(socket.sent.at(-1), { jsonrpc: '2.0', method: 'iex_unsubscribe', params: ['0xcnewHeads'] });
  socket.receive({ jsonrpc: '2.0', method: 'iex_subscription', params: { subscription: '0xcnewHeads', result: {} } });

  const unsubscribeTasks = subscribe('tasks', null, () => {});
  socket.answerSubscribes('0xd');
  unsubscribeTasks();
  assert.deepEqual(socket.sent.at(-1), { jsonrpc: '2.0', method: 'iex_unsubscribe', params: ['0xdtasks'] });
  socket.drop();
  assert.equal(FakeSocket.opened.length, 1, 'no subscription left: the socket is not reopened');
});

test('a call the node never answers fails with a message once its time is up', { timeout: 20_000 }, async () => {
  const http = await import('node:http');
  const sockets = [];
  const server = http.createServer(() => { /* never answers */ });
  server.on('connection', (s) => sockets.push(s));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { createRpc } = await import('../app/rpc.js');
    const rpc = createRpc(`http://127.0.0.1:${server.address().port}/`, { timeoutMs: 200 });
    await assert.rejects(rpc('iex_blockNumber'), (e) => e.code === null && /did not answer iex_blockNumber within 0.2 s/.test(e.message));
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
  }
});
