import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KeystoreError, decryptKeystore, toHex } from '../src/index.js';
import { keystoreVectors } from '../test-support/vectors.js';

const vectors = keystoreVectors();

// The "Web3 Secret Storage Definition" PBKDF2 vector, and its scrypt vector re-encrypted by
// ethers 6.17.0 (the definition's own scrypt vector is inconsistent; see the node's
// tests/IExecChain.Core.Tests/Crypto/KeystoreV3Tests.cs): keystores from outside the project.
const DEFINITION_SECRET = '0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d';
const DEFINITION_PBKDF2 = {
  crypto: {
    cipher: 'aes-128-ctr',
    cipherparams: { iv: '6087dab2f9fdbbfaddc31a909735c1e6' },
    ciphertext: '5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46',
    kdf: 'pbkdf2',
    kdfparams: { c: 262144, dklen: 32, prf: 'hmac-sha256', salt: 'ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd' },
    mac: '517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2',
  },
  id: '3198bc9c-6672-5ab3-d995-4942343ae5b6',
  version: 3,
};
const ETHERS_SCRYPT = `{"address":"008aeeda4d805471df9b2a5b0f38a0c3bcba786b","id":"3198bc9c-6672-4ab3-9995-4942343ae5b6","version":3,
  "Crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"740770fce12ce862af21264dab25f1da"},
    "ciphertext":"1b368ffb2db0fcec8802eceba0b2820ae1069ef3815ac97ca1031371748f6e18","kdf":"scrypt",
    "kdfparams":{"salt":"25710c2ccd7c610b24d068af83b959b7a0e5f40641f0c82daeb1345766191034","n":262144,"dklen":32,"p":1,"r":8},
    "mac":"61de4bf77db2f8e07e01232c045e5b455997efeb22bb8ea08a66ff5a252182a6"}}`;

/** A keystore vector with some of its crypto parameters replaced. */
function altered(change) {
  const keystore = structuredClone(vectors.find(v => v.keystore.crypto.kdf === 'scrypt').keystore);
  change(keystore.crypto);
  return keystore;
}

async function refusal(keystore, password = 'x') {
  try {
    await decryptKeystore(keystore, password);
  } catch (e) {
    assert.ok(e instanceof KeystoreError, `a KeystoreError, got ${e}`);
    return e.message;
  }
  assert.fail('the keystore was accepted');
}

describe('keystores written by the node (tests/vectors/keystores.json)', () => {
  test('include scrypt and pbkdf2', () => {
    assert.deepEqual(new Set(vectors.map(v => v.keystore.crypto.kdf)), new Set(['scrypt', 'pbkdf2']));
  });

  for (const v of vectors) {
    test(`${v.name}: opens to its key and address, as text or as an object`, async () => {
      for (const form of [JSON.stringify(v.keystore), v.keystore]) {
        const { privateKey, address } = await decryptKeystore(form, v.password);
        assert.equal(toHex(privateKey), v.privateKey);
        assert.equal(address, v.address);
      }
    });

    test(`${v.name}: a wrong password says so`, async () => {
      for (const password of [v.password + 'x', '', v.password.toUpperCase() === v.password ? 'nope' : v.password.toUpperCase()]) {
        await assert.rejects(decryptKeystore(v.keystore, password), { name: 'KeystoreError', message: 'wrong password: the keystore MAC does not match' });
      }
    });
  }
});

describe('keystores from outside the project', () => {
  test('the Web3 Secret Storage definition\'s PBKDF2 vector', async () => {
    const { privateKey, address } = await decryptKeystore(DEFINITION_PBKDF2, 'testpassword');
    assert.equal(toHex(privateKey), DEFINITION_SECRET);
    assert.equal(address, '0x008aeeda4d805471df9b2a5b0f38a0c3bcba786b');
  });

  test('ethers\' scrypt keystore (N = 2^18, "Crypto" with a capital C), reporting progress', async () => {
    const progress = [];
    const { privateKey } = await decryptKeystore(ETHERS_SCRYPT, 'testpassword', { onProgress: p => progress.push(p) });
    assert.equal(toHex(privateKey), DEFINITION_SECRET);
    assert.ok(progress.length > 0);
  });
});

describe('hostile or malformed keystores are refused with a reason', () => {
  test('scrypt costs beyond the node\'s bounds', async () => {
    assert.match(await refusal(altered(c => { c.kdfparams.n = 2 ** 30; })), /need more than 1024 MiB/);
    assert.match(await refusal(altered(c => { c.kdfparams.n = 2 ** 31; })), /must be a power of two/);
    assert.match(await refusal(altered(c => { c.kdfparams.n = 1000; })), /must be a power of two ≥ 2, got 1000/);
    assert.match(await refusal(altered(c => { c.kdfparams.r = 1; c.kdfparams.n = 65536; })), /break the rule n < 2\^\(16·r\)/);
    assert.match(await refusal(altered(c => { c.kdfparams.p = 2 ** 30; })), /out of range/);
    assert.match(await refusal(altered(c => { c.kdfparams.p = 0; })), /out of range/);
  });

  test('pbkdf2 iterations beyond the node\'s bound, another prf', async () => {
    const pbkdf2 = vectors.find(v => v.keystore.crypto.kdf === 'pbkdf2').keystore;
    const copy = change => { const k = structuredClone(pbkdf2); change(k.crypto.kdfparams); return k; };
    assert.match(await refusal(copy(p => { p.c = 10_000_001; })), /must be in \[1, 10000000\], got 10000001/);
    assert.match(await refusal(copy(p => { p.prf = 'hmac-sha512'; })), /unsupported pbkdf2 prf 'hmac-sha512'/);
  });

  test('missing, mistyped and malformed fields are named', async () => {
    assert.match(await refusal('{not json'), /keystore is not valid JSON/);
    assert.match(await refusal('[]'), /must be an object/);
    assert.match(await refusal({ version: 3 }), /missing field 'crypto'/);
    assert.match(await refusal({ version: 4, crypto: {} }), /unsupported keystore version 4/);
    assert.match(await refusal(altered(c => { c.cipher = 'aes-256-gcm'; })), /unsupported cipher 'aes-256-gcm'/);
    assert.match(await refusal(altered(c => { c.cipherparams.iv = '00'; })), /iv must be 16 bytes, got 1/);
    assert.match(await refusal(altered(c => { c.ciphertext = 'zz'; })), /'crypto.ciphertext' is not hex/);
    assert.match(await refusal(altered(c => { delete c.mac; })), /missing field 'crypto.mac'/);
    assert.match(await refusal(altered(c => { c.kdfparams.dklen = 64; })), /dklen must be 32, got 64/);
    assert.match(await refusal(altered(c => { c.kdfparams.n = '1024'; })), /'crypto.kdfparams.n' must be an integer/);
    assert.match(await refusal(altered(c => { c.kdf = 'argon2'; })), /unsupported kdf 'argon2'/);
  });

  test('an address field that is not the key\'s is refused', async () => {
    const v = vectors[0];
    const keystore = { ...structuredClone(v.keystore), address: '00000000000000000000000000000000000a11ce' };
    await assert.rejects(decryptKeystore(keystore, v.password), /keystore address field 0x00000000000000000000000000000000000a11ce does not match the decrypted key's address/);
  });
});
