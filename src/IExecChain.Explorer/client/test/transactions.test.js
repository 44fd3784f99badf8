import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  InputError, PAYLOAD_NAMES, encodeTransactionBody, orderHash, placedOrderHash, recoverSender, resourceAddress,
  signTransaction, toHex, transactionId,
} from '../src/index.js';
import { transactionVectors } from '../test-support/vectors.js';

const vectors = transactionVectors();

describe('the node\'s known-answer vectors (tests/vectors/transactions.json)', () => {
  test('cover every payload type the client knows, and the client knows every one they use', () => {
    const used = new Set(vectors.map(v => PAYLOAD_NAMES.find(name => name in v.tx)));
    assert.deepEqual([...used].sort(), [...PAYLOAD_NAMES].sort());
    assert.ok(vectors.length >= 30, `only ${vectors.length} vectors`);
  });

  for (const v of vectors) {
    test(v.name, () => {
      assert.equal(toHex(encodeTransactionBody(v.tx)), v.body, 'body bytes');
      const signed = signTransaction(v.tx, v.privateKey);
      assert.equal(toHex(signed.body), v.body, 'body bytes');
      assert.equal(signed.bodyHash, v.bodyHash, 'body hash');
      assert.equal(toHex(signed.signature), v.signature, 'signature (RFC 6979, low s, v in {0, 1})');
      assert.equal(signed.signedHex, v.signed, 'signed transaction bytes');
      assert.equal(signed.id, v.id, 'transaction id');
      assert.equal(signed.sender, v.sender, 'sender address');
      const opened = recoverSender(v.signed);
      assert.equal(opened.sender, v.sender, 'recovered sender');
      assert.equal(opened.id, v.id, 'id of the opened transaction');
      if (v.orderHash !== undefined) assert.equal(placedOrderHash(v.tx.placeOrder), v.orderHash, 'order hash');
      if (v.resourceAddress !== undefined) {
        const kind = { registerApp: 'app', registerDataset: 'dataset', registerWorkerpool: 'workerpool' }[PAYLOAD_NAMES.find(name => name in v.tx)];
        assert.equal(resourceAddress(kind, v.sender, v.tx.nonce), v.resourceAddress, 'registered resource address');
      }
    });
  }
});

const base = { chainId: 1337n, nonce: 0n, fee: 1000n };
const to = '0x00000000000000000000000000000000000a11ce';

describe('encoding', () => {
  test('the docs/rpc.md example body, byte for byte', () => {
    const body = encodeTransactionBody({ ...base, transfer: { to, amount: 1_000_000_000n } });
    assert.equal(toHex(body), '0x08b90a18e807521c0a1400000000000000000000000000000000000a11ce108094ebdc03');
  });

  test('integers may be bigints, safe numbers, decimal strings or 0x quantities, with one result', () => {
    const forms = [1_000_000_000n, 1_000_000_000, '1000000000', '0x3b9aca00'];
    const bodies = forms.map(amount => toHex(encodeTransactionBody({ ...base, transfer: { to, amount } })));
    assert.equal(new Set(bodies).size, 1);
  });

  test('explicit defaults encode like absent fields (proto3)', () => {
    const explicit = encodeTransactionBody({ chainId: 1, nonce: 0, fee: '0', stake: { role: 'validator', amount: 0n } });
    const absent = encodeTransactionBody({ chainId: 1, stake: { role: 'validator' } });
    assert.equal(toHex(explicit), toHex(absent));
    assert.equal(toHex(absent), '0x08015a020801');
  });

  test('an empty payload message is still written', () => {
    assert.equal(toHex(encodeTransactionBody({ chainId: 1, leavePool: {} })), '0x0801a20100');
  });

  test('enum values by proto name, short name or number', () => {
    const names = ['STAKE_ROLE_WORKER', 'worker', 2].map(role => toHex(encodeTransactionBody({ ...base, stake: { role, amount: 1 } })));
    assert.equal(new Set(names).size, 1);
  });

  test('uint64 maximum is exact, one past it is refused', () => {
    const max = 18446744073709551615n;
    const body = encodeTransactionBody({ chainId: max, transfer: { to, amount: max } });
    assert.equal(toHex(body).slice(0, 24), '0x08ffffffffffffffffff01');
    assert.throws(() => encodeTransactionBody({ chainId: max + 1n, transfer: { to, amount: 1 } }), /chainId must be between 0 and 18446744073709551615/);
  });

  test('a number beyond 2^53 is refused rather than rounded', () => {
    assert.throws(() => encodeTransactionBody({ ...base, transfer: { to, amount: 2 ** 60 } }), /transfer\.amount must be a whole number below 2\^53/);
    assert.throws(() => encodeTransactionBody({ ...base, transfer: { to, amount: 1.5 } }), InputError);
    assert.throws(() => encodeTransactionBody({ ...base, transfer: { to, amount: -1 } }), /must be between 0/);
    assert.throws(() => encodeTransactionBody({ ...base, transfer: { to, amount: '1e9' } }), /decimal integer/);
  });

  test('malformed addresses are refused, naming the field', () => {
    const bad = [
      ['0x1234', /transaction\.transfer\.to must be 0x followed by 40 hex digits/],
      ['00000000000000000000000000000000000a11ce', /must be 0x followed by 40 hex digits/],
      ['0x00000000000000000000000000000000000a11cg', /must be 0x followed by 40 hex digits/],
      // EIP-55's own example with one letter's case flipped
      ['0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD', /wrong checksum/],
      [new Uint8Array(19), /must be a 20-byte address/],
      [42, /must be a hex string/],
    ];
    for (const [address, message] of bad)
      assert.throws(() => encodeTransactionBody({ ...base, transfer: { to: address, amount: 1 } }), message, String(address));
    // a correct checksum, all lower and all upper case are fine
    for (const address of ['0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', '0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed', '0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED'])
      encodeTransactionBody({ ...base, transfer: { to: address, amount: 1 } });
  });

  test('a hash field must be 32 bytes', () => {
    assert.throws(() => encodeTransactionBody({ ...base, cancelOrder: { orderHash: '0x1234' } }), /cancelOrder\.orderHash must be a 32-byte hash, got 2 bytes/);
  });

  test('unknown fields, two payloads and no payload are refused', () => {
    assert.throws(() => encodeTransactionBody({ ...base, transfer: { to, amount: 1, memo: 'x' } }), /transaction\.transfer has no field 'memo'/);
    assert.throws(() => encodeTransactionBody({ ...base, transfer: { to, amount: 1 }, stake: { role: 1, amount: 1 } }), /sets transfer and stake: only one payload/);
    assert.throws(() => encodeTransactionBody(base), /needs one payload/);
    assert.throws(() => encodeTransactionBody({ ...base, placeOrder: {} }), /placeOrder needs one order: app, dataset, workerpool, request/);
    assert.throws(() => encodeTransactionBody({ ...base, stake: { role: 'admin', amount: 1 } }), /stake\.role must be one of STAKE_ROLE_UNSPECIFIED/);
  });

  test('text with a lone surrogate is refused; other Unicode is UTF-8', () => {
    assert.throws(() => encodeTransactionBody({ ...base, registerWorkerpool: { description: 'bad \ud800' } }), /lone UTF-16 surrogate/);
    const body = encodeTransactionBody({ chainId: 1, registerWorkerpool: { description: '🚀' } });
    assert.equal(toHex(body), '0x08019201060a04f09f9a80');
  });
});

describe('signing and opening', () => {
  const key = '0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318';

  test('the id is keccak256 of the signed bytes and the envelope opens to the signer', () => {
    const signed = signTransaction({ ...base, transfer: { to, amount: 5 } }, key);
    assert.equal(transactionId(signed.signed), signed.id);
    assert.equal(recoverSender(signed.signed).sender, signed.sender);
    assert.equal(signed.signature.length, 65);
    assert.ok(signed.signature[64] <= 1);
  });

  test('a high-s twin of a valid signature is refused, as the node refuses it', () => {
    const signed = signTransaction({ ...base, transfer: { to, amount: 5 } }, key);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const s = BigInt(toHex(signed.signature.subarray(32, 64)));
    const twin = Uint8Array.from(signed.signed);
    const highS = (n - s).toString(16).padStart(64, '0');
    const at = twin.length - 33; // s sits before the final v byte
    for (let i = 0; i < 32; i++) twin[at + i] = parseInt(highS.slice(2 * i, 2 * i + 2), 16);
    twin[twin.length - 1] ^= 1;
    assert.throws(() => recoverSender(twin), /not canonical/);
  });

  test('malformed envelopes are refused', () => {
    assert.throws(() => recoverSender('0x0a'), InputError);
    assert.throws(() => recoverSender('0x12020000'), /expected field body/);
    assert.throws(() => recoverSender('0xzz'), /invalid hex character/);
  });

  test('private keys out of range are refused with the node\'s reasons', () => {
    assert.throws(() => signTransaction({ ...base, transfer: { to, amount: 5 } }, '0x' + '00'.repeat(32)), /must not be zero/);
    assert.throws(() => signTransaction({ ...base, transfer: { to, amount: 5 } }, '0x' + 'ff'.repeat(32)), /below the secp256k1 group order/);
    assert.throws(() => signTransaction({ ...base, transfer: { to, amount: 5 } }, '0x1234'), /32 bytes, got 2/);
  });

  test('order hashes and resource addresses refuse unknown kinds', () => {
    assert.throws(() => orderHash('bundle', {}), /order kind must be one of app, dataset, workerpool, request/);
    assert.throws(() => resourceAddress('pool', to, 0), /resource kind must be one of app, dataset, workerpool/);
  });
});
