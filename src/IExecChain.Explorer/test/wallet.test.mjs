import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FormError, readTransfer, readStake, readRequestOrder, readCancelOrder, readRegisterApp, readRegisterDataset } from '../app/wallet/forms.js';
import { describeTransaction } from '../app/wallet/describe.js';
import { createSession } from '../app/wallet/session.js';
import { createFlow } from '../app/wallet/flow.js';
import { resultDigest, verifyResult } from '../app/wallet/result.js';
import { recoverSender, placedOrderHash } from '../client/src/index.js';

const vectors = JSON.parse(readFileSync(fileURLToPath(new URL('../../../tests/vectors/keystores.json', import.meta.url)), 'utf8'));
const scrypt = vectors.keystores.find((k) => k.name.startsWith('scrypt'));
const keystoreText = typeof scrypt.keystore === 'string' ? scrypt.keystore : JSON.stringify(scrypt.keystore);
const ADDRESS = '0x2c7536e3605d9c16a7a3d7b1898e529396a65c23';
const OTHER = '0x' + '11'.repeat(20);

function fieldErrors(read) {
  try {
    read();
  } catch (e) {
    assert.ok(e instanceof FormError, `a FormError, got ${e}`);
    return e.errors;
  }
  assert.fail('the form was accepted');
}

test('a transfer form refuses a malformed address and amount, each beside its field', () => {
  const errors = fieldErrors(() => readTransfer({ to: '0x12zz', amount: '2.5.1' }));
  assert.match(errors.to, /not an address/);
  assert.match(errors.amount, /not an amount/);
  assert.match(fieldErrors(() => readTransfer({ to: '0x1234', amount: '1' })).to, /has 4 hex digits; an address has 40/);
  assert.match(fieldErrors(() => readTransfer({ to: OTHER, amount: '0' })).amount, /more than 0/);
  assert.match(fieldErrors(() => readTransfer({ to: '', amount: '1' })).to, /required/);
  // A mixed-case address with a wrong EIP-55 checksum is a typo, not an address to send to.
  assert.match(fieldErrors(() => readTransfer({ to: '0x2C7536E3605D9C16A7A3D7B1898E529396A65c23', amount: '1' })).to, /checksum/i);
});

test('a good transfer reads into the payload the CLI sends, in nRLC', () => {
  assert.deepEqual(readTransfer({ to: ` ${OTHER.toUpperCase().replace('0X', '0x')} `, amount: '2.5' }), ['transfer', { to: OTHER, amount: 2_500_000_000n }]);
  assert.deepEqual(readTransfer({ to: OTHER, amount: '1000 nRLC' })[1].amount, 1000n);
  assert.deepEqual(readStake({ role: 'worker', amount: '1' }), ['stake', { role: 'worker', amount: 1_000_000_000n }]);
  assert.match(fieldErrors(() => readStake({ role: 'boss', amount: '1' }, 'unstake')).role, /worker or validator/);
});

test('a request order is the CLI template\'s: requester is the signer, zero addresses mean none or any', () => {
  const salt = new Uint8Array(16).fill(7);
  const [name, payload] = readRequestOrder({ app: OTHER, appMaxPrice: '0.001', workerpool: '0x' + '0'.repeat(40), workerpoolMaxPrice: '0.01', volume: '', trust: '1', params: 'hello' }, ADDRESS, salt);
  assert.equal(name, 'placeOrder');
  assert.deepEqual(payload.request, {
    app: OTHER, appMaxPrice: 1_000_000n, datasetMaxPrice: 0n, workerpoolMaxPrice: 10_000_000n, requester: ADDRESS,
    volume: 1n, category: 0n, trust: 1n, params: 'hello', salt,
  });
  const errors = fieldErrors(() => readRequestOrder({ app: 'app', volume: '0', category: '-1', datasetMaxPrice: '1' }, ADDRESS));
  assert.deepEqual(Object.keys(errors).sort(), ['app', 'category', 'datasetMaxPrice', 'volume']);
  assert.match(readCancelOrder({ orderHash: '0x' + 'AB'.repeat(32) })[1].orderHash, /^0x(ab){32}$/);
  assert.match(fieldErrors(() => readCancelOrder({ orderHash: '0x12' })).orderHash, /64 hex digits/);
});

test('registrations need a name, a content root, a size and a URL (or a path for native apps)', () => {
  const root = '0x' + '22'.repeat(32);
  assert.deepEqual(readRegisterApp({ name: 'echo', runtime: 'wasm', contentRoot: root, contentSize: '491', endpoint: 'http://127.0.0.1:8645/' }),
    ['registerApp', { name: 'echo', runtime: 'wasm', contentRoot: root, contentSize: 491n, endpoint: 'http://127.0.0.1:8645/' }]);
  assert.deepEqual(readRegisterApp({ name: 'ff', runtime: 'native', contentRoot: root, contentSize: '1', manifest: '/opt/ff' })[1].manifest, '/opt/ff');
  const errors = fieldErrors(() => readRegisterDataset({ name: '', contentRoot: '0x1', size: 'x', endpoint: 'ftp://x' }));
  assert.deepEqual(Object.keys(errors).sort(), ['contentRoot', 'endpoint', 'name', 'size']);
});

test('the confirmation lists the decoded fields, fee, nonce and chain of what will be signed', () => {
  const tx = { chainId: 1337n, nonce: 4n, fee: 1000n, transfer: { to: OTHER, amount: 2_500_000_000n } };
  const { title, rows } = describeTransaction(tx, ADDRESS);
  assert.equal(title, 'Transfer');
  assert.deepEqual(rows, [
    ['To', OTHER], ['Amount', '2.5 RLC (2500000000 nRLC)'],
    ['From', ADDRESS], ['Fee', '0.000001 RLC (1000 nRLC)'], ['Nonce', '4'], ['Chain id', '1337'],
  ]);
  const salt = new Uint8Array(16);
  const order = readRequestOrder({ app: OTHER, appMaxPrice: '0.001', workerpoolMaxPrice: '0.01' }, ADDRESS, salt)[1];
  const described = describeTransaction({ chainId: 1n, nonce: 0n, fee: 1n, placeOrder: order }, ADDRESS);
  const byLabel = Object.fromEntries(described.rows);
  assert.equal(byLabel['Order kind'], 'request order');
  assert.equal(byLabel['Workerpool'], 'any');
  assert.equal(byLabel['Most paid to the workerpool, per task'], '0.01 RLC (10000000 nRLC)');
  assert.equal(byLabel['Order hash'], placedOrderHash(order), 'the hash a cancel will need');
});

test('a session decrypts a keystore, says a wrong password is wrong, and zeroes the key on lock', async () => {
  const session = createSession();
  await assert.rejects(session.unlock(keystoreText, 'not the password'), /wrong password/);
  assert.equal(session.unlocked, false);
  assert.equal(await session.unlock(keystoreText, scrypt.password), ADDRESS);
  const signed = session.sign({ chainId: 1n, nonce: 0n, fee: 1n, transfer: { to: OTHER, amount: 1n } });
  assert.equal(recoverSender(signed.signedHex).sender, ADDRESS);

  let held = null;
  const fake = createSession({ decrypt: async () => ({ privateKey: (held = new Uint8Array(32).fill(9)), address: ADDRESS }) });
  const seen = [];
  fake.onChange((a) => seen.push(a));
  await fake.unlock('{}', 'x');
  fake.lock();
  assert.deepEqual([...held], new Array(32).fill(0), 'the key bytes are zeroed');
  assert.equal(fake.address, null);
  assert.deepEqual(seen, [ADDRESS, null]);
  assert.throws(() => fake.sign({}), /locked/);
});

function fakeNode({ receipts = [null, { status: 'success', blockNumber: '0x5' }], refuse = null } = {}) {
  const calls = [];
  const rpc = async (method, params) => {
    calls.push(method);
    switch (method) {
      case 'iex_nodeInfo': return { chainId: '0x539', fees: { transfer: '0x3e8', order: '0x3e8' } };
      case 'iex_getAccount': return { nonce: '0x2', pendingNonce: '0x3' };
      case 'iex_sendRawTransaction':
        if (refuse) throw Object.assign(new Error(refuse), { code: -32000 });
        return recoverSender(params[0]).id;
      case 'iex_getReceipt': return receipts.length > 1 ? receipts.shift() : receipts[0];
      default: throw new Error('unexpected ' + method);
    }
  };
  return { rpc, calls };
}

async function unlocked() {
  const session = createSession();
  await session.unlock(keystoreText, scrypt.password);
  return session;
}

test('a flow sends nothing before confirm, sends once, and follows the receipt to success', async () => {
  const { rpc, calls } = fakeNode();
  const phases = [];
  const flow = createFlow({ rpc, session: await unlocked(), onChange: (s) => phases.push(s.phase), sleep: async () => {} });
  await flow.prepare('transfer', { to: OTHER, amount: 5n });
  assert.equal(flow.state.phase, 'confirming');
  assert.equal(flow.state.tx.nonce, 3n, 'the pending nonce, so a transaction waiting in the mempool is counted');
  assert.equal(flow.state.tx.fee, 1000n);
  assert.ok(!calls.includes('iex_sendRawTransaction'), 'nothing sent before confirming');
  const confirming = flow.confirm();
  await flow.confirm(); // a second click while sending does nothing
  await confirming;
  assert.equal(calls.filter((c) => c === 'iex_sendRawTransaction').length, 1);
  assert.equal(flow.state.phase, 'success');
  assert.deepEqual(phases, ['preparing', 'confirming', 'sending', 'pending', 'success']);
  assert.equal(flow.state.id, flow.state.id.toLowerCase());
});

test('a cancelled confirmation sends nothing; a refusal and a failed receipt keep the chain\'s words', async () => {
  const quiet = fakeNode();
  const cancelled = createFlow({ rpc: quiet.rpc, session: await unlocked(), sleep: async () => {} });
  await cancelled.prepare('transfer', { to: OTHER, amount: 5n });
  cancelled.cancel();
  await cancelled.confirm();
  assert.equal(cancelled.state.phase, 'idle');
  assert.ok(!quiet.calls.includes('iex_sendRawTransaction'));

  const refusing = createFlow({ rpc: fakeNode({ refuse: 'insufficient balance: 5 < 10' }).rpc, session: await unlocked(), sleep: async () => {} });
  await refusing.prepare('transfer', { to: OTHER, amount: 5n });
  await refusing.confirm();
  assert.deepEqual([refusing.state.phase, refusing.state.message], ['refused', 'insufficient balance: 5 < 10']);

  const failing = createFlow({ rpc: fakeNode({ receipts: [{ status: 'failed', error: 'order refused: no such app' }] }).rpc, session: await unlocked(), sleep: async () => {} });
  await failing.prepare('transfer', { to: OTHER, amount: 5n });
  await failing.confirm();
  assert.deepEqual([failing.state.phase, failing.state.message], ['failed', 'order refused: no such app']);

  const locked = createFlow({ rpc: quiet.rpc, session: createSession(), sleep: async () => {} });
  await locked.prepare('transfer', { to: OTHER, amount: 5n });
  assert.match(locked.state.message, /locked/);
});

test('a flow that never sees its receipt says so after its deadline', async () => {
  let t = 0;
  const flow = createFlow({ rpc: fakeNode({ receipts: [null] }).rpc, session: await unlocked(), waitMs: 1000, now: () => t, sleep: async () => { t += 400; } });
  await flow.prepare('transfer', { to: OTHER, amount: 5n });
  await flow.confirm();
  assert.equal(flow.state.phase, 'lost');
  assert.match(flow.state.message, /Not in a block after 1 s/);
});

// docs/rpc.md, iex_getResult: the sample wordcount result and its digest, computed by the node's
// ResultDigest.Compute and pinned by WasmRuntimeTests.
const WORDCOUNT = {
  digest: '0x539aeca81c830ca601ab3b751caca2bca1a195587db264a2f1371fab762fb4dc',
  exitCode: 0,
  stdout: '0x3320362032390a',
  files: [{ name: 'wc.txt', data: '0x3320362032390a' }],
};

test('a result is verified against the agreed digest, recomputed from the bytes served', () => {
  const ok = verifyResult(WORDCOUNT, WORDCOUNT.digest.toUpperCase().replace('0X', '0x'));
  assert.equal(ok.verified, true);
  assert.equal(new TextDecoder().decode(ok.stdout), '3 6 29\n');
  const changed = verifyResult({ ...WORDCOUNT, files: [{ name: 'wc.txt', data: '0x3320362032390b' }] }, WORDCOUNT.digest);
  assert.equal(changed.verified, false);
  assert.notEqual(changed.computed, WORDCOUNT.digest);
  // The served digest is not trusted: a lying answer still fails.
  assert.equal(verifyResult({ ...WORDCOUNT, exitCode: 1 }, WORDCOUNT.digest).verified, false);
  assert.equal(resultDigest(0, new Uint8Array(), []), resultDigest(0, new Uint8Array(), []));
  assert.throws(() => resultDigest(0, new Uint8Array(), [{ name: 'a', data: new Uint8Array() }, { name: 'a', data: new Uint8Array() }]), /two output files/);
});

test('while a transaction is followed to its block, a new one is not prepared over it', async () => {
  let release;
  const held = new Promise((r) => { release = r; });
  const { rpc, calls } = fakeNode();
  const slowRpc = async (method, params) => (method === 'iex_getReceipt' ? held.then(() => rpc(method, params)) : rpc(method, params));
  const flow = createFlow({ rpc: slowRpc, session: await unlocked(), sleep: async () => {} });
  await flow.prepare('transfer', { to: OTHER, amount: 5n });
  const sent = flow.confirm();
  await new Promise((r) => setImmediate(r));
  assert.equal(flow.state.phase, 'pending');
  await flow.prepare('transfer', { to: OTHER, amount: 7n }); // the form submitted again meanwhile
  assert.equal(flow.state.phase, 'pending', 'still following the first');
  release();
  await sent;
  assert.equal(flow.state.phase, 'success', 'its outcome is shown');
  assert.equal(calls.filter((c) => c === 'iex_sendRawTransaction').length, 1);
});

test('an exit code outside 32 bits is refused, not hashed as its low bits', () => {
  assert.throws(() => verifyResult({ ...WORDCOUNT, exitCode: 2 ** 32 }, WORDCOUNT.digest), /not a 32-bit integer/);
  assert.throws(() => verifyResult({ ...WORDCOUNT, exitCode: -(2 ** 31) - 1 }, WORDCOUNT.digest), /not a 32-bit integer/);
  assert.doesNotThrow(() => verifyResult({ ...WORDCOUNT, exitCode: -1 }, WORDCOUNT.digest));
  assert.throws(() => resultDigest(0, new Uint8Array(), [{ name: 'b', data: new Uint8Array() }, { name: 'a', data: new Uint8Array() }, { name: 'b', data: new Uint8Array() }]), /named 'b'/);
});
