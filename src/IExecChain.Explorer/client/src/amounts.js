// RLC amounts: the chain counts nRLC (1 RLC = 10^9 nRLC, RLC's 9 decimals) in uint64; people type
// RLC. Read digit by digit into a BigInt, never through a JS number, which is exact only up to
// 2^53 nRLC (about 9 million RLC). The rules are the CLI's (node/IExecChain.Node/Cli/Amounts.cs).

import { InputError, describe } from './bytes.js';

export const NRLC_PER_RLC = 1_000_000_000n;
export const RLC_DECIMALS = 9;
export const UINT64_MAX = (1n << 64n) - 1n;

/**
 * Parses an amount typed by a person into nRLC (a bigint). Plain numbers are RLC ("2.5" =
 * 2,500,000,000 nRLC; ".5" and "2.5 RLC" too); "1000 nRLC" is nRLC, whole. Refuses, with a message
 * naming the problem: empty text, signs, exponents, separators, more than 9 decimals, a value
 * above the uint64 range, a fraction of an nRLC.
 */
export function parseRlc(text, what = 'amount') {
  if (typeof text !== 'string') throw new InputError(`${what} must be text such as 2.5, got ${describe(text)}`);
  let s = text.trim();
  let inRlc = true;
  if (/nrlc$/i.test(s)) {
    s = s.slice(0, -4).trimEnd();
    inRlc = false;
  } else if (/rlc$/i.test(s)) s = s.slice(0, -3).trimEnd();
  if (s === '') throw new InputError(`${what} is empty: type an amount of RLC such as 2.5`);
  if (s.startsWith('-')) throw new InputError(`${what} '${text.trim()}' is negative; an amount is 0 or more`);
  const match = /^([0-9]*)(?:\.([0-9]*))?$/.exec(s);
  if (match === null || match[1].length + (match[2] ?? '').length === 0)
    throw new InputError(`${what} '${text.trim()}' is not an amount such as 2.5 (RLC) or 1000 nRLC`);
  const whole = match[1];
  const fraction = match[2] ?? '';
  if (match[2] !== undefined && !inRlc)
    throw new InputError(`${what} '${text.trim()}' has a decimal point, but nRLC are whole; write it in RLC (2.5)`);
  if (fraction.length > RLC_DECIMALS && /[^0]/.test(fraction.slice(RLC_DECIMALS)))
    throw new InputError(`${what} '${text.trim()}' has more than ${RLC_DECIMALS} decimals (1 nRLC = 0.000000001 RLC)`);
  const wholeValue = BigInt(whole === '' ? '0' : whole);
  const value = inRlc
    ? wholeValue * NRLC_PER_RLC + BigInt(fraction.padEnd(RLC_DECIMALS, '0').slice(0, RLC_DECIMALS))
    : wholeValue;
  if (value > UINT64_MAX)
    throw new InputError(`${what} '${text.trim()}' is above the largest amount, ${UINT64_MAX} nRLC (${formatRlc(UINT64_MAX)} RLC)`);
  return value;
}

/**
 * Formats nRLC (a bigint, a safe-integer number or a decimal string, as the RPC returns
 * quantities) as RLC: 2500000000n → "2.5", 1n → "0.000000001"; with { unit: true }, "2.5 RLC".
 * `grouping: true` separates thousands in the whole part with commas ("1,234.5").
 */
export function formatRlc(nrlc, { unit = false, grouping = false } = {}) {
  const value = toNrlc(nrlc);
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  let whole = (magnitude / NRLC_PER_RLC).toString();
  if (grouping) whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const rest = magnitude % NRLC_PER_RLC;
  const fraction = rest === 0n ? '' : '.' + rest.toString().padStart(RLC_DECIMALS, '0').replace(/0+$/, '');
  return (negative ? '-' : '') + whole + fraction + (unit ? ' RLC' : '');
}

function toNrlc(value) {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new InputError(`an nRLC amount given as a number must be a whole number below 2^53, got ${value}`);
    return BigInt(value);
  }
  if (typeof value === 'string' && /^-?[0-9]+$/.test(value)) return BigInt(value);
  if (typeof value === 'string' && /^0x[0-9a-fA-F]+$/.test(value)) return BigInt(value);
  throw new InputError(`an nRLC amount must be an integer (bigint, number or decimal string), got ${describe(value)}`);
}
