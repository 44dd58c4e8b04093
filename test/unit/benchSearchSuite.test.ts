import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bestCleanSoFar, suiteSpace, trainingsTo90, type SuiteRun } from '../../bench/searchSuite';

test('the best so far is chosen by what the method saw, scored by the noise-free value', () => {
  const trials = [
    { params: {}, metric: 1.0, clean: 1.0 },
    { params: {}, metric: 0.95, clean: 0.99 },
    { params: {}, metric: null, clean: null },
    { params: {}, metric: 0.97, clean: 0.9 },
  ];
  assert.deepEqual(bestCleanSoFar(trials), [1.0, 0.99, 0.99, 0.99], 'a lucky noisy result is what gets kept');
  const run: SuiteRun = { target: 'smooth', method: 'A', seed: 1, requested: 3, trials: [trials[0], { params: {}, metric: 0.98, clean: 0.98 }, { params: {}, metric: 0.9, clean: 0.9 }, { params: {}, metric: 0.89, clean: 0.89 }], wallSeconds: 1 };
  assert.equal(trainingsTo90(run), 2, '0.9 is 91 % of the final gain of 0.11');
});

test('the suite space is the tpe proposer\'s lattice over the target\'s constants, reporting-only and budget constants left out', () => {
  const dims = suiteSpace('smooth');
  const names = new Set(dims.map((d) => d.name));
  assert.ok(!names.has('H100_BF16_PEAK_FLOPS') && !names.has('TIME_BUDGET'));
  assert.ok(names.has('WINDOW_PATTERN') && dims.filter((d) => d.name === 'ADAM_BETAS').length === 2);
  const batch = dims.find((d) => d.name === 'TOTAL_BATCH_SIZE')!;
  assert.deepEqual(batch.values, [2 ** 16, 2 ** 17, 2 ** 18, 2 ** 19, 2 ** 20, 2 ** 21, 2 ** 22]);
});
