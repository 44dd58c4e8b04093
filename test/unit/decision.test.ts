import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decide, type DecisionInput } from '../../src/core/innerLoop/decision';

const BEST = 'b'.repeat(40);
const input = (over: Partial<DecisionInput> = {}): DecisionInput => ({
  n: 5,
  judged: { status: 'keep', delta: -0.1 },
  metric: 1.0,
  previousBest: 1.1,
  baseline: false,
  override: null,
  hasCandidate: true,
  base: BEST,
  bestCommit: BEST,
  ...over,
});

test('without a mechanism or a policy, the metric decides', () => {
  assert.deepEqual(decide(input()), { status: 'keep', delta: -0.1, requeue: null });
  assert.deepEqual(decide(input({ judged: { status: 'discard', delta: 0.2 } })), { status: 'discard', delta: 0.2, requeue: null });
});

test('a mechanism override decides, and says so', () => {
  const d = decide(input({ judged: { status: 'discard', delta: 0.05 }, override: { name: 'anneal', status: 'keep', reason: 'accept a worse step' } }));
  assert.deepEqual(d, { status: 'keep', delta: 0.05, note: 'keep by the mechanism anneal: accept a worse step', requeue: null });
});

test('a crash is never overridden', () => {
  const d = decide(input({ judged: { status: 'crash', delta: null }, metric: null, override: { name: 'm', status: 'keep', reason: '' } }));
  assert.deepEqual(d, { status: 'crash', delta: null, requeue: null });
});

test('rerun: discarded for now and queued once to confirm; a confirmation cannot ask again', () => {
  const first = decide(input({ override: { name: 'noise', status: 'rerun', reason: 'within noise' } }));
  assert.deepEqual(first, { status: 'discard', delta: -0.1, note: 'not yet: the mechanism noise re-runs it to confirm: within noise', requeue: { confirm: { of: 5, metrics: [1.0] } } });
  const again = decide(input({ override: { name: 'noise', status: 'rerun', reason: '' }, confirm: { of: 3, metrics: [1.02] } }));
  assert.deepEqual(again, { status: 'keep', delta: -0.1, note: 'the mechanism noise asked for another re-run; one confirmation is the limit', requeue: null });
});

test('a repeated baseline is discarded: it measures the noise floor', () => {
  const d = decide(input({ baseline: true, hasCandidate: false, judged: { status: 'keep', delta: 0 } }));
  assert.deepEqual(d, { status: 'discard', delta: 0, note: 'a repeat of the baseline: measures the noise floor', requeue: null });
  assert.equal(decide(input({ baseline: true, hasCandidate: false, previousBest: null, judged: { status: 'keep', delta: null } })).status, 'keep', 'the first baseline is kept');
});

test('a keep on a stale base is discarded and re-queued onto the best; a discard there is just a discard', () => {
  const stale = 'a'.repeat(40);
  assert.deepEqual(decide(input({ base: stale })), { status: 'discard', delta: -0.1, note: 'beat the best but ran on aaaaaaa, not on the current best; re-queued to run on it', requeue: {} });
  assert.deepEqual(decide(input({ base: stale, judged: { status: 'discard', delta: 0.3 } })), { status: 'discard', delta: 0.3, requeue: null });
});
