// Reads a transaction's payload from its raw bytes for the types whose payload the node's
// transaction object leaves out (docs/rpc.md gives `payload` for transfers, stakes, contributions,
// reveals, failure reports, challenges, order cancels, pool joins, withdrawals and attestations):
// governance proposals and votes, anchor receipts, registrations, leaving a pool and placing an
// order. The bytes are read by the client module's decoder with its message definitions
// (client/src/messages.js), the ones the node's known-answer vectors check; this file only turns
// the values into what the pages show. Not a page: pages/index.js does not list it.
// (decode.js and messages.js only: the signing code stays out of the main bundle)
import { decodeMessage, decodeTransactionBody } from '../../client/src/decode.js';
import { SignedTransaction, TransactionBody } from '../../client/src/messages.js';

/** The TransactionBody member of each transaction type the node leaves undecoded. */
const PAYLOADS = {
  propose: 'propose',
  vote: 'vote',
  'anchor-receipt': 'anchorReceipt',
  'register-app': 'registerApp',
  'register-dataset': 'registerDataset',
  'register-workerpool': 'registerWorkerpool',
  'leave-pool': 'leavePool',
  'place-order': 'placeOrder',
};

// A placed order's kind is named as the pages label it ("App order"), not as the oneof member.
const RENAMED = { PlaceOrder: { app: 'appOrder', dataset: 'datasetOrder', workerpool: 'workerpoolOrder', request: 'requestOrder' } };
const AMOUNTS = new Set(['amount', 'price', 'appMaxPrice', 'datasetMaxPrice', 'workerpoolMaxPrice']);

function hex(bytes) {
  let s = '0x';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

function fromHex(text) {
  const clean = text.startsWith('0x') ? text.slice(2) : text;
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error('raw is not hex');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** One field's value as the pages show it: { kind, value }. */
function shown(field, value) {
  switch (field.type) {
    case 'uint64': case 'uint32': case 'int64': return { kind: AMOUNTS.has(field.name) ? 'amount' : 'number', value };
    case 'fixed64': return { kind: 'hex', value: '0x' + value.toString(16).padStart(16, '0') };
    case 'bool': return { kind: 'bool', value };
    case 'enum': return { kind: 'text', value: typeof value === 'number' ? `value ${value}` : value };
    case 'string': return { kind: 'text', value };
    case 'bytes': return { kind: field.kind?.name === 'address' ? 'address' : field.kind?.name === 'hash' ? 'hash' : 'hex', value: hex(value) };
    case 'message': return { kind: 'message', value: shownMessage(field.message, value) };
    default: return { kind: 'hex', value: String(value) };
  }
}

function shownMessage(schema, decoded) {
  const out = {};
  for (const field of schema.fields) {
    const value = decoded[field.name];
    if (value === undefined) continue;
    const name = RENAMED[schema.name]?.[field.name] ?? field.name;
    out[name] = field.repeated ? { kind: 'list', value: value.map((v) => shown(field, v)) } : shown(field, value);
  }
  return out;
}

/** Whether the page decodes this transaction type from its raw bytes. */
export function decodesFromRaw(type) {
  return Object.hasOwn(PAYLOADS, type);
}

/**
 * The payload of a transaction of `type` read from `raw` (the SignedTransaction bytes), as
 * { name: { kind, value } } (kinds: amount, number, bool, text, address, hash, hex, message, list).
 * Throws on bytes that do not decode.
 */
export function decodePayload(type, raw) {
  const member = PAYLOADS[type];
  if (!member) throw new Error(`no decoder for ${type}`);
  const { body } = decodeMessage(SignedTransaction, fromHex(raw));
  if (body === undefined) throw new Error('the transaction has no body');
  const decoded = decodeTransactionBody(body);
  if (decoded[member] === undefined) throw new Error(`the body holds no ${type} payload`);
  return shownMessage(TransactionBody.byName.get(member).message, decoded[member]);
}
