import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HISTORY_LIMIT } from '../../src/core/mechanisms/mechanism';
import { incumbentParamsOf, mechanismContext, replayContexts } from '../../src/core/mechanisms/replayContexts';
import { deriveRunState } from '../../src/shared/trace/runState';
import { TraceBuilder } from '../support/dashboardTraces';

/** baseline 1.0; 1 LR up discard; 2 DEPTH rejected; strategy freezes LR after 2; 3 DEPTH keep; 4 crash; 5 cached. */
function trace() {
  const t = new TraceBuilder('ctx', { LR: 0.01, DEPTH: 4, ACT: 'gelu', BIAS: true });
  t.baseline(0, 1.0);
  t.experiment(1, { LR: 0.02 }, 1.05);
  t.rejected(2, { DEPTH: 64 }, 'DEPTH out of range');
  t.push({ type: 'strategy.updated', n: 2, cycle: 1, reviewer: 'rules', frozen: ['LR'], unfrozen: [], focus: ['DEPTH'], guidance: 'leave LR' });
  t.experiment(3, { DEPTH: 6 }, 0.9);
  t.experiment(4, { ACT: 'relu' }, null);
  t.cached(5, { DEPTH: 6 }, 3, 0.9, 'keep');
  return t.events;
}

test('the context of a run: best, its parameter values and kinds, the strategy, the finished history', () => {
  const run = deriveRunState(trace());
  const ctx = mechanismContext(run, {
    iteration: 6,
    space: [{ name: 'ACT', kind: 'string', choices: ['gelu', 'relu'] }],
    frozen: ['LR'],
    focus: ['DEPTH'],
  });
  assert.equal(ctx.iteration, 6);
  assert.equal(ctx.metric, 'val_bpb');
  assert.equal(ctx.goal, 'minimize');
  assert.deepEqual(ctx.best, { n: 3, metric: 0.9 });
  assert.deepEqual(ctx.params, [
    { name: 'LR', value: 0.01, kind: 'float', frozen: true },
    { name: 'DEPTH', value: 6, kind: 'int', frozen: false },
    { name: 'ACT', value: 'gelu', kind: 'string', frozen: false, choices: ['gelu', 'relu'] },
    { name: 'BIAS', value: true, kind: 'bool', frozen: false },
  ]);
  assert.deepEqual(ctx.frozen, ['LR']);
  assert.deepEqual(ctx.focus, ['DEPTH']);
  assert.deepEqual(
    ctx.history.map((h) => [h.n, h.status, h.metric, h.delta === null ? null : Number(h.delta.toFixed(3)), JSON.stringify(h.changed)]),
    [
      [1, 'discard', 1.05, 0.05, '{"LR":{"from":0.01,"to":0.02}}'],
      // Rejected before it was applied: what it would have changed, against the best of the time.
      [2, 'rejected', null, null, '{"DEPTH":{"from":4,"to":64}}'],
      [3, 'keep', 0.9, -0.1, '{"DEPTH":{"from":4,"to":6}}'],
      [4, 'crash', null, null, '{"ACT":{"from":"gelu","to":"relu"}}'],
      [5, 'cached', 0.9, null, '{"DEPTH":{"from":6,"to":6}}'],
    ],
  );
  assert.doesNotThrow(() => JSON.stringify(ctx));
});

test('the best parameters: the baseline values come from the first applied candidate; explicit ones win', () => {
  const t = new TraceBuilder('p', { LR: 0.01, DEPTH: 4 });
  t.baseline(0, 1.0);
  assert.deepEqual(incumbentParamsOf(deriveRunState(t.events)), {});
  t.experiment(1, { LR: 0.02 }, 1.1);
  assert.deepEqual(incumbentParamsOf(deriveRunState(t.events)), { LR: 0.01, DEPTH: 4 });
  t.experiment(2, { DEPTH: 8 }, 0.9);
  assert.deepEqual(incumbentParamsOf(deriveRunState(t.events)), { LR: 0.01, DEPTH: 8 });
  const ctx = mechanismContext(deriveRunState(t.events), { iteration: 3, incumbentParams: { LR: 0.5 } });
  assert.deepEqual(ctx.params, [{ name: 'LR', value: 0.5, kind: 'float', frozen: false }]);
});

test('history is the last HISTORY_LIMIT experiments, oldest first', () => {
  const t = new TraceBuilder('long', { LR: 0.01 });
  t.baseline(0, 1.0);
  for (let n = 1; n <= HISTORY_LIMIT + 25; n++) t.experiment(n, { LR: 0.01 * (1 + n / 1000) }, 1.0 + n / 1000);
  const h = mechanismContext(deriveRunState(t.events), { iteration: 300 }).history;
  assert.equal(h.length, HISTORY_LIMIT);
  assert.equal(h[0].n, 26);
  assert.equal(h[h.length - 1].n, HISTORY_LIMIT + 25);
});

test('replay: one step per finished experiment, each with the context before it, its candidate and result', () => {
  const steps = replayContexts(trace(), { configFrozen: ['BIAS'] });
  assert.deepEqual(steps.map((s) => s.n), [1, 2, 3, 4, 5]);
  const [one, two, three, four, five] = steps;
  assert.deepEqual(one.ctx.history, []);
  assert.deepEqual(one.ctx.best, { n: 0, metric: 1.0 });
  assert.deepEqual(one.ctx.params.map((p) => [p.name, p.value, p.frozen]), [['LR', 0.01, false], ['DEPTH', 4, false], ['ACT', 'gelu', false], ['BIAS', true, true]]);
  assert.deepEqual(one.candidate?.changed, { LR: { from: 0.01, to: 0.02 } });
  assert.deepEqual(one.result && [one.result.status, one.result.metric], ['discard', 1.05]);
  assert.equal(two.result, undefined, 'a rejected experiment has no result');
  assert.deepEqual(two.candidate?.changed, { DEPTH: { from: 4, to: 64 } });
  assert.deepEqual(three.ctx.frozen, ['BIAS', 'LR'], 'the review after iteration 2 is in force from 3');
  assert.deepEqual(three.ctx.focus, ['DEPTH']);
  assert.deepEqual(three.ctx.history.map((h) => h.n), [1, 2]);
  assert.deepEqual(four.ctx.best, { n: 3, metric: 0.9 });
  assert.deepEqual(four.ctx.params.find((p) => p.name === 'DEPTH')?.value, 6);
  assert.deepEqual(four.result && [four.result.status, four.result.metric, four.result.delta], ['crash', null, null]);
  assert.equal(five.result, undefined, 'a cached experiment did not train');
});
