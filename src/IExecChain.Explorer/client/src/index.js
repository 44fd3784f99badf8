// The iExecChain JS client: transactions encoded and signed exactly as the node does, keystores,
// amounts and a JSON-RPC client. Plain ES modules for the browser (bundled by the explorer's
// build) and Node 20+. README.md beside src/ lists the API; tests/vectors/ holds the node's
// known-answer vectors the tests compare against.

export { InputError, toHex, fromHex, concatBytes, equalBytes } from './bytes.js';
export {
  keccak256, parsePrivateKey, publicKeyOf, addressOfPublicKey, addressFromPrivateKey,
  toChecksumAddress, parseAddress, isAddress, signDigest, isCanonicalSignature, recoverPublicKey, recoverAddress,
} from './keys.js';
export {
  encodeTransactionBody, encodeSignedTransaction, signTransaction, transactionId, recoverSender,
  orderHash, placedOrderHash, resourceAddress,
} from './transactions.js';
export { StakeRole, AppRuntime, ReplicaFailure, PAYLOAD_NAMES, ORDER_KINDS } from './messages.js';
export { decodeMessage, decodeTransactionBody } from './decode.js';
export { KeystoreError, decryptKeystore } from './keystore.js';
export { NRLC_PER_RLC, RLC_DECIMALS, UINT64_MAX, parseRlc, formatRlc } from './amounts.js';
export { RpcError, createRpcClient, FEE_CLASS, prepareTransaction, sendRawTransaction } from './rpc.js';
