// A transaction's payload in words: a one-line summary for lists and a labelled table for the
// transaction page. The node's transaction object carries `payload` for most types; the others
// (proposals, votes, anchor receipts, registrations, leaving a pool, orders) are read from `raw`.
// Not a page: pages/index.js does not list it.
import { h } from '../dom.js';
import { account, fields, full, idLink, table } from './parts.js';
import { decodePayload, decodesFromRaw } from './txdecode.js';

const LABELS = {
  to: 'To', amount: 'Amount', role: 'Role', taskId: 'Task', resultHash: 'Result hash (contribution)', resultSeal: 'Result seal',
  resultDigest: 'Result digest (reveal)', failure: 'Failure reported', orderHash: 'Order', workerpool: 'Workerpool', endpoint: 'Endpoint',
  recipient: 'Recipient (Ethereum)', deposits: 'Deposits attested', proposalId: 'Proposal', approve: 'Vote',
  checkpointNumber: 'Checkpoint', ethChainId: 'Ethereum chain id', anchorContract: 'Anchor contract', ethTxHash: 'Ethereum transaction',
  ethBlockNumber: 'Ethereum block', name: 'Name', runtime: 'Runtime', contentRoot: 'Content root', contentSize: 'Content size (bytes)',
  manifest: 'Manifest', size: 'Size (bytes)', description: 'Description', workerStakeRatio: 'Worker stake ratio (%)',
  schedulerRewardRatio: 'Scheduler reward ratio (%)', workerAllow: 'Allowed workers', allowNative: 'Allows native apps',
  descriptionHash: 'Description hash', admitValidator: 'Admit validator', removeValidator: 'Remove validator',
  changeParameter: 'Change parameter', approveApp: 'Approve app', revokeApp: 'Revoke app', publicKey: 'Public key', address: 'Address',
  value: 'Value', appOrder: 'App order', datasetOrder: 'Dataset order', workerpoolOrder: 'Workerpool order', requestOrder: 'Request order',
  app: 'App', dataset: 'Dataset', price: 'Price', volume: 'Volume', tag: 'Tag', category: 'Category', trust: 'Trust',
  appRestrict: 'Restricted to apps', datasetRestrict: 'Restricted to datasets', workerpoolRestrict: 'Restricted to workerpools',
  requesterRestrict: 'Restricted to requesters', salt: 'Salt', capabilities: 'Capabilities', requirements: 'Requirements',
  performance: 'Performance', energyEfficiency: 'Energy efficiency', appMaxPrice: 'App max price', datasetMaxPrice: 'Dataset max price',
  workerpoolMaxPrice: 'Workerpool max price', requester: 'Requester', beneficiary: 'Beneficiary', params: 'Parameters',
  attributes: 'Attributes', weights: 'Ranking weights', cost: 'Cost', reliability: 'Reliability', energy: 'Energy',
  intValue: 'Value', boolValue: 'Value', stringValue: 'Value', id: 'Deposit id', depositor: 'Depositor (Ethereum)',
};

const AMOUNT_KEYS = new Set(['amount', 'price', 'appMaxPrice', 'datasetMaxPrice', 'workerpoolMaxPrice', 'bond']);
const LINKS = { taskId: 'task', orderHash: 'order', workerpool: 'pool', app: 'app', dataset: 'dataset' };
const ACCOUNT_KEYS = new Set(['to', 'requester', 'beneficiary', 'address', 'workerAllow', 'requesterRestrict']);
const ZERO_ADDRESS = '0x' + '0'.repeat(40);

export function label(key) {
  return LABELS[key] ?? key.replace(/([A-Z])/g, ' $1').replace(/^./, (c) => c.toUpperCase());
}

/** One value of a payload from the node's JSON (key tells its meaning). */
function plain(ctx, key, value) {
  if (value === undefined || value === null) return '—';
  if (Array.isArray(value)) {
    if (value.length === 0) return 'none';
    if (value.every((v) => typeof v === 'object' && v !== null)) return objectsTable(ctx, value);
    return h('span', null, value.flatMap((v, i) => [i ? ', ' : '', plain(ctx, key, v)]));
  }
  if (typeof value === 'object') return fields(Object.entries(value).map(([k, v]) => [label(k), plain(ctx, k, v)]));
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  const text = String(value);
  if (AMOUNT_KEYS.has(key)) return ctx.format.rlc(text);
  if (LINKS[key] && /^0x[0-9a-f]+$/.test(text)) return idLink(ctx, LINKS[key], text);
  if (ACCOUNT_KEYS.has(key) && /^0x[0-9a-f]{40}$/.test(text)) return account(ctx, text);
  if (key === 'id' || key === 'ethBlockNumber' || key === 'checkpointNumber') return ctx.format.int(text);
  if (/^0x[0-9a-f]{40,}$/.test(text)) return full(text);
  return text;
}

function objectsTable(ctx, list) {
  const keys = [...new Set(list.flatMap((o) => Object.keys(o)))];
  return table(keys.map((k) => ({ label: label(k) })), list.map((o) => keys.map((k) => plain(ctx, k, o[k]))));
}

/** One value decoded from raw bytes ({ kind, value }). */
function decoded(ctx, key, v) {
  switch (v.kind) {
    case 'amount': return ctx.format.rlc(v.value);
    case 'number':
      if (key === 'proposalId') return idLink(ctx, 'proposal', String(v.value), `Proposal ${v.value}`);
      if (key === 'checkpointNumber') return idLink(ctx, 'checkpoint', String(v.value), `Checkpoint ${v.value}`);
      return ctx.format.int(v.value);
    case 'bool': return key === 'approve' ? (v.value ? 'yes' : 'no') : v.value ? 'yes' : 'no';
    case 'text': return v.value === '' ? '(empty)' : v.value;
    case 'address':
      if (v.value === ZERO_ADDRESS) return 'any';
      if (LINKS[key]) return idLink(ctx, LINKS[key], v.value);
      return key === 'anchorContract' ? full(v.value) : account(ctx, v.value);
    case 'hash': return full(v.value);
    case 'hex': return h('code', { class: 'hash' }, v.value);
    case 'message': return decodedFields(ctx, v.value);
    case 'list': return v.value.length ? h('span', null, v.value.flatMap((x, i) => [i ? ', ' : '', decoded(ctx, key, x)])) : 'none';
    default: return String(v.value);
  }
}

function decodedFields(ctx, message) {
  const entries = Object.entries(message);
  if (entries.length === 0) return h('span', { class: 'muted' }, 'no fields');
  return fields(entries.map(([k, v]) => [label(k), decoded(ctx, k, v)]));
}

/** The payload as a table of labelled fields (the transaction page). */
export function payloadDetails(ctx, tx) {
  if (tx.payload) return fields(Object.entries(tx.payload).map(([k, v]) => [label(k), plain(ctx, k, v), k]), { 'data-record': 'payload' });
  if (tx.type === 'leave-pool') return h('p', null, 'Leaves the workerpool the sender is in (no fields).');
  if (decodesFromRaw(tx.type)) {
    try {
      return h('div', { 'data-record': 'payload' }, h('p', { class: 'muted' }, 'Read from the transaction\'s raw bytes.'), decodedFields(ctx, decodePayload(tx.type, tx.raw)));
    } catch (e) {
      return h('p', { class: 'error', role: 'alert' }, `The payload could not be read from the raw bytes: ${e.message}`);
    }
  }
  return h('p', { class: 'muted' }, `No payload details for a ${tx.type} transaction.`);
}

/** A short line saying what a transaction does (lists). */
export function payloadSummary(ctx, tx) {
  const p = tx.payload;
  switch (tx.type) {
    case 'transfer': return p ? h('span', null, ctx.format.rlc(p.amount), ' → ', account(ctx, p.to)) : '—';
    case 'stake': return p ? `${ctx.format.rlc(p.amount)} as ${p.role}` : '—';
    case 'unstake': return p ? `${ctx.format.rlc(p.amount)} from ${p.role}` : '—';
    case 'contribute': case 'reveal': case 'challenge': return p ? h('span', null, 'task ', idLink(ctx, 'task', p.taskId)) : '—';
    case 'report-failure': return p ? h('span', null, `${p.failure}, task `, idLink(ctx, 'task', p.taskId)) : '—';
    case 'cancel-order': return p ? h('span', null, 'order ', idLink(ctx, 'order', p.orderHash)) : '—';
    case 'join-pool': return p ? h('span', null, 'pool ', idLink(ctx, 'pool', p.workerpool)) : '—';
    case 'withdraw': return p ? `${ctx.format.rlc(p.amount)} to Ethereum ${ctx.format.shortHash(p.recipient)}` : '—';
    case 'attest-deposits': return p ? `${p.deposits.length} deposit(s)` : '—';
    default: break;
  }
  if (!decodesFromRaw(tx.type) || !tx.raw) return '—';
  try {
    const d = decodePayload(tx.type, tx.raw);
    switch (tx.type) {
      case 'vote': return `${d.approve?.value ? 'yes' : 'no'} on proposal ${d.proposalId?.value ?? 0}`;
      case 'propose': return Object.keys(d).filter((k) => k !== 'descriptionHash').map(label).join(', ') || 'proposal';
      case 'anchor-receipt': return `checkpoint ${d.checkpointNumber?.value ?? 0}`;
      case 'register-app': case 'register-dataset': return d.name?.value ?? '—';
      case 'register-workerpool': return d.description?.value ?? '—';
      case 'place-order': {
        const [kind, order] = Object.entries(d)[0] ?? [];
        if (!kind) return '—';
        const price = order.value.price ?? order.value.workerpoolMaxPrice;
        return `${label(kind).toLowerCase()}${price ? ', ' + ctx.format.rlc(price.value) : ''}`;
      }
      default: return '—';
    }
  } catch {
    return '—';
  }
}
