// A task's result checked against the digest the chain agreed on, as `iexchain result get` does
// (node/IExecChain.Node/Cli/MarketCommands.cs): the digest is recomputed here from what the worker
// served, never taken from its answer. Format (docs/worker.md, "Result digest"; ResultDigest.cs):
// keccak256(0x10 ‖ int32-BE exit code ‖ uint64-BE |stdout| ‖ stdout ‖ uint32-BE file count ‖ for each
// file in ascending byte order of its UTF-8 name: uint32-BE |name| ‖ name ‖ uint64-BE |content| ‖ content).
import { keccak256, fromHex, toHex, concatBytes } from '../../client/src/index.js';

const RESULT_TAG = 0x10;

function uint(value, bytes) {
  const out = new Uint8Array(bytes);
  let v = BigInt(value);
  for (let i = bytes - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** The result digest of exit code, stdout bytes and files [{ name, data: Uint8Array }], as 0x hex. */
export function resultDigest(exitCode, stdout, files) {
  const encoder = new TextEncoder();
  const named = files.map((f) => ({ name: encoder.encode(f.name), data: f.data }));
  named.sort((a, b) => compareBytes(a.name, b.name));
  for (let i = 1; i < named.length; i++)
    if (compareBytes(named[i].name, named[i - 1].name) === 0) throw new Error(`two output files are named '${new TextDecoder().decode(named[i].name)}'`);
  // int32 big-endian: a negative exit code in two's complement, as BinaryPrimitives writes it.
  const parts = [Uint8Array.of(RESULT_TAG), uint(BigInt.asUintN(32, BigInt(exitCode)), 4), uint(stdout.length, 8), stdout, uint(named.length, 4)];
  for (const f of named) parts.push(uint(f.name.length, 4), f.name, uint(f.data.length, 8), f.data);
  return toHex(keccak256(concatBytes(...parts)));
}

/**
 * Checks an iex_getResult answer against the task's agreed digest. Returns { verified, computed,
 * expected, exitCode, stdout, files } with the bytes decoded; a malformed answer throws.
 */
export function verifyResult(answer, expectedDigest) {
  if (!answer || typeof answer !== 'object') throw new Error('the node answered no result');
  // An int32, as the digest holds it: a larger number would hash as its low 32 bits and be shown as verified.
  if (!Number.isInteger(answer.exitCode) || answer.exitCode < -(2 ** 31) || answer.exitCode >= 2 ** 31)
    throw new Error(`the result's exit code ${answer.exitCode} is not a 32-bit integer`);
  const stdout = fromHex(answer.stdout ?? '0x');
  const files = (answer.files ?? []).map((f) => ({ name: String(f.name), data: fromHex(f.data ?? '0x') }));
  const computed = resultDigest(answer.exitCode, stdout, files);
  const expected = String(expectedDigest).toLowerCase();
  return { verified: computed === expected, computed, expected, exitCode: answer.exitCode, stdout, files };
}
