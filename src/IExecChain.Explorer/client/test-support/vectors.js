// The known-answer vectors the node writes (tests/IExecChain.State.Tests/ClientVectors) and the
// client must reproduce. Kept out of test/ so node's test runner does not take it for a test file.

import { readFileSync } from 'node:fs';

const root = new URL('../../../../tests/vectors/', import.meta.url);

export function transactionVectors() {
  return JSON.parse(readFileSync(new URL('transactions.json', root), 'utf8')).transactions;
}

export function keystoreVectors() {
  return JSON.parse(readFileSync(new URL('keystores.json', root), 'utf8')).keystores;
}
