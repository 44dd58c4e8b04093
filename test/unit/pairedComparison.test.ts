import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairedComparison, signFlipP } from '../../src/shared/stats/pairedComparison';

test('exact sign-flip p-value of paired differences', () => {
  assert.equal(signFlipP([1, 1, 1, 1, 1]), 2 / 32, 'all five one way: only all-plus and all-minus are as extreme');
  assert.equal(signFlipP([1, -1]), 1);
  assert.equal(signFlipP([]), 1);
  assert.ok(signFlipP(Array(10).fill(-0.01)) < 0.01);
});

test('sign-flip p beyond 20 pairs is sampled, deterministic, and near the exact value', () => {
  const diffs = Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? 0.5 : -1) * (1 + i / 10));
  const p = signFlipP(diffs);
  assert.equal(p, signFlipP(diffs), 'the same p every time');
  assert.ok(p > 0 && p < 0.05, `clearly one-sided: ${p}`);
  assert.ok(signFlipP(Array.from({ length: 24 }, (_, i) => (i % 2 ? 1 : -1))) > 0.9, 'balanced: no evidence');
});

test('paired comparison: only shared keys with values count, winners by the goal', () => {
  const a = new Map<number, number | null>([[1, -0.3], [2, -0.2], [3, null], [4, -0.1], [5, 0]]);
  const b = new Map<number, number | null>([[1, -0.1], [2, -0.1], [3, -0.5], [4, -0.2], [5, 0]]);
  const min = pairedComparison(a, b, 'minimize');
  assert.equal(min.n, 4, 'key 3 has no value for a');
  assert.equal(min.aBetter, 2);
  assert.equal(min.bBetter, 1);
  assert.equal(min.ties, 1);
  assert.ok(Math.abs(min.meanDiff! - -0.05) < 1e-12);
  assert.equal(min.p, signFlipP([-0.2, -0.1, 0.1, 0]));
  const max = pairedComparison(a, b, 'maximize');
  assert.deepEqual([max.aBetter, max.bBetter], [1, 2], 'maximizing swaps the winners');
  assert.deepEqual(pairedComparison(new Map(), b), { n: 0, meanDiff: null, aBetter: 0, bBetter: 0, ties: 0, p: 1 });
});
