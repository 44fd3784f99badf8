// Web3 Secret Storage v3 keystores (geth / ethers format), opened the way the node's KeystoreV3
// does (src/IExecChain.Core/Crypto/KeystoreV3.cs): scrypt or PBKDF2-HMAC-SHA256, AES-128-CTR,
// MAC = keccak256(dk[16..32] ‖ ciphertext), the same field checks and the same bounds on what a
// hostile file may ask of us. Everything happens here, in the page: the file and the password
// never leave it.

import { ctr } from '@noble/ciphers/aes.js';
import { pbkdf2Async } from '@noble/hashes/pbkdf2.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, equalBytes, fromHex, toHex } from './bytes.js';
import { addressFromPrivateKey, keccak256, parsePrivateKey } from './keys.js';

/** A keystore could not be opened: wrong password, unsupported parameters or malformed JSON. */
export class KeystoreError extends Error {
  constructor(message) {
    super(message);
    this.name = 'KeystoreError';
  }
}

// Bounds on what a file may ask of us (the node's: KeystoreV3.MaxScryptMemoryBytes, MaxPbkdf2Iterations).
const MAX_SCRYPT_MEMORY_BYTES = 2 ** 30; // scrypt needs 128·N·r bytes
const MAX_PBKDF2_ITERATIONS = 10_000_000;
const INT32_MAX = 2 ** 31 - 1;

/**
 * Decrypts a v3 keystore (JSON text or a parsed object) with the password. Resolves to
 * { privateKey: Uint8Array(32), address: '0x…' }; rejects with a KeystoreError whose message says
 * what is wrong ("wrong password: …" when the MAC does not match). `onProgress(fraction)` is
 * called while the key derivation runs (a second or more for geth's default scrypt cost).
 */
export async function decryptKeystore(json, password, { onProgress } = {}) {
  if (typeof password !== 'string') throw new KeystoreError('the password must be a string');
  const root = parse(json);
  const version = integer(root, 'version', 'version');
  if (version !== 3) throw new KeystoreError(`unsupported keystore version ${version} (only 3 is supported)`);
  // MyEtherWallet and early geth wrote "Crypto"; accept either spelling, as the node does.
  const crypto = property(root, 'crypto', 'crypto', true);

  const cipher = string(crypto, 'cipher', 'crypto.cipher');
  if (cipher !== 'aes-128-ctr') throw new KeystoreError(`unsupported cipher '${cipher}' (only aes-128-ctr is supported)`);
  const iv = hex(property(crypto, 'cipherparams', 'crypto.cipherparams'), 'iv', 'crypto.cipherparams.iv');
  if (iv.length !== 16) throw new KeystoreError(`crypto.cipherparams.iv must be 16 bytes, got ${iv.length}`);
  const ciphertext = hex(crypto, 'ciphertext', 'crypto.ciphertext');
  if (ciphertext.length !== 32) throw new KeystoreError(`crypto.ciphertext must be 32 bytes, got ${ciphertext.length}`);
  const expectedMac = hex(crypto, 'mac', 'crypto.mac');
  if (expectedMac.length !== 32) throw new KeystoreError(`crypto.mac must be 32 bytes, got ${expectedMac.length}`);

  const derived = await deriveKey(crypto, password, onProgress);
  try {
    const mac = keccak256(concatBytes(derived.subarray(16, 32), ciphertext));
    if (!equalBytes(mac, expectedMac)) throw new KeystoreError('wrong password: the keystore MAC does not match');
    // CTR with the whole 16-byte IV as a big-endian counter, as geth and ethers do (noble advances a copy).
    const aesKey = derived.slice(0, 16);
    let secret;
    try {
      secret = ctr(aesKey, Uint8Array.from(iv)).decrypt(ciphertext);
    } finally {
      aesKey.fill(0); // the copies this module makes are zeroed; the cipher's own state is noble's
    }
    let privateKey;
    try {
      privateKey = parsePrivateKey(secret);
    } catch (e) {
      throw new KeystoreError(`keystore decrypts to an invalid private key: ${e.message}`);
    } finally {
      secret.fill(0);
    }
    const address = addressFromPrivateKey(privateKey);
    const stated = statedAddress(root);
    if (stated !== null && stated !== address)
      throw new KeystoreError(`keystore address field ${stated} does not match the decrypted key's address ${address}`);
    return { privateKey, address };
  } finally {
    derived.fill(0);
  }
}

async function deriveKey(crypto, password, onProgress) {
  const kdf = string(crypto, 'kdf', 'crypto.kdf');
  const params = property(crypto, 'kdfparams', 'crypto.kdfparams');
  const dkLen = integer(params, 'dklen', 'crypto.kdfparams.dklen');
  if (dkLen !== 32) throw new KeystoreError(`crypto.kdfparams.dklen must be 32, got ${dkLen}`);
  const salt = hex(params, 'salt', 'crypto.kdfparams.salt');
  const passwordBytes = new TextEncoder().encode(password); // UTF-8, as geth and the node
  const progress = typeof onProgress === 'function' ? onProgress : undefined;
  try {
    switch (kdf) {
      case 'scrypt': {
        const n = integer(params, 'n', 'crypto.kdfparams.n');
        const r = integer(params, 'r', 'crypto.kdfparams.r');
        const p = integer(params, 'p', 'crypto.kdfparams.p');
        if (n < 2 || n > INT32_MAX || (n & (n - 1)) !== 0) throw new KeystoreError(`crypto.kdfparams.n must be a power of two ≥ 2, got ${n}`);
        if (r < 1 || p < 1 || r * p >= 2 ** 30) throw new KeystoreError(`crypto.kdfparams r=${r}, p=${p} are out of range`);
        // scrypt (RFC 7914) requires N < 2^(128·r/8); OpenSSL, BouncyCastle and ethers enforce it.
        if (r < 4 && n >= 2 ** (16 * r)) throw new KeystoreError(`scrypt parameters n=${n}, r=${r} break the rule n < 2^(16·r)`);
        if (128 * n * r > MAX_SCRYPT_MEMORY_BYTES) throw new KeystoreError(`scrypt parameters n=${n}, r=${r} need more than ${MAX_SCRYPT_MEMORY_BYTES / 2 ** 20} MiB`);
        // noble also counts the p blocks of 128·r bytes; allow them up to 1 MiB beyond the node's bound.
        const maxmem = MAX_SCRYPT_MEMORY_BYTES + 2 ** 20;
        if (128 * r * (n + p + 1) > maxmem) throw new KeystoreError(`scrypt parameters n=${n}, r=${r}, p=${p} need more than ${maxmem / 2 ** 20} MiB`);
        return await scryptAsync(passwordBytes, salt, { N: n, r, p, dkLen: 32, maxmem, onProgress: progress });
      }
      case 'pbkdf2': {
        const prf = string(params, 'prf', 'crypto.kdfparams.prf');
        if (prf !== 'hmac-sha256') throw new KeystoreError(`unsupported pbkdf2 prf '${prf}' (only hmac-sha256 is supported)`);
        const c = integer(params, 'c', 'crypto.kdfparams.c');
        if (c < 1 || c > MAX_PBKDF2_ITERATIONS) throw new KeystoreError(`crypto.kdfparams.c must be in [1, ${MAX_PBKDF2_ITERATIONS}], got ${c}`);
        const key = await pbkdf2Async(sha256, passwordBytes, salt, { c, dkLen: 32 });
        progress?.(1);
        return key;
      }
      default:
        throw new KeystoreError(`unsupported kdf '${kdf}' (scrypt and pbkdf2 are supported)`);
    }
  } finally {
    passwordBytes.fill(0);
  }
}

function parse(json) {
  let root = json;
  if (typeof json === 'string') {
    try {
      root = JSON.parse(json);
    } catch (e) {
      throw new KeystoreError(`keystore is not valid JSON: ${e.message}`);
    }
  }
  if (root === null || typeof root !== 'object' || Array.isArray(root)) throw new KeystoreError('keystore JSON must be an object');
  return root;
}

function property(parent, name, path, caseInsensitive = false) {
  if (parent !== null && typeof parent === 'object' && !Array.isArray(parent)) {
    if (Object.hasOwn(parent, name)) return parent[name];
    if (caseInsensitive) {
      const key = Object.keys(parent).find(k => k.toLowerCase() === name.toLowerCase());
      if (key !== undefined) return parent[key];
    }
  }
  throw new KeystoreError(`keystore is missing field '${path}'`);
}

function string(parent, name, path) {
  const value = property(parent, name, path);
  if (typeof value !== 'string') throw new KeystoreError(`keystore field '${path}' must be a string`);
  return value;
}

function integer(parent, name, path) {
  const value = property(parent, name, path);
  // Beyond 2^53 a JSON number is no longer exact; every such value is out of bounds anyway.
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new KeystoreError(`keystore field '${path}' must be an integer`);
  return value;
}

function hex(parent, name, path) {
  const text = string(parent, name, path);
  try {
    return fromHex(text, path);
  } catch (e) {
    throw new KeystoreError(`keystore field '${path}' is not hex: ${e.message}`);
  }
}

/** The "address" field when it is a 20-byte hex address, else null (the node ignores it then). */
function statedAddress(root) {
  if (typeof root.address !== 'string') return null;
  try {
    const bytes = fromHex(root.address, 'address');
    return bytes.length === 20 ? toHex(bytes) : null;
  } catch {
    return null;
  }
}
