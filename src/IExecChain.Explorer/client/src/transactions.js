// Building and signing transactions exactly as the node does (TransactionCodec.Sign):
// body = TransactionBody protobuf bytes, signature over keccak256(body), envelope =
// SignedTransaction { body, signature }, id = keccak256(envelope bytes). docs/rpc.md,
// "Building a transaction", walks through one example byte by byte.

import { InputError, concatBytes, fromHex, toHex } from './bytes.js';
import { addressFromPrivateKey, keccak256, parseAddress, recoverAddress, signDigest } from './keys.js';
import { ORDER_KINDS, ORDER_SCHEMAS, PlaceOrder, SignedTransaction, TransactionBody } from './messages.js';
import { decodeSignedTransaction, encodeMessage, toInteger } from './protobuf.js';

/**
 * The TransactionBody bytes of `tx`: { chainId, nonce, fee, <payload>: {...} } with exactly one
 * payload (transfer, stake, unstake, placeOrder, cancelOrder, registerApp, ...; see messages.js).
 * Integers are bigints, safe-integer numbers or decimal strings; bytes are Uint8Arrays or hex.
 */
export function encodeTransactionBody(tx) {
  return encodeMessage(TransactionBody, tx, 'transaction');
}

/** The SignedTransaction bytes of a body and its 65-byte signature. */
export function encodeSignedTransaction(body, signature) {
  return encodeMessage(SignedTransaction, { body, signature }, 'signed transaction');
}

/**
 * Encodes and signs `tx` with the private key (hex or 32 bytes). Returns the bytes and their hex:
 * { body, bodyHash, signature, signed, signedHex (for iex_sendRawTransaction), id, sender }.
 */
export function signTransaction(tx, privateKey) {
  const body = encodeTransactionBody(tx);
  const bodyHash = keccak256(body);
  const signature = signDigest(bodyHash, privateKey);
  const signed = encodeSignedTransaction(body, signature);
  return {
    body,
    bodyHash: toHex(bodyHash),
    signature,
    signed,
    signedHex: toHex(signed),
    id: transactionId(signed),
    sender: addressFromPrivateKey(privateKey),
  };
}

/** A transaction's id: keccak256 of its SignedTransaction bytes, 0x hex. */
export function transactionId(signed) {
  return toHex(keccak256(signed));
}

/**
 * Opens signed transaction bytes (or their hex): { body, signature, sender, id }. Throws on a
 * malformed envelope or a non-canonical signature. The body is not decoded.
 */
export function recoverSender(signed) {
  const bytes = typeof signed === 'string' ? fromHex(signed, 'signed transaction') : signed;
  const { body, signature } = decodeSignedTransaction(bytes);
  if (signature.length !== 65) throw new InputError(`signature must be 65 bytes, got ${signature.length}`);
  return { body, signature, sender: recoverAddress(keccak256(body), signature), id: transactionId(bytes) };
}

/**
 * The hash of an order, as the market keys it (OrderCodec.HashOf): keccak256(kind byte ‖ order
 * bytes), kind 1 app, 2 dataset, 3 workerpool, 4 request. CancelOrder takes this hash.
 */
export function orderHash(kind, order) {
  const kindByte = ORDER_KINDS[kind];
  if (kindByte === undefined) throw new InputError(`order kind must be one of ${Object.keys(ORDER_KINDS).join(', ')}, got '${kind}'`);
  return toHex(keccak256(concatBytes(Uint8Array.of(kindByte), encodeMessage(ORDER_SCHEMAS[kind], order, `placeOrder.${kind}`))));
}

/** The hash of the order a placeOrder payload carries ({ app | dataset | workerpool | request }). */
export function placedOrderHash(placeOrder) {
  encodeMessage(PlaceOrder, placeOrder, 'placeOrder'); // one order, well formed
  const kind = Object.keys(ORDER_KINDS).find(name => placeOrder[name] !== undefined && placeOrder[name] !== null);
  return orderHash(kind, placeOrder[kind]);
}

const RESOURCE_KINDS = { app: 1, dataset: 2, workerpool: 3 };

/**
 * The address a registration gets (MarketBlock.ResourceId): the last 20 bytes of
 * keccak256(kind ‖ owner ‖ nonce as uint64 big-endian), kind 1 app, 2 dataset, 3 workerpool,
 * where nonce is the registering transaction's.
 */
export function resourceAddress(kind, owner, nonce) {
  const kindByte = RESOURCE_KINDS[kind];
  if (kindByte === undefined) throw new InputError(`resource kind must be one of ${Object.keys(RESOURCE_KINDS).join(', ')}, got '${kind}'`);
  const nonceBytes = new Uint8Array(8);
  new DataView(nonceBytes.buffer).setBigUint64(0, toInteger(nonce, 'nonce', 0n, (1n << 64n) - 1n), false);
  return toHex(keccak256(concatBytes(Uint8Array.of(kindByte), parseAddress(owner, 'owner'), nonceBytes)).subarray(12));
}
