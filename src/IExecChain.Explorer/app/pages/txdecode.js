// Reads a transaction's payload from its raw bytes for the types whose payload the node's
// transaction object leaves out (docs/rpc.md gives `payload` for transfers, stakes, contributions,
// reveals, failure reports, challenges, order cancels, pool joins, withdrawals and attestations):
// governance proposals and votes, anchor receipts, registrations, leaving a pool and placing an
// order. The schemas follow src/IExecChain.Core/Protos/transactions.proto and market.proto.
// Not a page: pages/index.js does not list it.

const ADDRESS = 'address';
const HASH = 'hash';
const BYTES = 'bytes';
const U64 = 'uint64';
const STRING = 'string';
const BOOL = 'bool';
const FIXED64 = 'fixed64';

// Field number → [name, type, options]; options: { repeated, message, enum }.
const Attribute = { 1: ['name', STRING], 2: ['intValue', U64], 3: ['boolValue', BOOL], 4: ['stringValue', STRING] };
const AppOrder = {
  1: ['app', ADDRESS], 2: ['price', U64, { amount: true }], 3: ['volume', U64], 4: ['tag', FIXED64],
  5: ['datasetRestrict', ADDRESS, { repeated: true }], 6: ['workerpoolRestrict', ADDRESS, { repeated: true }],
  7: ['requesterRestrict', ADDRESS, { repeated: true }], 8: ['salt', BYTES],
};
const DatasetOrder = {
  1: ['dataset', ADDRESS], 2: ['price', U64, { amount: true }], 3: ['volume', U64], 4: ['tag', FIXED64],
  5: ['appRestrict', ADDRESS, { repeated: true }], 6: ['workerpoolRestrict', ADDRESS, { repeated: true }],
  7: ['requesterRestrict', ADDRESS, { repeated: true }], 8: ['salt', BYTES],
};
const WorkerpoolOrder = {
  1: ['workerpool', ADDRESS], 2: ['price', U64, { amount: true }], 3: ['volume', U64], 4: ['tag', FIXED64],
  5: ['category', U64], 6: ['trust', U64], 7: ['appRestrict', ADDRESS, { repeated: true }],
  8: ['datasetRestrict', ADDRESS, { repeated: true }], 9: ['requesterRestrict', ADDRESS, { repeated: true }],
  10: ['salt', BYTES], 11: ['capabilities', 'message', { repeated: true, message: Attribute }],
  12: ['requirements', STRING], 13: ['performance', U64], 14: ['energyEfficiency', U64],
};
const RankingWeights = { 1: ['cost', U64], 2: ['performance', U64], 3: ['reliability', U64], 4: ['trust', U64], 5: ['energy', U64] };
const RequestOrder = {
  1: ['app', ADDRESS], 2: ['appMaxPrice', U64, { amount: true }], 3: ['dataset', ADDRESS],
  4: ['datasetMaxPrice', U64, { amount: true }], 5: ['workerpool', ADDRESS], 6: ['workerpoolMaxPrice', U64, { amount: true }],
  7: ['requester', ADDRESS], 8: ['volume', U64], 9: ['tag', FIXED64], 10: ['category', U64], 11: ['trust', U64],
  12: ['beneficiary', ADDRESS], 13: ['params', STRING], 14: ['salt', BYTES], 15: ['requirements', STRING],
  16: ['attributes', 'message', { repeated: true, message: Attribute }], 17: ['weights', 'message', { message: RankingWeights }],
};
const PlaceOrder = {
  1: ['appOrder', 'message', { message: AppOrder }], 2: ['datasetOrder', 'message', { message: DatasetOrder }],
  3: ['workerpoolOrder', 'message', { message: WorkerpoolOrder }], 4: ['requestOrder', 'message', { message: RequestOrder }],
};
const Propose = {
  1: ['admitValidator', 'message', { message: { 1: ['publicKey', BYTES] } }],
  2: ['removeValidator', 'message', { message: { 1: ['address', ADDRESS] } }],
  3: ['changeParameter', 'message', { message: { 1: ['name', STRING], 2: ['value', U64] } }],
  4: ['approveApp', 'message', { message: { 1: ['app', ADDRESS] } }],
  5: ['revokeApp', 'message', { message: { 1: ['app', ADDRESS] } }],
  10: ['descriptionHash', HASH],
};
const Vote = { 1: ['proposalId', U64], 2: ['approve', BOOL] };
const AnchorReceipt = {
  1: ['checkpointNumber', U64], 2: ['ethChainId', U64], 3: ['anchorContract', ADDRESS], 4: ['ethTxHash', HASH], 5: ['ethBlockNumber', U64],
};
const RegisterApp = {
  1: ['name', STRING], 2: ['runtime', 'enum', { names: ['unspecified', 'wasm', 'native'] }], 3: ['contentRoot', HASH],
  4: ['contentSize', U64], 5: ['endpoint', STRING], 6: ['manifest', STRING],
};
const RegisterDataset = { 1: ['name', STRING], 2: ['contentRoot', HASH], 3: ['size', U64], 4: ['endpoint', STRING] };
const RegisterWorkerpool = {
  1: ['description', STRING], 2: ['workerStakeRatio', U64], 3: ['schedulerRewardRatio', U64],
  4: ['workerAllow', ADDRESS, { repeated: true }], 5: ['allowNative', BOOL],
};

/** Payload field number of each transaction type the node leaves undecoded, and its schema. */
const PAYLOADS = {
  propose: [13, Propose],
  vote: [14, Vote],
  'anchor-receipt': [15, AnchorReceipt],
  'register-app': [16, RegisterApp],
  'register-dataset': [17, RegisterDataset],
  'register-workerpool': [18, RegisterWorkerpool],
  'leave-pool': [20, {}],
  'place-order': [21, PlaceOrder],
};

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

/** The fields of one protobuf message: [{ number, wire, value }] where value is a BigInt or bytes. */
function readFields(bytes) {
  const out = [];
  let i = 0;
  const varint = () => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= bytes.length) throw new Error('truncated varint');
      const b = bytes[i++];
      // The 10th byte holds bit 63 only: more would be a value past 64 bits, which no field has.
      if (shift === 63n && b > 1) throw new Error('varint beyond 64 bits');
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  };
  while (i < bytes.length) {
    const key = varint();
    const number = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) out.push({ number, wire, value: varint() });
    else if (wire === 2) {
      const length = Number(varint());
      if (i + length > bytes.length) throw new Error('truncated field');
      out.push({ number, wire, value: bytes.subarray(i, i + length) });
      i += length;
    } else if (wire === 1) {
      if (i + 8 > bytes.length) throw new Error('truncated fixed64');
      out.push({ number, wire, value: bytes.subarray(i, i + 8) });
      i += 8;
    } else if (wire === 5) {
      if (i + 4 > bytes.length) throw new Error('truncated fixed32');
      i += 4;
    } else {
      throw new Error(`unsupported wire type ${wire}`);
    }
  }
  return out;
}

function decodeMessage(bytes, schema) {
  const result = {};
  for (const f of readFields(bytes)) {
    const spec = schema[f.number];
    if (!spec) continue;
    const [name, type, options = {}] = spec;
    let value;
    if (type === U64) value = { kind: options.amount ? 'amount' : 'number', value: f.value };
    else if (type === BOOL) value = { kind: 'bool', value: f.value !== 0n };
    else if (type === 'enum') value = { kind: 'text', value: options.names[Number(f.value)] ?? `value ${f.value}` };
    else if (type === STRING) value = { kind: 'text', value: new TextDecoder().decode(f.value) };
    else if (type === ADDRESS) value = { kind: 'address', value: hex(f.value) };
    else if (type === HASH) value = { kind: 'hash', value: hex(f.value) };
    else if (type === FIXED64) value = { kind: 'hex', value: hex(f.value) };
    else if (type === BYTES) value = { kind: 'hex', value: hex(f.value) };
    else if (type === 'message') value = { kind: 'message', value: decodeMessage(f.value, options.message) };
    if (options.repeated) (result[name] ??= { kind: 'list', value: [] }).value.push(value);
    else result[name] = value;
  }
  return result;
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
  const entry = PAYLOADS[type];
  if (!entry) throw new Error(`no decoder for ${type}`);
  const [payloadField, schema] = entry;
  const signed = readFields(fromHex(raw));
  const body = signed.find((f) => f.number === 1 && f.wire === 2);
  if (!body) throw new Error('the transaction has no body');
  const payload = readFields(body.value).find((f) => f.number === payloadField && f.wire === 2);
  if (!payload) throw new Error(`the body holds no ${type} payload`);
  return decodeMessage(payload.value, schema);
}
