import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as format from '../app/format.js';
import { finalityMs } from '../app/pages/dashboard.js';

test('finality is from the proposal to the last precommit of the commit', () => {
  const block = {
    timestamp: '0x1a20ce4a118',
    commit: { signatures: [{ timestamp: '0x1a20ce4a118' }, { timestamp: '0x1a20ce4a1e0' }, { timestamp: '0x1a20ce4a150' }] },
  };
  assert.equal(finalityMs(block, format), 0x1e0 - 0x118);
  assert.equal(finalityMs({ timestamp: '0x5' }, format), null, 'genesis has no commit');
  assert.equal(finalityMs({ timestamp: '0x10', commit: { signatures: [{ timestamp: '0x8' }] } }, format), 0, 'a vote clock behind the proposer is not negative time');
});
