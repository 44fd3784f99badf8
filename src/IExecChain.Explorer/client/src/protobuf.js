// A small proto3 encoder driven by the schemas in messages.js, producing exactly the bytes
// Google.Protobuf (the node's encoder) writes: fields in field-number order, a scalar at its
// default value (0, false, "", empty bytes) left out unless it is a oneof member, a present
// sub-message written even when empty, repeated bytes and messages one tagged entry each.
// The node re-encodes what it receives and refuses a transaction whose bytes differ, so any
// deviation here is a rejected transaction, not a cosmetic difference.

import { InputError, concatBytes, describe, toBytes } from './bytes.js';
import { parseAddress } from './keys.js';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;

const UINT64_MAX = (1n << 64n) - 1n;
const UINT32_MAX = (1n << 32n) - 1n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

const utf8 = new TextEncoder();

/**
 * Encodes `value` (a plain object keyed by the proto's JSON names, e.g. `chainId`) as the message
 * `schema`. `path` names the value in errors ("transfer.amount must be ...").
 */
export function encodeMessage(schema, value, path = schema.name) {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array)
    throw new InputError(`${path} must be an object, got ${describe(value)}`);
  for (const key of Object.keys(value)) {
    if (!schema.byName.has(key)) throw new InputError(`${path} has no field '${key}' (fields: ${[...schema.byName.keys()].join(', ')})`);
  }
  checkOneofs(schema, value, path);
  const parts = [];
  for (const field of schema.fields) {
    const fieldValue = value[field.name];
    const fieldPath = `${path}.${field.name}`;
    if (field.repeated) {
      if (fieldValue === undefined || fieldValue === null) continue;
      if (!Array.isArray(fieldValue)) throw new InputError(`${fieldPath} must be an array, got ${describe(fieldValue)}`);
      fieldValue.forEach((item, i) => parts.push(encodeField(field, item, `${fieldPath}[${i}]`, true)));
      continue;
    }
    if (fieldValue === undefined || fieldValue === null) continue;
    // A oneof member is present once set, whatever its value; other fields only when not default.
    const part = encodeField(field, fieldValue, fieldPath, field.oneof !== undefined);
    if (part !== null) parts.push(part);
  }
  return concatBytes(...parts);
}

function checkOneofs(schema, value, path) {
  for (const [oneof, { members, required }] of schema.oneofs) {
    const set = members.filter(name => value[name] !== undefined && value[name] !== null);
    if (set.length > 1) throw new InputError(`${path} sets ${set.join(' and ')}: only one ${oneof} may be set`);
    if (set.length === 0 && required) throw new InputError(`${path} needs one ${oneof}: ${members.join(', ')}`);
  }
}

/** The field's bytes (tag and value), or null when proto3 leaves a default value out. */
function encodeField(field, value, path, present) {
  switch (field.type) {
    case 'uint64': {
      const n = toInteger(value, path, 0n, UINT64_MAX);
      return n === 0n && !present ? null : concatBytes(tag(field.number, WIRE_VARINT), varint(n));
    }
    case 'int64': {
      const n = toInteger(value, path, INT64_MIN, INT64_MAX);
      // Negative values go out as their 64-bit two's complement: ten bytes.
      return n === 0n && !present ? null : concatBytes(tag(field.number, WIRE_VARINT), varint(BigInt.asUintN(64, n)));
    }
    case 'uint32': {
      const n = toInteger(value, path, 0n, UINT32_MAX);
      return n === 0n && !present ? null : concatBytes(tag(field.number, WIRE_VARINT), varint(n));
    }
    case 'fixed64': {
      const n = toInteger(value, path, 0n, UINT64_MAX);
      if (n === 0n && !present) return null;
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setBigUint64(0, n, true);
      return concatBytes(tag(field.number, WIRE_FIXED64), bytes);
    }
    case 'bool': {
      if (typeof value !== 'boolean') throw new InputError(`${path} must be true or false, got ${describe(value)}`);
      return !value && !present ? null : concatBytes(tag(field.number, WIRE_VARINT), Uint8Array.of(value ? 1 : 0));
    }
    case 'enum': {
      const n = enumValue(field.enum, value, path);
      // Enums are int32 on the wire; every defined value here is small and non-negative.
      return n === 0 && !present ? null : concatBytes(tag(field.number, WIRE_VARINT), varint(BigInt(n)));
    }
    case 'string': {
      if (typeof value !== 'string') throw new InputError(`${path} must be a string, got ${describe(value)}`);
      // A lone surrogate would be replaced by U+FFFD on both sides, signing a text the user did not write.
      if (!value.isWellFormed()) throw new InputError(`${path} contains a lone UTF-16 surrogate (not valid Unicode text)`);
      return lengthDelimited(field.number, utf8.encode(value), present);
    }
    case 'bytes':
      return lengthDelimited(field.number, bytesOf(field, value, path), present);
    case 'message':
      return lengthDelimited(field.number, encodeMessage(field.message, value, path), true);
    default:
      throw new Error(`unknown field type ${field.type}`);
  }
}

function lengthDelimited(number, bytes, present) {
  if (bytes.length === 0 && !present) return null;
  return concatBytes(tag(number, WIRE_LENGTH_DELIMITED), varint(BigInt(bytes.length)), bytes);
}

/** Bytes of a bytes field, checking the length its kind requires (address, hash, ...). */
function bytesOf(field, value, path) {
  const kind = field.kind;
  // Addresses typed by a person get the checksum check; bytes and other hex go through as they are.
  const typed = kind?.name === 'address' && typeof value === 'string' && value !== '' && value !== '0x';
  const bytes = typed ? parseAddress(value, path) : toBytes(value, path);
  if (kind === undefined) return bytes;
  if (bytes.length === 0 && kind.optional) return bytes;
  if (bytes.length !== kind.length) {
    const blank = kind.optional ? ' (or empty)' : '';
    throw new InputError(`${path} must be a ${kind.length}-byte ${kind.name}${blank}, got ${bytes.length} bytes`);
  }
  return bytes;
}

function enumValue(enumeration, value, path) {
  if (typeof value === 'number' && enumeration.byNumber.has(value)) return value;
  if (typeof value === 'string') {
    const byName = enumeration.byName.get(value) ?? enumeration.byName.get(value.toLowerCase());
    if (byName !== undefined) return byName;
  }
  const names = [...enumeration.byNumber.values()].join(', ');
  throw new InputError(`${path} must be one of ${names}, got ${describe(value)}`);
}

/**
 * An integer from a bigint, a safe-integer number, a decimal string or a 0x hex quantity, within [min, max].
 * Numbers beyond 2^53 are refused rather than rounded: pass a bigint or a string.
 */
export function toInteger(value, path, min, max) {
  let n;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value))
      throw new InputError(`${path} must be a whole number below 2^53 when given as a number (use a bigint or a decimal string), got ${value}`);
    n = BigInt(value);
  } else if (typeof value === 'string') {
    // Decimal, or a 0x hex quantity as the node's RPC answers carry them ("0x3e8").
    if (!/^-?[0-9]+$/.test(value) && !/^0[xX][0-9a-fA-F]+$/.test(value))
      throw new InputError(`${path} must be a decimal integer or a 0x hex quantity, got ${describe(value)}`);
    n = BigInt(value);
  } else throw new InputError(`${path} must be an integer (bigint, number or decimal string), got ${describe(value)}`);
  if (n < min || n > max) throw new InputError(`${path} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function tag(number, wireType) {
  return varint(BigInt((number << 3) | wireType));
}

function varint(n) {
  const out = [];
  while (n > 0x7fn) {
    out.push(Number(n & 0x7fn) | 0x80);
    n >>= 7n;
  }
  out.push(Number(n));
  return Uint8Array.from(out);
}

// ---- reading, for the envelope only: a SignedTransaction's two length-delimited fields ----

/**
 * Splits SignedTransaction bytes into body and signature, refusing anything but the canonical
 * form the node accepts (body then signature, each once, nothing else).
 */
export function decodeSignedTransaction(bytes) {
  const reader = { bytes, offset: 0 };
  const body = readLengthDelimited(reader, 1, 'body');
  const signature = readLengthDelimited(reader, 2, 'signature');
  if (reader.offset !== bytes.length) throw new InputError('signed transaction has bytes after the signature');
  return { body, signature };
}

function readLengthDelimited(reader, number, name) {
  const key = readVarint(reader);
  if (key !== BigInt((number << 3) | WIRE_LENGTH_DELIMITED)) throw new InputError(`signed transaction: expected field ${name} (${number}) at byte ${reader.offset}`);
  const length = readVarint(reader);
  if (length > BigInt(reader.bytes.length - reader.offset)) throw new InputError(`signed transaction: field ${name} runs past the end`);
  const start = reader.offset;
  reader.offset += Number(length);
  return reader.bytes.slice(start, reader.offset);
}

function readVarint(reader) {
  let result = 0n;
  for (let shift = 0n; shift < 70n; shift += 7n) {
    if (reader.offset >= reader.bytes.length) throw new InputError('signed transaction ends inside a varint');
    const byte = reader.bytes[reader.offset++];
    // The tenth byte holds bit 63 only: more is a value past 64 bits, which the node would refuse.
    if (shift === 63n && byte > 1) throw new InputError('signed transaction has a varint beyond 64 bits');
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return result;
  }
  throw new InputError('signed transaction has a varint longer than 10 bytes');
}
