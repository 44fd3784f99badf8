// What each action's form reads: the texts a person typed become a transaction payload, or a
// message per field saying what is wrong (shown beside that field). Nothing here signs or sends.
// The payloads are the ones the CLI builds (node/IExecChain.Node/Cli: TxCommands, OrderJson,
// MarketCommands): zero or empty addresses mean "any"/"none" and are left out, the requester of a
// request order is the signer, each order gets 16 random bytes of salt so identical orders stay
// distinct, amounts are RLC ("2.5") or nRLC ("1000 nRLC").
import { InputError, parseAddress, parseRlc, toHex } from '../../client/src/index.js';

const UINT64_MAX = (1n << 64n) - 1n;
const ZERO_ADDRESS = /^0x0{40}$/i;

/** Thrown by a reader when fields are wrong: `errors` maps each field name to its message. */
export class FormError extends Error {
  constructor(errors) {
    super(Object.entries(errors).map(([field, message]) => `${field}: ${message}`).join('; '));
    this.name = 'FormError';
    this.errors = errors;
  }
}

function text(values, name) {
  return String(values[name] ?? '').trim();
}

// Each field reader returns its value or records the problem; read() throws all problems at once.
function reader(values) {
  const errors = {};
  const attempt = (name, parse) => {
    try {
      return parse(text(values, name));
    } catch (e) {
      errors[name] = e instanceof InputError || e instanceof RangeError ? e.message : String(e.message ?? e);
      return undefined;
    }
  };
  return {
    errors,
    address: (name, { optional = false } = {}) => attempt(name, (t) => {
      if (t === '' || ZERO_ADDRESS.test(t)) {
        if (optional) return undefined;
        throw new InputError(t === '' ? 'an address is required (0x followed by 40 hex digits)' : 'the zero address is nobody\'s');
      }
      if (!/^0x[0-9a-fA-F]*$/.test(t)) throw new InputError(`'${t}' is not an address: 0x followed by 40 hex digits`);
      if (t.length !== 42) throw new InputError(`'${t}' has ${t.length - 2} hex digits; an address has 40`);
      return toHex(parseAddress(t)); // also checks an EIP-55 checksum on mixed case
    }),
    hash: (name, what) => attempt(name, (t) => {
      if (!/^0x[0-9a-fA-F]{64}$/.test(t)) throw new InputError(`${what} is 0x followed by 64 hex digits`);
      return t.toLowerCase();
    }),
    amount: (name, { positive = false, empty } = {}) => attempt(name, (t) => {
      if (t === '' && empty !== undefined) return empty;
      const value = parseRlc(t, 'the amount');
      if (positive && value === 0n) throw new InputError('the amount must be more than 0');
      return value;
    }),
    integer: (name, { min = 0n, max = UINT64_MAX, empty } = {}) => attempt(name, (t) => {
      if (t === '' && empty !== undefined) return empty;
      if (!/^[0-9]+$/.test(t)) throw new InputError(`'${t}' is not a whole number`);
      const value = BigInt(t);
      if (value < min || value > max) throw new InputError(`must be between ${min} and ${max}`);
      return value;
    }),
    string: (name, { required = false, max = 4096 } = {}) => attempt(name, (t) => {
      if (required && t === '') throw new InputError('required');
      if (t.length > max) throw new InputError(`at most ${max} characters`);
      return t;
    }),
    url: (name) => attempt(name, (t) => {
      let url;
      try { url = new URL(t); } catch { throw new InputError(`'${t}' is not a URL such as http://127.0.0.1:8645/`); }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InputError('must be an http:// or https:// URL');
      return t;
    }),
    done(result) {
      if (Object.keys(errors).length) throw new FormError(errors);
      return result;
    },
  };
}

/** 16 random bytes, as the CLI salts an order (OrderJson). */
export function randomSalt(random = (n) => crypto.getRandomValues(new Uint8Array(n))) {
  return random(16);
}

/** transfer: { to, amount } → ['transfer', { to, amount }]. */
export function readTransfer(values) {
  const r = reader(values);
  const to = r.address('to');
  const amount = r.amount('amount', { positive: true });
  return r.done(['transfer', { to, amount }]);
}

/** stake / unstake: { role: 'worker'|'validator', amount }. */
export function readStake(values, kind = 'stake') {
  const r = reader(values);
  const role = text(values, 'role');
  if (role !== 'worker' && role !== 'validator') r.errors.role = 'choose worker or validator';
  const amount = r.amount('amount', { positive: true });
  return r.done([kind, { role, amount }]);
}

/** A request order, as the CLI's request template: app, prices, volume, category, trust, params. */
export function readRequestOrder(values, requester, salt = randomSalt()) {
  const r = reader(values);
  const request = {
    app: r.address('app'),
    appMaxPrice: r.amount('appMaxPrice', { empty: 0n }),
    dataset: r.address('dataset', { optional: true }),
    datasetMaxPrice: r.amount('datasetMaxPrice', { empty: 0n }),
    workerpool: r.address('workerpool', { optional: true }),
    workerpoolMaxPrice: r.amount('workerpoolMaxPrice', { empty: 0n }),
    requester,
    volume: r.integer('volume', { min: 1n, empty: 1n }),
    category: r.integer('category', { empty: 0n }),
    trust: r.integer('trust', { empty: 1n }),
    beneficiary: r.address('beneficiary', { optional: true }),
    params: r.string('params'),
    salt,
  };
  if (request.dataset === undefined && request.datasetMaxPrice) r.errors.datasetMaxPrice = 'no dataset is named: leave it empty or 0';
  for (const key of Object.keys(request)) if (request[key] === undefined) delete request[key];
  return r.done(['placeOrder', { request }]);
}

/** An app order: the app owner's price and volume. */
export function readAppOrder(values, salt = randomSalt()) {
  const r = reader(values);
  const app = { app: r.address('app'), price: r.amount('price', { empty: 0n }), volume: r.integer('volume', { min: 1n, empty: 1n }), salt };
  return r.done(['placeOrder', { app }]);
}

/** A dataset order: the dataset owner's price and volume. */
export function readDatasetOrder(values, salt = randomSalt()) {
  const r = reader(values);
  const dataset = { dataset: r.address('dataset'), price: r.amount('price', { empty: 0n }), volume: r.integer('volume', { min: 1n, empty: 1n }), salt };
  return r.done(['placeOrder', { dataset }]);
}

/** A workerpool order: price, volume, category and the highest trust it accepts. */
export function readWorkerpoolOrder(values, salt = randomSalt()) {
  const r = reader(values);
  const workerpool = {
    workerpool: r.address('workerpool'),
    price: r.amount('price', { empty: 0n }),
    volume: r.integer('volume', { min: 1n, empty: 1n }),
    category: r.integer('category', { empty: 0n }),
    trust: r.integer('trust', { empty: 1n }),
    salt,
  };
  return r.done(['placeOrder', { workerpool }]);
}

/** cancelOrder: { orderHash }. */
export function readCancelOrder(values) {
  const r = reader(values);
  const orderHash = r.hash('orderHash', 'an order hash');
  return r.done(['cancelOrder', { orderHash }]);
}

/**
 * registerApp, as `iexchain app register`: a WebAssembly module already served somewhere (its
 * content root, size and endpoint: `iexchain content put` prints them), or a native executable
 * (the keccak-256 of its bytes, its size and its path on the workers' machines).
 */
export function readRegisterApp(values) {
  const r = reader(values);
  const runtime = text(values, 'runtime');
  if (runtime !== 'wasm' && runtime !== 'native') r.errors.runtime = 'choose wasm or native';
  const app = { name: readName(r), runtime };
  app.contentRoot = r.hash('contentRoot', runtime === 'native' ? 'the executable\'s keccak-256' : 'a content root');
  app.contentSize = r.integer('contentSize', { min: 1n });
  if (runtime === 'native') app.manifest = r.string('manifest', { required: true });
  else app.endpoint = r.url('endpoint');
  return r.done(['registerApp', app]);
}

/** registerDataset, as `iexchain dataset register --content-root`: content root, size, endpoint. */
export function readRegisterDataset(values) {
  const r = reader(values);
  const dataset = {
    name: readName(r),
    contentRoot: r.hash('contentRoot', 'a content root'),
    size: r.integer('size', { min: 1n }),
    endpoint: r.url('endpoint'),
  };
  return r.done(['registerDataset', dataset]);
}

function readName(r) {
  return r.string('name', { required: true, max: 64 });
}
