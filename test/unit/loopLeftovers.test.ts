import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loopLeftovers } from '../../src/core/run/loopLeftovers';

test('mechanism files a kill left inside a branch move are the loop’s, with or without an open experiment', () => {
  const dirty = ['.autoresearch/mechanisms.json', '.autoresearch/mechanisms/multi-scale-bandit.mjs'];
  assert.deepEqual(loopLeftovers(dirty, ['train.py'], false), dirty);
  assert.deepEqual(loopLeftovers(dirty, ['train.py'], true), dirty);
});

test('an editable file is the loop’s only while an experiment is open; anything else is the user’s', () => {
  assert.deepEqual(loopLeftovers(['train.py'], ['train.py'], true), ['train.py']);
  assert.equal(loopLeftovers(['train.py'], ['train.py'], false), null);
  assert.equal(loopLeftovers(['train.py', 'README.md'], ['train.py'], true), null);
  assert.equal(loopLeftovers(['.autoresearch/mechanisms.json', 'notes.txt'], ['train.py'], true), null);
  assert.equal(loopLeftovers(['.autoresearch/mechanismsX.json'], ['train.py'], true), null);
  assert.deepEqual(loopLeftovers([], ['train.py'], false), []);
});
