import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError, formatRlc, parseRlc } from '../src/index.js';

test('RLC amounts become exact nRLC bigints', () => {
  const cases = [
    ['2.5', 2_500_000_000n], ['0', 0n], ['1', 1_000_000_000n], ['.5', 500_000_000n], ['5.', 5_000_000_000n],
    ['0.000000001', 1n], [' 2.5 RLC ', 2_500_000_000n], ['2.5rlc', 2_500_000_000n], ['1000 nRLC', 1000n],
    ['1.5000000000000', 1_500_000_000n], ['18446744073.709551615', 18446744073709551615n],
    ['9007199.254740993', 9007199254740993n], // 2^53 + 1 nRLC: a JS number would round it
  ];
  for (const [text, nrlc] of cases) assert.equal(parseRlc(text), nrlc, text);
});

test('malformed amounts are refused with what is wrong', () => {
  const cases = [
    ['', /is empty/], ['  ', /is empty/], ['-1', /is negative/], ['1e9', /is not an amount/], ['1,000', /is not an amount/],
    ['0x10', /is not an amount/], ['1.2.3', /is not an amount/], ['.', /is not an amount/], ['RLC', /is empty/],
    ['1.0000000001', /more than 9 decimals/], ['2.5 nRLC', /nRLC are whole/], ['18446744073.709551616', /above the largest amount/],
    ['99999999999999999999', /above the largest amount/], ['½', /is not an amount/], ['١٢', /is not an amount/],
  ];
  for (const [text, message] of cases) assert.throws(() => parseRlc(text), message, text);
  assert.throws(() => parseRlc(2.5), InputError);
});

test('nRLC format as RLC without rounding', () => {
  assert.equal(formatRlc(2_500_000_000n), '2.5');
  assert.equal(formatRlc(1n), '0.000000001');
  assert.equal(formatRlc(0), '0');
  assert.equal(formatRlc('0x3e8'), '0.000001');
  assert.equal(formatRlc('18446744073709551615', { unit: true }), '18446744073.709551615 RLC');
  assert.equal(formatRlc(1_234_567_000_000_000n, { grouping: true }), '1,234,567');
  assert.throws(() => formatRlc(2 ** 60), /below 2\^53/);
  assert.throws(() => formatRlc('2.5'), InputError);
});

test('parse and format round-trip', () => {
  for (const text of ['0', '1', '2.5', '0.000000001', '123456.789', '18446744073.709551615'])
    assert.equal(formatRlc(parseRlc(text)), text);
});
