import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InputError, decodeMessage, decodeTransactionBody, encodeTransactionBody, fromHex, toHex } from '../src/index.js';
import { GovernanceVote as Vote } from '../src/messages.js';
import { transactionVectors } from '../test-support/vectors.js';

describe('decoding is the encoder\'s inverse on the node\'s known-answer vectors', () => {
  for (const v of transactionVectors()) {
    test(v.name, () => {
      const decoded = decodeTransactionBody(fromHex(v.body));
      assert.equal(toHex(encodeTransactionBody(decoded)), v.body, 'the decoded body encodes to the same bytes');
      assert.equal(decoded.chainId, BigInt(v.tx.chainId));
    });
  }
});

test('values come back in the encoder\'s input form', () => {
  const order = transactionVectors().find((v) => v.tx.placeOrder?.request);
  const decoded = decodeTransactionBody(fromHex(order.body)).placeOrder.request;
  assert.equal(typeof decoded.volume, 'bigint');
  assert.ok(decoded.app instanceof Uint8Array && decoded.app.length === 20);
  const app = transactionVectors().find((v) => v.tx.registerApp);
  assert.equal(decodeTransactionBody(fromHex(app.body)).registerApp.runtime, String(app.tx.registerApp.runtime).toLowerCase().replace(/^app_runtime_/, ''));
});

test('hostile bytes are refused with what is wrong, never misread', () => {
  const refuses = (hex, pattern) => assert.throws(() => decodeMessage(Vote, fromHex(hex)), (e) => e instanceof InputError && pattern.test(e.message));
  refuses('0x08' + 'ff'.repeat(9) + '02', /varint beyond 64 bits/); // proposalId = 2^64
  refuses('0x08ff', /ends inside a varint/);
  refuses('0x1a05aabb', /runs past the end/); // an unknown field 3 whose length passes the end
  refuses('0x0a01aa', /wire type 2 at byte 0, where a uint64 has 0/);
  refuses('0x1d0102', /ends inside a fixed32/); // unknown field 3, fixed32, cut
  refuses('0x0f', /wire type 7/);
  assert.deepEqual(decodeMessage(Vote, fromHex('0x08' + 'ff'.repeat(9) + '01')), { proposalId: (1n << 64n) - 1n });
  assert.deepEqual(decodeMessage(Vote, fromHex('0x0807f801011001')), { proposalId: 7n, approve: true }, 'an unknown field (31) is skipped');
});
