// The confirmation step's text: exactly what will be signed, field by field, in words a person can
// check (amounts in RLC with their nRLC, full addresses and hashes), with the fee, nonce and chain.
// The rows are made from the transaction object that is then signed, not from the form's text.
import { formatRlc, toHex, placedOrderHash, resourceAddress } from '../../client/src/index.js';

const TITLES = {
  transfer: 'Transfer',
  stake: 'Stake',
  unstake: 'Unstake',
  placeOrder: 'Place an order',
  cancelOrder: 'Cancel an order',
  registerApp: 'Register an app',
  registerDataset: 'Register a dataset',
};

const ORDER_KIND_NAMES = { app: 'app order', dataset: 'dataset order', workerpool: 'workerpool order', request: 'request order' };

function rlc(value) {
  const n = BigInt(value ?? 0);
  return `${formatRlc(n, { grouping: true })} RLC (${n} nRLC)`;
}

function bytes(value) {
  return value instanceof Uint8Array ? toHex(value) : String(value);
}

const FIELD_LABELS = {
  app: 'App', dataset: 'Dataset', workerpool: 'Workerpool', requester: 'Requester', beneficiary: 'Beneficiary',
  appMaxPrice: 'Most paid to the app, per task', datasetMaxPrice: 'Most paid to the dataset, per task',
  workerpoolMaxPrice: 'Most paid to the workerpool, per task', price: 'Price per task', volume: 'Volume (tasks)',
  category: 'Category', trust: 'Trust', params: 'Parameters', salt: 'Salt', tag: 'Tag',
};
const AMOUNT_FIELDS = new Set(['appMaxPrice', 'datasetMaxPrice', 'workerpoolMaxPrice', 'price']);

function orderRows(kind, order) {
  const rows = [['Order kind', ORDER_KIND_NAMES[kind]]];
  for (const [name, value] of Object.entries(order)) {
    const label = FIELD_LABELS[name] ?? name;
    if (AMOUNT_FIELDS.has(name)) rows.push([label, rlc(value)]);
    else if (value instanceof Uint8Array || (typeof value === 'string' && value.startsWith('0x'))) rows.push([label, bytes(value)]);
    else rows.push([label, name === 'params' && value === '' ? '(none)' : String(value)]);
  }
  if (kind === 'request') {
    if (!('dataset' in order)) rows.push(['Dataset', 'none']);
    if (!('workerpool' in order)) rows.push(['Workerpool', 'any']);
    if (!('beneficiary' in order)) rows.push(['Beneficiary', 'the requester']);
  }
  return rows;
}

function payloadRows(name, p) {
  switch (name) {
    case 'transfer': return [['To', bytes(p.to)], ['Amount', rlc(p.amount)]];
    case 'stake':
    case 'unstake': return [['Role', String(p.role)], ['Amount', rlc(p.amount)]];
    case 'placeOrder': {
      const kind = Object.keys(ORDER_KIND_NAMES).find((k) => p[k]);
      return [...orderRows(kind, p[kind]), ['Order hash', placedOrderHash(p)]];
    }
    case 'cancelOrder': return [['Order hash', bytes(p.orderHash)]];
    case 'registerApp': return [['Name', p.name], ['Runtime', String(p.runtime)], ['Content root', bytes(p.contentRoot)], ['Size', `${p.contentSize} bytes`],
      p.runtime === 'native' ? ['Path on the workers', p.manifest] : ['Endpoint', p.endpoint]];
    case 'registerDataset': return [['Name', p.name], ['Content root', bytes(p.contentRoot)], ['Size', `${p.size} bytes`], ['Endpoint', p.endpoint]];
    default: throw new Error(`no description for a ${name} transaction`);
  }
}

/** The payload's name in a transaction object ({ chainId, nonce, fee, [name]: payload }). */
export function payloadName(tx) {
  return Object.keys(tx).find((k) => k !== 'chainId' && k !== 'nonce' && k !== 'fee');
}

/**
 * { title, rows: [[label, text]] } for a transaction about to be signed by `sender`: the payload's
 * fields, then what registering yields (the new app's or dataset's address), the fee, nonce, chain.
 */
export function describeTransaction(tx, sender) {
  const name = payloadName(tx);
  const rows = payloadRows(name, tx[name]);
  if (name === 'registerApp') rows.push(['The app\'s address will be', resourceAddress('app', sender, tx.nonce)]);
  if (name === 'registerDataset') rows.push(['The dataset\'s address will be', resourceAddress('dataset', sender, tx.nonce)]);
  rows.push(['From', sender], ['Fee', rlc(tx.fee)], ['Nonce', String(tx.nonce)], ['Chain id', String(tx.chainId)]);
  return { title: TITLES[name] ?? name, rows };
}
