import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RunModel } from '../../webview-ui/src/model/dashboardModel';
import { confidenceLabel, noiseMultiple, parameterImportance } from '../../webview-ui/src/model/parameterImportance';
import { FIXTURE_PARAMS, fixtureTrace, TraceBuilder } from '../support/dashboardTraces';

const round = (x: number) => Number(x.toFixed(6));

test('parameter importance: mean Δ per parameter and direction over the kept and discarded experiments, best first', () => {
  const run = new RunModel('fixture');
  run.apply(fixtureTrace());
  const got = parameterImportance(run.rows, 'minimize').map((i) => [`${i.name} ${i.direction}`, round(i.meanDelta), i.count, i.kept]);
  assert.deepEqual(got, [
    // #1 −0.02 keep, #9 +0.002, #10 −0.002 keep, #14 −0.002 keep (the crash #3, the interrupted #17 and the running #19 have no Δ)
    ['LEARNING_RATE up', -0.0055, 4, 3],
    ['WARMUP_STEPS up', -0.002, 2, 1],
    ['ACTIVATION set', -0.002, 1, 1],
    // #4 −0.005 keep, #5 +0.01, #18 −0.003 keep (the cached #6 reused #5's result)
    ['DEPTH up', round(0.002 / 3), 3, 2],
    ['N_EMBD up', 0.01, 1, 0],
    ['BATCH_SIZE up', 0.012, 1, 0],
  ]);
  const maximize = parameterImportance(run.rows, 'maximize');
  assert.equal(maximize[0].name, 'BATCH_SIZE', 'under maximize a positive Δ is the gain');
  const down = new TraceBuilder('down', FIXTURE_PARAMS);
  down.baseline(0, 1);
  down.experiment(1, { LEARNING_RATE: 0.0005 }, 0.99);
  down.experiment(2, { LEARNING_RATE: 0.002 }, 1.02);
  const m = new RunModel('down');
  m.apply(down.events);
  assert.deepEqual(parameterImportance(m.rows, 'minimize').map((i) => [i.direction, round(i.meanDelta)]), [['down', -0.01], ['up', 0.03]], 'each direction on its own');
});

test('best configuration: the best result\'s parameters against the baseline\'s, the changed ones first', () => {
  const run = new RunModel('fixture');
  run.apply(fixtureTrace());
  const c = run.bestConfiguration()!;
  assert.deepEqual(c.best, { n: 18, metric: 0.961 });
  assert.deepEqual(c.baseline, { n: 0, metric: 1 });
  assert.deepEqual(c.params.filter((p) => p.changed).map((p) => [p.name, p.baseline, p.best]), [
    ['ACTIVATION', 'gelu', 'relu'],
    ['DEPTH', 2, 4],
    ['LEARNING_RATE', 0.001, 0.003],
    ['WARMUP_STEPS', 10, 20],
  ]);
  assert.ok(c.params.some((p) => p.name === 'N_EMBD' && !p.changed && p.best === 64), 'the unchanged ones follow');
  assert.equal(new RunModel('empty').bestConfiguration(), null);
});

test('noise floor and confidence: a repeated baseline gives the floor; each keep is labelled with how many floors its gain is', () => {
  const b = new TraceBuilder('noisy', FIXTURE_PARAMS);
  b.baseline(0, 1.0);
  b.baseline(1, 1.004);
  b.experiment(2, { LEARNING_RATE: 0.002 }, 0.98);
  b.experiment(3, { DEPTH: 3 }, 0.978);
  const run = new RunModel('noisy');
  run.apply(b.events);
  assert.equal(round(run.noiseFloor()!), 0.004, 'the spread of the two baselines');
  const keep2 = run.get(2)!;
  assert.equal(round(noiseMultiple(keep2.delta, run.noiseFloor(), 'minimize')!), 6);
  assert.equal(confidenceLabel(noiseMultiple(keep2.delta, run.noiseFloor(), 'minimize')), '6.0× noise');
  assert.equal(confidenceLabel(noiseMultiple(run.get(3)!.delta, run.noiseFloor(), 'minimize')), 'within noise', '−0.002 is half a floor');
  assert.equal(noiseMultiple(0.01, 0.004, 'minimize'), null, 'a loss is no gain');
  assert.equal(noiseMultiple(-0.01, null, 'minimize'), null, 'no floor yet');
  const once = new RunModel('fixture');
  once.apply(fixtureTrace());
  assert.equal(once.noiseFloor(), null, 'no configuration ran twice');
});
