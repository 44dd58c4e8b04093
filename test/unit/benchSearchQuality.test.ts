import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestSoFar, summarise, trialsFromTrace, type MethodRun } from '../../bench/searchQuality';
import { syntheticTrace } from '../../bench/syntheticTrace';

test('best so far ignores failed trials and never gets worse', () => {
  assert.deepEqual(bestSoFar([{ metric: null }, { metric: 3 }, { metric: 4 }, { metric: null }, { metric: 2.5 }]), [null, 3, 3, 3, 2.5]);
});

test('the summary gives each method its best gain over its own baseline, mean and sd over seeds', () => {
  const run = (seed: number, metrics: (number | null)[]): MethodRun => ({ method: 'tpe', seed, timeBudget: 5, requested: 2, trials: metrics.map((metric) => ({ metric })), wallSeconds: 30 });
  const s = summarise([run(1, [4, 3, null]), run(2, [5, 5.5, 4])]) as Record<string, { bestDelta: { mean: number; sd: number }; bestMetric: { mean: number }; failedTrials: number; wallMinutes: number }>;
  assert.deepEqual(Object.keys(s), ['tpe']);
  assert.equal(s.tpe.bestDelta.mean, -1);
  assert.equal(s.tpe.bestDelta.sd, 0);
  assert.equal(s.tpe.bestMetric.mean, 3.5);
  assert.equal(s.tpe.failedTrials, 1);
  assert.equal(s.tpe.wallMinutes, 1);
});

test('a loop run gives one trial per finished iteration, in order, cached and rejected ones included', () => {
  const events = [...syntheticTrace({ experiments: 60 })];
  const trials = trialsFromTrace(events);
  assert.equal(trials.length, 61, 'baseline and 60 iterations');
  const decided = events.filter((e) => e.type === 'experiment.decided');
  assert.equal(trials[0].metric, decided[0].metric, 'trial 0 is the baseline');
  assert.ok(trials.some((t) => t.metric === null), 'rejected and crashed iterations count, without a metric');
});
