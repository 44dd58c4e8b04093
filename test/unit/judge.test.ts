import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judge } from '../../src/core/innerLoop/judge';

const min = { goal: 'minimize' as const, minImprovement: 0 };
const max = { goal: 'maximize' as const, minImprovement: 0 };

test('the first successful run is kept as the baseline', () => {
  assert.deepEqual(judge('ok', 1.2, null, min), { status: 'keep', delta: null });
});

test('minimize: lower is kept, equal or higher discarded', () => {
  assert.equal(judge('ok', 1.1, 1.2, min).status, 'keep');
  assert.ok(Math.abs(judge('ok', 1.1, 1.2, min).delta! + 0.1) < 1e-12);
  assert.equal(judge('ok', 1.2, 1.2, min).status, 'discard');
  assert.equal(judge('ok', 1.3, 1.2, min).status, 'discard');
});

test('maximize flips the comparison', () => {
  assert.equal(judge('ok', 0.9, 0.8, max).status, 'keep');
  assert.equal(judge('ok', 0.7, 0.8, max).status, 'discard');
});

test('a gain inside minImprovement is discarded', () => {
  assert.equal(judge('ok', 1.195, 1.2, { goal: 'minimize', minImprovement: 0.01 }).status, 'discard');
  assert.equal(judge('ok', 1.18, 1.2, { goal: 'minimize', minImprovement: 0.01 }).status, 'keep');
});

test('crash, timeout, missing or non-finite metric are crashes', () => {
  assert.equal(judge('crash', null, 1.2, min).status, 'crash');
  assert.equal(judge('timeout', 1.0, 1.2, min).status, 'crash');
  assert.equal(judge('ok', null, 1.2, min).status, 'crash');
  assert.equal(judge('ok', Number.NaN, 1.2, min).status, 'crash');
});
