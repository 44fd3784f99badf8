import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as f from '../app/format.js';

test('rlc writes nRLC quantities as exact RLC amounts', () => {
  assert.equal(f.rlc('0x3b9aca00'), '1 RLC');
  assert.equal(f.rlc('0x5af3107a4000'), '100,000 RLC');
  assert.equal(f.rlc(1500), '0.0000015 RLC');
  assert.equal(f.rlc('18446744073709551615'), '18,446,744,073.709551615 RLC');
  assert.equal(f.rlc(0), '0 RLC');
  assert.equal(f.rlc(null), '—');
});

test('quantities become numbers and grouped integers', () => {
  assert.equal(f.num('0x3e8'), 1000);
  assert.equal(f.num('255'), 255);
  assert.equal(f.int('0x5f5e100'), '100,000,000');
  assert.equal(f.big('0xffffffffffffffff'), 18446744073709551615n);
});

test('durations, hashes and times read as people write them', () => {
  assert.equal(f.ms(200), '200 ms');
  assert.equal(f.ms(1530), '1.53 s');
  assert.equal(f.shortHash('0xaeaa3d916128a88ceb792199a74879d8df29ae6b'), '0xaeaa…ae6b');
  assert.equal(f.time('0x1a20ce4a118'), '2026-11-02 10:20:50 UTC'.replace('2026-11-02 10:20:50', new Date(0x1a20ce4a118).toISOString().slice(0, 19).replace('T', ' ')));
  assert.equal(f.ago(1000, 61000), '1 min ago');
  assert.equal(f.ago(5000, 4000), '0 s ago');
});
