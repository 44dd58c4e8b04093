import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunEvent, RunEventBody } from '../../src/shared/trace/events';
import { deriveRunState } from '../../src/shared/trace/runState';
import { renderResultsTable } from '../../src/core/store/resultsTable';

function trace(bodies: RunEventBody[]): RunEvent[] {
  return bodies.map((b, i) => ({ seq: i + 1, at: '2026-11-23T00:00:00Z', ...b }) as RunEvent);
}
const started: RunEventBody = { type: 'run.started', tag: 't', branch: 'autoresearch/t', baseCommit: 'c0', metric: 'val_bpb', goal: 'minimize', proposer: 'heuristic' };
const decided = (n: number, status: 'keep' | 'discard' | 'crash', metric: number | null, commit: string, description = `exp ${n}`): RunEventBody => ({
  type: 'experiment.decided', n, status, commit, metric, previousBest: null, delta: null, description, memoryGb: 0.25,
});

test('best, evaluated trees and the iteration count come from the events', () => {
  const s = deriveRunState(trace([
    started,
    { type: 'iteration.started', n: 0, baseCommit: 'c0', baseline: true },
    decided(0, 'keep', 1.5, 'c0', 'baseline'),
    { type: 'iteration.finished', n: 0, result: 'keep' },
    { type: 'iteration.started', n: 1, baseCommit: 'c0', baseline: false },
    { type: 'candidate.applied', n: 1, params: { A: 2 }, changed: { A: { from: 1, to: 2 } }, tree: 't1' },
    { type: 'candidate.committed', n: 1, commit: 'c1' },
    decided(1, 'keep', 1.4, 'c1'),
    { type: 'iteration.finished', n: 1, result: 'keep' },
    { type: 'iteration.started', n: 2, baseCommit: 'c1', baseline: false },
    { type: 'candidate.applied', n: 2, params: { A: 4 }, changed: { A: { from: 2, to: 4 } }, tree: 't2' },
    decided(2, 'discard', 1.45, 'c2'),
    { type: 'iteration.finished', n: 2, result: 'discard' },
    { type: 'iteration.started', n: 3, baseCommit: 'c1', baseline: false },
    { type: 'training.started', n: 3, commit: 'c3', command: 'x', log: 'l', pid: 42 },
  ]));
  assert.deepEqual(s.best, { n: 1, commit: 'c1', metric: 1.4 });
  assert.equal(s.iterationsDone, 2, 'baseline and the open iteration do not count');
  assert.equal(s.nextN, 4);
  assert.equal(s.evaluatedTrees.get('t2'), 2);
  assert.deepEqual([...s.open.keys()], [3]);
  assert.equal(s.open.get(3)?.training?.pid, 42);
});

test('an interrupted iteration is closed but not counted', () => {
  const s = deriveRunState(trace([
    started,
    { type: 'iteration.started', n: 0, baseCommit: 'c0', baseline: true },
    { type: 'experiment.interrupted', n: 0, reason: 'x' },
    { type: 'iteration.finished', n: 0, result: 'interrupted' },
    { type: 'iteration.started', n: 1, baseCommit: 'c0', baseline: false },
    { type: 'iteration.finished', n: 1, result: 'interrupted' },
  ]));
  assert.equal(s.open.size, 0);
  assert.equal(s.iterationsDone, 0);
  assert.equal(s.best, null);
});

test('a trace must begin with run.started', () => {
  assert.throws(() => deriveRunState(trace([{ type: 'iteration.started', n: 0, baseCommit: 'c', baseline: true }])), /run\.started/);
});

test('results.tsv has autoresearch columns, the metric name as header, and one row per decision', () => {
  const tsv = renderResultsTable(trace([
    started,
    { type: 'iteration.started', n: 0, baseCommit: 'c0', baseline: true },
    decided(0, 'keep', 0.9979, 'a1b2c3d4e5', 'baseline'),
    decided(1, 'crash', null, 'ffffffff00', 'double width\twith a tab'),
  ]), 'val_bpb');
  assert.equal(tsv, 'commit\tval_bpb\tmemory_gb\tstatus\tdescription\na1b2c3d\t0.997900\t0.3\tkeep\tbaseline\nfffffff\t0.000000\t0.3\tcrash\tdouble width with a tab\n');
});
