import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deadRunLocks } from '../../src/core/git/staleGitLocks';

test('a git lock is the dead run’s when made since it took the repository and held open by no process', () => {
  const since = 1_000_000;
  const locks = [
    { path: 'index.lock', mtimeMs: since + 5000, open: false },
    { path: 'HEAD.lock', mtimeMs: since + 10 },
    { path: 'before.lock', mtimeMs: since - 1, open: false },
    { path: 'live.lock', mtimeMs: since + 20, open: true },
  ];
  assert.deepEqual(deadRunLocks(locks, since), ['index.lock', 'HEAD.lock']);
});
