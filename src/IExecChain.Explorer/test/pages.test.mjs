import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePayload, decodesFromRaw } from '../app/pages/txdecode.js';
import { classify } from '../app/pages/search.js';
import { signTransaction } from '../client/src/index.js';

// Captured from a devnet (iexchain devnet --workers 1): the echo app's registration (iex_getApp
// answered name "echo", runtime "wasm", contentSize 0x1eb = 491) and the app order placed for it.
const REGISTER_APP = '0x0a4f08b90a18904e8201460a046563686f10011a2074f5743408dd4db5c2c9c5a09b158f659f08b4b2fddd4f1d5d2e883a6da3afa020eb032a17687474703a2f2f3132372e302e302e313a31383930302f1241c94fecca6ebbf2bee8235e56500f7dd064b3971493d155c13245304fc58b462a767caed228d0b5f837d762389b742fb6647c77293f2244d67ae74b1d338d574a01';
const PLACE_APP_ORDER = '0x0a2b08b90a100418e807aa01200a1e0a14d4bb9ab3e99f11cd0c329f5e79540d14c0fcb74c10c0843d18a08d061241ace031fc72acbd16aba3861a26d556f9c3c8258c0dc807de541b903c7ff674524e946e08cb32e35980371ff5e5bc7752af3ec31b61e28dc049d02845c82fef5100';

test('a registration is read from the raw bytes as the chain registered it', () => {
  const p = decodePayload('register-app', REGISTER_APP);
  assert.equal(p.name.value, 'echo');
  assert.equal(p.runtime.value, 'wasm');
  assert.equal(p.contentRoot.value, '0x74f5743408dd4db5c2c9c5a09b158f659f08b4b2fddd4f1d5d2e883a6da3afa0');
  assert.equal(p.contentSize.value, 491n);
  assert.equal(p.endpoint.value, 'http://127.0.0.1:18900/');
});

test('an order is read with its kind, app, price and volume', () => {
  const p = decodePayload('place-order', PLACE_APP_ORDER);
  assert.deepEqual(Object.keys(p), ['appOrder']);
  const order = p.appOrder.value;
  assert.equal(order.app.value, '0xd4bb9ab3e99f11cd0c329f5e79540d14c0fcb74c');
  assert.equal(order.price.kind, 'amount');
  assert.equal(order.price.value, 1_000_000n); // 0.001 RLC
  assert.equal(order.volume.value, 100_000n);
});

test('bytes of another type or broken bytes are refused, not misread', () => {
  assert.throws(() => decodePayload('register-app', PLACE_APP_ORDER), /no register-app payload/);
  assert.throws(() => decodePayload('register-app', REGISTER_APP.slice(0, 40)), /runs past the end/);
  assert.throws(() => decodePayload('register-app', '0xzz'), /not hex/);
  assert.equal(decodesFromRaw('transfer'), false, 'the node decodes transfers itself');
  assert.equal(decodesFromRaw('vote'), true);
});

test('a body with a varint past 64 bits or a field of the wrong wire type is refused, not wrapped', () => {
  // A signed transaction around `body` (field 1) with a 65-byte signature (field 2).
  const signed = (body) => '0x0a' + (body.length / 2).toString(16).padStart(2, '0') + body + '1241' + '00'.repeat(65);
  assert.throws(() => decodePayload('vote', signed('08' + 'ff'.repeat(9) + '02')), /varint beyond 64 bits/); // chainId 2^64
  assert.throws(() => decodePayload('vote', signed('0d01020304')), /wire type 5 at byte 0, where a uint64 has 0/);
  assert.throws(() => decodePayload('vote', signed('08b90a')), /no vote payload/, 'a well-formed body without the payload');
});

test('an order\'s tag reads as the 64-bit number it is, as the deal page writes it (not its little-endian bytes)', () => {
  const tx = { chainId: 1337n, nonce: 3n, fee: 1000n, placeOrder: { app: { app: '0x' + 'd4'.repeat(20), price: 5n, volume: 1n, tag: 0x0102n } } };
  const signed = signTransaction(tx, '0x' + '11'.repeat(32)).signedHex;
  assert.deepEqual(decodePayload('place-order', signed).appOrder.value.tag, { kind: 'hex', value: '0x0000000000000102' });
});

test('search input is told apart by its shape', () => {
  assert.deepEqual(classify(' 12 '), { kind: 'number', value: '12' });
  assert.deepEqual(classify('007'), { kind: 'number', value: '7' });
  const hash = 'AB'.repeat(32);
  assert.deepEqual(classify('0x' + hash), { kind: 'hash', value: '0x' + hash.toLowerCase() });
  assert.deepEqual(classify(hash), { kind: 'hash', value: '0x' + hash.toLowerCase() });
  assert.deepEqual(classify('0x' + 'cd'.repeat(20)), { kind: 'address', value: '0x' + 'cd'.repeat(20) });
  assert.deepEqual(classify(''), { empty: true });
  assert.equal(classify('0x12zz').error, 'Not a block number, hash or address: “0x12zz”.');
  assert.equal(classify('0x1234').error, 'Not a block number, hash or address: “0x1234” has 4 hex digits; a hash has 64 and an address 40.');
  assert.equal(classify('hello').error, 'Not a block number, hash or address: “hello”.');
  assert.match(classify('18446744073709551616').error, /above the largest height/);
  assert.equal(classify('abcd').error, 'Not a block number, hash or address: “abcd”.', 'short hex without 0x is not an id');
});
