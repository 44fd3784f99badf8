// secp256k1 keys, addresses and recoverable signatures with the node's conventions
// (docs/crypto.md): signature = r (32) ‖ s (32, low-S) ‖ v (recovery id 0 or 1, not 27/28),
// RFC 6979 deterministic nonces, address = last 20 bytes of keccak256(64-byte public key).

import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { InputError, bytesToBigInt, concatBytes, describe, fromHex, toHex } from './bytes.js';

const N = secp256k1.Point.CURVE().n;
const HALF_N = N >> 1n;

/** keccak-256 (Ethereum's, not SHA3-256) of the bytes. */
export function keccak256(bytes) {
  return keccak_256(bytes);
}

/** A 32-byte private key from hex (0x optional) or bytes, refused with the node's reasons. */
export function parsePrivateKey(value) {
  const key = value instanceof Uint8Array ? Uint8Array.from(value) : fromHex(value, 'private key');
  if (key.length !== 32) throw new InputError(`a private key is 32 bytes, got ${key.length}`);
  const scalar = bytesToBigInt(key);
  if (scalar === 0n) throw new InputError('a private key must not be zero');
  if (scalar >= N) throw new InputError('a private key must be below the secp256k1 group order n');
  return key;
}

/** The 64-byte uncompressed public key (no 0x04 prefix) of a private key. */
export function publicKeyOf(privateKey) {
  return secp256k1.getPublicKey(parsePrivateKey(privateKey), false).subarray(1);
}

/** The address (lower-case 0x hex) of a 64-byte public key. */
export function addressOfPublicKey(publicKey64) {
  if (!(publicKey64 instanceof Uint8Array) || publicKey64.length !== 64) throw new InputError('a public key is 64 bytes (no 0x04 prefix)');
  return toHex(keccak256(publicKey64).subarray(12));
}

/** The address (lower-case 0x hex) of a private key. */
export function addressFromPrivateKey(privateKey) {
  return addressOfPublicKey(publicKeyOf(privateKey));
}

/** EIP-55 mixed-case checksum form of an address. */
export function toChecksumAddress(address) {
  const lower = toHex(parseAddress(address)).slice(2);
  const hash = keccak256(new TextEncoder().encode(lower));
  let out = '0x';
  for (let i = 0; i < 40; i++) {
    const nibble = (hash[i >> 1] >> (i % 2 === 0 ? 4 : 0)) & 15;
    out += nibble >= 8 ? lower[i].toUpperCase() : lower[i];
  }
  return out;
}

/**
 * Parses an address typed by a person: 0x and 40 hex digits (surrounding blanks ignored). All
 * lower or all upper case is taken as is; mixed case must be a correct EIP-55 checksum, so a
 * mistyped checksummed address is refused instead of sending funds to a neighbour of it.
 */
export function parseAddress(text, what = 'address') {
  if (text instanceof Uint8Array) {
    if (text.length !== 20) throw new InputError(`${what} must be 20 bytes, got ${text.length}`);
    return Uint8Array.from(text);
  }
  if (typeof text !== 'string') throw new InputError(`${what} must be a 0x-prefixed hex string, got ${describe(text)}`);
  const trimmed = text.trim();
  if (!/^0[xX][0-9a-fA-F]{40}$/.test(trimmed))
    throw new InputError(`${what} must be 0x followed by 40 hex digits, got ${describe(trimmed)}`);
  const digits = trimmed.slice(2);
  const bytes = fromHex(digits, what, 20);
  if (digits !== digits.toLowerCase() && digits !== digits.toUpperCase() && toChecksumAddress(bytes) !== '0x' + digits)
    throw new InputError(`${what} ${trimmed} has a wrong checksum (mixed case must be EIP-55): check it for a typo`);
  return bytes;
}

/** True when the text is an address parseAddress accepts. */
export function isAddress(text) {
  try {
    parseAddress(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Signs a 32-byte digest: 65 bytes r ‖ s ‖ v, deterministic (RFC 6979), low-S with v flipped
 * when s is negated, as libsecp256k1 and the node's managed backend do.
 */
export function signDigest(digest32, privateKey) {
  if (!(digest32 instanceof Uint8Array) || digest32.length !== 32) throw new InputError('the digest to sign must be 32 bytes');
  const recovered = secp256k1.sign(digest32, parsePrivateKey(privateKey), { prehash: false, lowS: true, extraEntropy: false, format: 'recovered' });
  // noble writes the recovery id first; the node puts it last.
  const recovery = recovered[0];
  // 2 or 3 means R.x ≥ n (probability ~2^-127); the node refuses to emit such a signature too.
  if (recovery > 1) throw new Error('secp256k1 produced a signature with recovery id > 1');
  return concatBytes(recovered.subarray(1), Uint8Array.of(recovery));
}

/** True for the node's canonical form: r in [1, n−1], s in [1, n/2], v in {0, 1}. */
export function isCanonicalSignature(signature65) {
  if (!(signature65 instanceof Uint8Array) || signature65.length !== 65 || signature65[64] > 1) return false;
  const r = bytesToBigInt(signature65.subarray(0, 32));
  const s = bytesToBigInt(signature65.subarray(32, 64));
  return r >= 1n && r < N && s >= 1n && s <= HALF_N;
}

/** The 64-byte public key that signed the digest; throws on a non-canonical or invalid signature. */
export function recoverPublicKey(digest32, signature65) {
  if (!isCanonicalSignature(signature65)) throw new InputError('signature is not canonical (r ‖ s ‖ v with low s and v in {0, 1})');
  const recovered = concatBytes(signature65.subarray(64, 65), signature65.subarray(0, 64));
  const point = secp256k1.Signature.fromBytes(recovered, 'recovered').recoverPublicKey(digest32);
  return point.toBytes(false).subarray(1);
}

/** The address that signed the digest. */
export function recoverAddress(digest32, signature65) {
  return addressOfPublicKey(recoverPublicKey(digest32, signature65));
}
