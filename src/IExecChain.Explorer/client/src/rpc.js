// A small JSON-RPC 2.0 client over fetch (docs/rpc.md), plus the look-ups a transaction needs
// before the user confirms it: chain id, fee for the payload type, the sender's next nonce.

import { InputError } from './bytes.js';
import { PAYLOAD_NAMES } from './messages.js';
import { toInteger } from './protobuf.js';

/** A JSON-RPC error answer (code and message as the node sent them), or a transport failure (code null). */
export class RpcError extends Error {
  constructor(code, message, data = undefined) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    if (data !== undefined) this.data = data;
  }
}

/**
 * A client for the node at `url` (default '/', the page's own origin). `call(method, params)`
 * resolves to the result or rejects with an RpcError: the node's { code, message, data }, or
 * code null with what went wrong on the way (network, HTTP status, a body that is not JSON-RPC,
 * the timeout).
 */
export function createRpcClient(url = '/', { fetch: fetchImpl = globalThis.fetch, timeoutMs = 30_000 } = {}) {
  let nextId = 1;
  async function call(method, params = []) {
    if (typeof method !== 'string' || method === '') throw new InputError('method must be a non-empty string');
    const id = nextId++;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let response;
    try {
      response = await fetchImpl(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
        signal: controller.signal,
      });
    } catch (e) {
      throw new RpcError(null, controller.signal.aborted ? `${method}: no answer within ${timeoutMs} ms` : `${method}: the node could not be reached (${e.message})`);
    } finally {
      clearTimeout(timer);
    }
    let answer;
    try {
      answer = await response.json();
    } catch {
      throw new RpcError(null, `${method}: HTTP ${response.status} with a body that is not JSON`);
    }
    if (answer !== null && typeof answer === 'object' && answer.error !== undefined && answer.error !== null) {
      const { code = null, message = 'error without a message', data } = answer.error;
      throw new RpcError(code, message, data);
    }
    if (answer === null || typeof answer !== 'object' || !('result' in answer))
      throw new RpcError(null, `${method}: HTTP ${response.status} with an answer that is not JSON-RPC`);
    return answer.result;
  }
  return { url, call };
}

/** Which entry of iex_nodeInfo's `fees` a payload pays (TransactionExecutor.RequiredFee). */
export const FEE_CLASS = Object.freeze({
  transfer: 'transfer',
  stake: 'stake',
  unstake: 'unstake',
  propose: 'governance',
  vote: 'governance',
  anchorReceipt: 'anchorReceipt',
  withdraw: 'bridge',
  attestDeposits: 'bridge',
  registerApp: 'registry',
  registerDataset: 'registry',
  registerWorkerpool: 'registry',
  joinPool: 'registry',
  leavePool: 'registry',
  placeOrder: 'order',
  cancelOrder: 'order',
  challenge: 'order',
  contribute: 'contribution',
  reveal: 'contribution',
  reportFailure: 'contribution',
});

/**
 * A transaction ready to show the user and sign: { chainId, nonce, fee, [payloadName]: payload },
 * with the chain id and minimum fee from iex_nodeInfo and the sender's next nonce (pendingNonce,
 * so transactions already waiting in the mempool are counted) from iex_getAccount. Nothing is sent.
 */
export async function prepareTransaction(rpc, sender, payloadName, payload) {
  if (!PAYLOAD_NAMES.includes(payloadName)) throw new InputError(`unknown transaction type '${payloadName}' (known: ${PAYLOAD_NAMES.join(', ')})`);
  const [info, account] = await Promise.all([rpc.call('iex_nodeInfo'), rpc.call('iex_getAccount', [sender])]);
  const feeText = info.fees?.[FEE_CLASS[payloadName]];
  if (feeText === undefined) throw new RpcError(null, `iex_nodeInfo lists no fee for ${FEE_CLASS[payloadName]} (${payloadName})`);
  const max = (1n << 64n) - 1n;
  return {
    chainId: toInteger(info.chainId, 'chainId', 0n, max),
    nonce: toInteger(account.pendingNonce ?? account.nonce, 'nonce', 0n, max),
    fee: toInteger(feeText, 'fee', 0n, max),
    [payloadName]: payload,
  };
}

/** Submits signed transaction hex; resolves to the transaction id the node computed. */
export async function sendRawTransaction(rpc, signedHex) {
  return rpc.call('iex_sendRawTransaction', [signedHex]);
}
