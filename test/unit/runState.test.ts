import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunEvent, RunEventBody } from '../../src/shared/trace/events';
import { currentBaseline, deriveRunState, experimentStatus, incumbentBehindBest, needsBaseline, usesBudget, type Experiment } from '../../src/shared/trace/runState';
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
  assert.deepEqual(s.incumbent, s.best, 'without a mechanism keeping a worse result they are one');
  assert.equal(s.iterationsDone, 2, 'baseline and the open iteration do not count');
  assert.equal(s.nextN, 4);
  assert.equal(s.evaluatedTrees.get('t2'), 2);
  assert.deepEqual([...s.open.keys()], [3]);
  assert.equal(s.open.get(3)?.training?.pid, 42);
});

test("a worse result a mechanism's decide keeps becomes the incumbent; the best stays the best ever kept", () => {
  const experiment = (n: number, base: string, status: 'keep' | 'discard', metric: number, previousBest: number, note?: string): RunEventBody[] => [
    { type: 'iteration.started', n, baseCommit: base, baseline: false },
    { type: 'candidate.applied', n, params: { A: n }, changed: { A: { from: n - 1, to: n } }, tree: `t${n}` },
    { type: 'candidate.committed', n, commit: `c${n}` },
    { type: 'experiment.decided', n, status, commit: `c${n}`, metric, previousBest, delta: metric - previousBest, description: `exp ${n}`, memoryGb: null, ...(note ? { note } : {}) },
    { type: 'iteration.finished', n, result: status },
  ];
  const events: RunEventBody[] = [
    started,
    { type: 'iteration.started', n: 0, baseCommit: 'c0', baseline: true },
    decided(0, 'keep', 1.0, 'c0', 'baseline'),
    { type: 'iteration.finished', n: 0, result: 'keep' },
    ...experiment(1, 'c0', 'keep', 0.98, 1.0),
    // Annealing acceptance keeps a regression: the search goes on from it.
    ...experiment(2, 'c1', 'keep', 1.01, 0.98, 'keep by the mechanism annealing-acceptance: annealing'),
  ];
  const afterAnnealing = deriveRunState(trace(events));
  assert.deepEqual(afterAnnealing.best, { n: 1, commit: 'c1', metric: 0.98 }, 'the best never moves backwards');
  assert.deepEqual(afterAnnealing.incumbent, { n: 2, commit: 'c2', metric: 1.01 }, 'the incumbent is what the last keep made current');
  assert.deepEqual(incumbentBehindBest(afterAnnealing), afterAnnealing.incumbent);
  assert.equal(experimentStatus(afterAnnealing.experiments[2], afterAnnealing), 'keep');
  assert.equal(afterAnnealing.experiments[2].note, 'keep by the mechanism annealing-acceptance: annealing');
  assert.equal(needsBaseline(afterAnnealing), false);

  // A mechanism activated on top moves the incumbent's commit (the branch), not the best's.
  events.push({ type: 'mechanism.activated', n: 2, name: 'annealing-acceptance', by: 'policy', commit: 'm2' });
  const activated = deriveRunState(trace(events));
  assert.deepEqual(activated.incumbent, { n: 2, commit: 'm2', metric: 1.01 });
  assert.deepEqual(activated.best, { n: 1, commit: 'c1', metric: 0.98 });

  // Judged against the incumbent, 0.99 is a keep: it becomes the incumbent, still worse than the best.
  events.push(...experiment(3, 'm2', 'keep', 0.99, 1.01));
  const climbing = deriveRunState(trace(events));
  assert.equal(climbing.incumbent?.n, 3);
  assert.equal(climbing.best?.n, 1);
  assert.equal(climbing.experiments[3].incumbentMetric, 1.01, 'what it was judged against');

  // A discard changes neither; a keep that beats the best is both.
  events.push(...experiment(4, 'c3', 'discard', 1.2, 0.99), ...experiment(5, 'c3', 'keep', 0.97, 0.99));
  const caughtUp = deriveRunState(trace(events));
  assert.deepEqual(caughtUp.best, { n: 5, commit: 'c5', metric: 0.97 });
  assert.deepEqual(caughtUp.incumbent, caughtUp.best);
  assert.equal(incumbentBehindBest(caughtUp), null);
});

test('a maximized metric: the best is the highest kept, an equal later one does not replace it', () => {
  const max: RunEventBody = { ...started, goal: 'maximize' } as RunEventBody;
  const s = deriveRunState(trace([
    max,
    { type: 'iteration.started', n: 0, baseCommit: 'c0', baseline: true },
    decided(0, 'keep', 0.5, 'c0', 'baseline'),
    { type: 'iteration.finished', n: 0, result: 'keep' },
    { type: 'iteration.started', n: 1, baseCommit: 'c0', baseline: false },
    decided(1, 'keep', 0.5, 'c1'),
    { type: 'iteration.finished', n: 1, result: 'keep' },
    { type: 'iteration.started', n: 2, baseCommit: 'c1', baseline: false },
    decided(2, 'keep', 0.4, 'c2'),
    { type: 'iteration.finished', n: 2, result: 'keep' },
  ]));
  assert.equal(s.best?.n, 0);
  assert.equal(s.incumbent?.n, 2);
});

test('resume, stop and LLM calls are in the state; an experiment left open by a stopped run is interrupted', () => {
  const s = deriveRunState(trace([
    started,
    { type: 'iteration.started', n: 0, baseCommit: 'c0', baseline: true },
    { type: 'llm.called', usage: { purpose: 'propose', model: 'm', promptTokens: 10, completionTokens: 5, ms: 3 }, ok: true },
    { type: 'run.stopped', reason: 'interrupted', message: 'Ctrl+C' },
  ]));
  assert.equal(experimentStatus(s.experiments[0], s), 'interrupted');
  assert.deepEqual([s.stopped, s.stopMessage, s.llmCalls, s.llmTokens], ['interrupted', 'Ctrl+C', 1, 15]);
  const paused = deriveRunState(trace([
    started,
    { type: 'iteration.started', n: 0, baseCommit: 'c0', baseline: true },
    { type: 'run.paused', reason: 'stepping' },
  ]));
  assert.equal(experimentStatus(paused.experiments[0], paused), 'running', 'a pause waits on it');
  const resumed = deriveRunState(trace([started, { type: 'run.stopped', reason: 'interrupted' }, { type: 'run.resumed', bestCommit: 'c0', nextIteration: 0 }]));
  assert.deepEqual([resumed.stopped, resumed.resumes], [null, 1]);
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
  assert.equal(s.incumbent, null);
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

test('the budget counts iterations that trained or that a person skipped; failed proposals, cache hits and rejections by the gates cost nothing', () => {
  const x = (over: Partial<Experiment> = {}): Experiment => ({ n: 1, baseline: false, baseCommit: 'c0', startedAt: '2026-11-23T00:00:00Z', rejections: [], metric: null, delta: null, memoryGb: null, ...over });
  for (const r of ['keep', 'discard', 'crash'] as const) assert.equal(usesBudget(x(), r), true, r);
  for (const r of ['cached', 'proposal-failed', 'interrupted'] as const) assert.equal(usesBudget(x(), r), false, r);
  assert.equal(usesBudget(x({ rejections: [{ by: 'validation', reason: 'bad' }, { by: 'mechanism', reason: 'veto' }] }), 'rejected'), false, 'rejected by the gates');
  assert.equal(usesBudget(x({ rejections: [{ by: 'user', reason: 'skipped before training' }] }), 'rejected'), true, 'skipped by a person at the gate');
  assert.equal(usesBudget(x({ baseline: true }), 'keep'), false, 'the baseline never counts');
});

test('run.adopted: best and incumbent restart from the adopted commit’s baseline; earlier experiments stay as history', () => {
  const s = deriveRunState(trace([
    { ...started, startBranch: 'main' } as RunEventBody,
    { type: 'iteration.started', n: 0, baseCommit: 'c0', baseline: true },
    decided(0, 'keep', 1.5, 'c0', 'baseline'),
    { type: 'iteration.finished', n: 0, result: 'keep' },
    { type: 'iteration.started', n: 1, baseCommit: 'c0', baseline: false },
    decided(1, 'keep', 1.2, 'c1'),
    { type: 'iteration.finished', n: 1, result: 'keep' },
    { type: 'run.adopted', commit: 'u1', from: 'start-branch', branch: 'main', commits: [{ commit: 'u1', subject: 'fix' }], by: 'user' },
  ]));
  assert.deepEqual([s.best, s.incumbent, s.startCommit, s.startBranchSeen], [null, null, 'u1', 'u1']);
  assert.ok(needsBaseline(s), 'the next iteration trains the adopted commit as a baseline');
  assert.equal(s.experiments.length, 2, 'the history stays');
  assert.deepEqual(s.adopted, { n: 2, commit: 'u1', from: 'start-branch', branch: 'main', at: '2026-11-23T00:00:00Z' });

  const after = deriveRunState(trace([
    started,
    { type: 'iteration.started', n: 0, baseCommit: 'c0', baseline: true },
    decided(0, 'keep', 1.0, 'c0', 'baseline'),
    { type: 'iteration.finished', n: 0, result: 'keep' },
    { type: 'run.adopted', commit: 'u1', from: 'run-branch', branch: 'autoresearch/t', commits: [{ commit: 'u1', subject: 'mine' }], by: 'user' },
    { type: 'iteration.started', n: 1, baseCommit: 'u1', baseline: true },
    decided(1, 'keep', 1.3, 'u1', 'baseline'),
    { type: 'iteration.finished', n: 1, result: 'keep' },
  ]));
  assert.deepEqual(after.best, { n: 1, commit: 'u1', metric: 1.3 }, 'a worse adopted baseline is the best from now on: the comparisons start there');
  assert.equal(currentBaseline(after)?.n, 1);
  assert.equal(after.startBranchSeen, 'c0', 'adopting the run branch’s commits leaves what the start branch has to offer');
});
