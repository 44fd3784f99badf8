import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addressFromPrivateKey, isAddress, keccak256, parseAddress, recoverAddress, signDigest, toChecksumAddress, toHex,
} from '../src/index.js';

// Ethereum's well-known keys and addresses (vectors from outside the project).
test('addresses of well-known keys', () => {
  assert.equal(addressFromPrivateKey('0x0000000000000000000000000000000000000000000000000000000000000001'), '0x7e5f4552091a69125d5dfcb7b8c2659029395bdf');
  assert.equal(addressFromPrivateKey('4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318'), '0x2c7536e3605d9c16a7a3d7b1898e529396a65c23');
});

test('keccak-256, not SHA3-256', () => {
  assert.equal(toHex(keccak256(new Uint8Array(0))), '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
});

test('EIP-55 checksums (the EIP\'s examples)', () => {
  for (const address of [
    '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
    '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB', '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
  ]) {
    assert.equal(toChecksumAddress(address.toLowerCase()), address);
    assert.ok(isAddress(address));
  }
  assert.equal(isAddress('0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5D359'), false);
});

test('parseAddress trims blanks and refuses everything else', () => {
  assert.equal(toHex(parseAddress('  0x7e5f4552091a69125d5dfcb7b8c2659029395bdf\n')), '0x7e5f4552091a69125d5dfcb7b8c2659029395bdf');
  for (const bad of ['', '0x', '7e5f4552091a69125d5dfcb7b8c2659029395bdf', '0x7e5f4552091a69125d5dfcb7b8c2659029395bd', '0x7e5f4552091a69125d5dfcb7b8c2659029395bdf00', '0x7e5f 552091a69125d5dfcb7b8c2659029395bdf', null])
    assert.throws(() => parseAddress(bad), /address must be/, String(bad));
});

test('signatures are deterministic, low-s and recover to the signer', () => {
  const key = '0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318';
  const half = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
  for (let i = 0; i < 64; i++) {
    const digest = keccak256(Uint8Array.of(i));
    const signature = signDigest(digest, key);
    assert.deepEqual(signDigest(digest, key), signature);
    assert.ok(BigInt(toHex(signature.subarray(32, 64))) <= half, 'low s');
    assert.ok(signature[64] === 0 || signature[64] === 1);
    assert.equal(recoverAddress(digest, signature), '0x2c7536e3605d9c16a7a3d7b1898e529396a65c23');
  }
});
