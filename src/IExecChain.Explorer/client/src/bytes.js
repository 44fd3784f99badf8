// Hex and byte helpers with the node's rules (src/IExecChain.Core/Primitives/Hex.cs): input may
// carry a 0x prefix, output always does and is lower case.

/** A refusal of the caller's input: the message says what is wrong, naming the field. */
export class InputError extends Error {
  constructor(message) {
    super(message);
    this.name = 'InputError';
  }
}

const HEX_DIGITS = '0123456789abcdef';

/** Lower-case hex with a 0x prefix. */
export function toHex(bytes) {
  let text = '0x';
  for (const byte of bytes) text += HEX_DIGITS[byte >> 4] + HEX_DIGITS[byte & 15];
  return text;
}

/**
 * Decodes hex (0x optional, either case). `what` names the value in the error; `length`, when
 * given, is the byte length required.
 */
export function fromHex(text, what = 'hex', length = undefined) {
  if (typeof text !== 'string') throw new InputError(`${what} must be a hex string, got ${describe(text)}`);
  const digits = text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text;
  if (digits.length % 2 !== 0) throw new InputError(`${what} has an odd number of hex digits`);
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    const hi = digit(digits.charCodeAt(2 * i));
    const lo = digit(digits.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new InputError(`${what} has an invalid hex character at position ${2 * i + (hi < 0 ? 0 : 1)}`);
    bytes[i] = (hi << 4) | lo;
  }
  if (length !== undefined && bytes.length !== length) throw new InputError(`${what} must be ${length} bytes, got ${bytes.length}`);
  return bytes;
}

/** Bytes from a Uint8Array (copied) or a hex string. */
export function toBytes(value, what, length = undefined) {
  if (value instanceof Uint8Array) {
    if (length !== undefined && value.length !== length) throw new InputError(`${what} must be ${length} bytes, got ${value.length}`);
    return Uint8Array.from(value);
  }
  return fromHex(value, what, length);
}

export function concatBytes(...parts) {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i] ^ b[i];
  return difference === 0;
}

/** Big-endian unsigned integer of the bytes. */
export function bytesToBigInt(bytes) {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

/** A short, safe description of a bad value for an error message. */
export function describe(value) {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return `'${value.length > 40 ? value.slice(0, 40) + '…' : value}'`;
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function digit(code) {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 102) return code - 87; // a-f
  if (code >= 65 && code <= 70) return code - 55; // A-F
  return -1;
}
