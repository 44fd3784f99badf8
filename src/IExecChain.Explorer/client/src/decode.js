// Reading the messages of messages.js back from bytes: the inverse of protobuf.js's encoder, for
// pages that show what a transaction carries. Values come back in the encoder's input form (JSON
// names, bigints for 64-bit integers, Uint8Array for bytes, enum values by their short name), so
// encodeMessage(schema, decodeMessage(schema, bytes)) gives the same bytes for anything the node
// wrote (the known-answer vectors check it). Strict where a reader must be: a varint of at most 64
// bits, a length inside the message, the wire type of the field's type. Fields the schema does not
// know are skipped, as protobuf readers do.
import { InputError } from './bytes.js';
import { TransactionBody } from './messages.js';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

const WIRE_OF = { uint64: WIRE_VARINT, int64: WIRE_VARINT, uint32: WIRE_VARINT, bool: WIRE_VARINT, enum: WIRE_VARINT, fixed64: WIRE_FIXED64, string: WIRE_LENGTH_DELIMITED, bytes: WIRE_LENGTH_DELIMITED, message: WIRE_LENGTH_DELIMITED };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The message `schema` read from `bytes`: an object of the fields present, by JSON name. */
export function decodeMessage(schema, bytes, path = schema.name) {
  const reader = { bytes, offset: 0, path };
  const out = {};
  while (reader.offset < bytes.length) {
    const at = reader.offset;
    const key = readVarint(reader);
    const number = Number(key >> 3n);
    const wire = Number(key & 7n);
    const field = schema.fields.find((f) => f.number === number);
    if (!field) {
      skip(reader, wire, number);
      continue;
    }
    if (wire !== WIRE_OF[field.type]) throw new InputError(`${path}.${field.name}: wire type ${wire} at byte ${at}, where a ${field.type} has ${WIRE_OF[field.type]}`);
    const value = readValue(reader, field, `${path}.${field.name}`);
    if (field.repeated) (out[field.name] ??= []).push(value);
    else {
      // The last member of a oneof read wins, as in protobuf: the others are cleared.
      if (field.oneof !== undefined) for (const member of schema.oneofs.get(field.oneof).members) delete out[member];
      out[field.name] = value;
    }
  }
  return out;
}

/** A TransactionBody's bytes as the object encodeTransactionBody takes (chainId, nonce, fee and the payload). */
export function decodeTransactionBody(bytes) {
  return decodeMessage(TransactionBody, bytes);
}

function readValue(reader, field, path) {
  switch (field.type) {
    case 'uint64': return readVarint(reader);
    case 'int64': return BigInt.asIntN(64, readVarint(reader));
    case 'uint32': {
      const n = readVarint(reader);
      if (n > 0xffffffffn) throw new InputError(`${path}: ${n} does not fit a uint32`);
      return n;
    }
    case 'bool': return readVarint(reader) !== 0n;
    case 'enum': {
      const n = Number(BigInt.asIntN(32, readVarint(reader)));
      return field.enum.shortByNumber.get(n) ?? n; // a value this client does not know stays a number
    }
    case 'fixed64': {
      if (reader.offset + 8 > reader.bytes.length) throw new InputError(`${path}: ends inside a fixed64`);
      const view = new DataView(reader.bytes.buffer, reader.bytes.byteOffset + reader.offset, 8);
      reader.offset += 8;
      return view.getBigUint64(0, true);
    }
    case 'string': {
      try {
        return utf8.decode(readLengthDelimited(reader, path));
      } catch (e) {
        if (e instanceof InputError) throw e;
        throw new InputError(`${path}: not valid UTF-8 text`);
      }
    }
    case 'bytes': return readLengthDelimited(reader, path).slice();
    case 'message': return decodeMessage(field.message, readLengthDelimited(reader, path), path);
    default: throw new Error(`unknown field type ${field.type}`);
  }
}

function skip(reader, wire, number) {
  const path = `${reader.path} field ${number}`;
  if (wire === WIRE_VARINT) readVarint(reader);
  else if (wire === WIRE_LENGTH_DELIMITED) readLengthDelimited(reader, path);
  else if (wire === WIRE_FIXED64 || wire === WIRE_FIXED32) {
    const size = wire === WIRE_FIXED64 ? 8 : 4;
    if (reader.offset + size > reader.bytes.length) throw new InputError(`${path}: ends inside a fixed${size * 8}`);
    reader.offset += size;
  } else throw new InputError(`${path}: wire type ${wire} is not one this chain's messages use`);
}

function readLengthDelimited(reader, path) {
  const length = readVarint(reader);
  if (length > BigInt(reader.bytes.length - reader.offset)) throw new InputError(`${path}: a length of ${length} runs past the end`);
  const start = reader.offset;
  reader.offset += Number(length);
  return reader.bytes.subarray(start, reader.offset);
}

/** A varint of at most 64 bits: ten bytes, the tenth holding bit 63 only. */
export function readVarint(reader) {
  let result = 0n;
  for (let shift = 0n; ; shift += 7n) {
    if (reader.offset >= reader.bytes.length) throw new InputError(`${reader.path ?? 'message'}: ends inside a varint`);
    const byte = reader.bytes[reader.offset++];
    if (shift === 63n && byte > 1) throw new InputError(`${reader.path ?? 'message'}: a varint beyond 64 bits`);
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return result;
  }
}
