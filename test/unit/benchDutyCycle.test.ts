import { test } from 'node:test';
import assert from 'node:assert/strict';
import { levelsIdlePerIteration, projectedDutyCycle } from '../../bench/dutyCycle';

test('without overlap every LLM call is idle time; with it, only what training does not cover', () => {
  assert.deepEqual(projectedDutyCycle(10, 2, 0, 0), { off: 0.8333, on: 1 });
  assert.deepEqual(projectedDutyCycle(5, 8, 0, 0), { off: 0.3846, on: 0.625 }, 'an LLM slower than training shows through by the difference');
  assert.equal(projectedDutyCycle(300, 30, 0, 1).on, projectedDutyCycle(300, 30, 0, 0).off, 're-proposing every time is no better than no overlap');
});

test('outer levels at boundaries cost six LLM calls per ten iterations with the default cadence', () => {
  assert.equal(levelsIdlePerIteration(30), 18);
  assert.deepEqual(projectedDutyCycle(300, 30, 0, 0, 18), { off: 0.8621, on: 0.9434 });
});
