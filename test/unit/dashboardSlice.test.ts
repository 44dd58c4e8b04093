import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunModel } from '../../webview-ui/src/model/dashboardModel';
import { parameterSlice, sliceParameters } from '../../webview-ui/src/model/parameterSlice';
import { FIXTURE_PARAMS, fixtureTrace, TraceBuilder } from '../support/dashboardTraces';

const fixture = () => {
  const run = new RunModel('fixture');
  run.apply(fixtureTrace());
  return run;
};

test('slice parameters: those a trained experiment changed, most often first; rejected proposals and free-form edits are not among them', () => {
  // LEARNING_RATE #1 #3 #9 #10 #14 (not the interrupted #17 nor the running #19), DEPTH #4 #5 #18 (not the cached #6), WARMUP_STEPS #8 #16.
  assert.deepEqual(sliceParameters(fixture().rows), ['LEARNING_RATE', 'DEPTH', 'WARMUP_STEPS', 'ACTIVATION', 'BATCH_SIZE', 'N_EMBD']);
});

test('slice: one point per trained experiment at the value it trained with, crashes pinned to the worse edge, the best marked', () => {
  const run = fixture();
  const s = parameterSlice(run.rows, 'LEARNING_RATE', 'minimize', run.summary().best!.n, (r) => run.paramsOf(r));
  assert.equal(s.scale, 'linear', '0.001 to 0.004 spans 4×');
  // Every kept, discarded and crashed experiment (0–5, 8–14, 16, 18): not the cached #6, the rejected #7, the failed #15, the interrupted #17, the running #19.
  assert.deepEqual(s.points.map((p) => p.n), [0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 14, 16, 18]);
  assert.deepEqual(s.points.slice(0, 4).map((p) => [p.x, p.status]), [[0.001, 'keep'], [0.002, 'keep'], [0.002, 'discard'], [0.004, 'crash']]);
  const crash = s.points.find((p) => p.n === 3)!;
  assert.ok(crash.pinned && crash.metric === null && crash.y > 1 && crash.y < s.yMax, 'the crash sits at the worse (top) edge, inside the plot');
  assert.deepEqual([s.best?.n, s.best?.x, s.best?.y], [18, 0.003, 0.961]);
  assert.ok(s.xMin < 0.001 && s.xMax > 0.004, 'edge points are inside the x range');
});

test('slice scales: numbers spanning more than 10× on a log scale, strings on categories in order of first appearance', () => {
  const b = new TraceBuilder('scales', FIXTURE_PARAMS);
  b.baseline(0, 1);
  b.experiment(1, { LEARNING_RATE: 0.0001 }, 0.99);
  b.experiment(2, { LEARNING_RATE: 0.01 }, 1.2);
  b.experiment(3, { ACTIVATION: 'relu' }, 0.98);
  b.experiment(4, { ACTIVATION: 'silu' }, 0.985);
  const run = new RunModel('scales');
  run.apply(b.events);
  const lr = parameterSlice(run.rows, 'LEARNING_RATE', 'minimize', 3, (r) => run.paramsOf(r));
  assert.equal(lr.scale, 'log');
  assert.deepEqual(lr.points.slice(0, 3).map((p) => Math.round(p.x * 1000) / 1000), [-3, -4, -2]);
  const act = parameterSlice(run.rows, 'ACTIVATION', 'minimize', 3, (r) => run.paramsOf(r));
  assert.equal(act.scale, 'category');
  assert.deepEqual(act.categories, ['"gelu"', '"relu"', '"silu"']);
  assert.deepEqual(act.points.map((p) => Math.round(p.x) || 0), [0, 0, 0, 1, 2]);
  assert.ok(act.points.every((p) => Math.abs(p.x - Math.round(p.x)) <= 0.25), 'a category\'s points spread within its band');
  assert.equal(act.best?.n, 3);
  assert.equal(parameterSlice(run.rows, 'LEARNING_RATE', 'minimize', 99).best, null, 'no marker when the best is not among the points');
});
