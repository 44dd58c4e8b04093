import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syntheticTrace } from '../../bench/syntheticTrace';
import { renderResultsTable } from '../../src/core/store/resultsTable';
import { deriveRunState } from '../../src/shared/trace/runState';

test('the synthetic trace is a finished run the real fold accepts, with the mix of a long run', () => {
  const events = [...syntheticTrace({ experiments: 300, llm: true, strategyEvery: 10 })];
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), 'seq is contiguous from 1');
  const state = deriveRunState(events);
  assert.equal(state.stopped, 'completed');
  assert.equal(state.open.size, 0, 'no iteration left open');
  const count = (r: string) => state.experiments.filter((x) => x.result === r).length;
  assert.equal(state.experiments.filter((x) => !x.baseline).length, 300);
  assert.equal(state.iterationsDone, count('keep') + count('discard') + count('crash') - 1, 'the budget counts what trained (the baseline not)');
  for (const r of ['keep', 'discard', 'crash', 'cached', 'rejected']) assert.ok(count(r) > 0, `has ${r} iterations`);
  assert.ok(count('discard') > count('keep') * 5, 'mostly discards');
  const kept = state.experiments.filter((x) => x.status === 'keep').map((x) => x.metric!);
  assert.equal(state.best!.metric, Math.min(...kept), 'the best is the lowest kept metric');
  assert.equal(events.filter((e) => e.type === 'llm.called').length, 300, 'one LLM call per proposal');
  const rows = renderResultsTable(events, 'val_bpb').trim().split('\n').length - 1;
  assert.equal(rows, count('keep') + count('discard') + count('crash'));
});

test('kept experiments point at the given commit, so a real resume can reset to it', () => {
  const commit = 'c'.repeat(40);
  const state = deriveRunState([...syntheticTrace({ experiments: 50, commit })]);
  assert.equal(state.best!.commit, commit);
  assert.equal(state.startCommit, commit);
});

test('the same seed gives the same trace', () => {
  const strip = (xs: unknown[]) => JSON.stringify(xs);
  assert.equal(strip([...syntheticTrace({ experiments: 40, seed: 3 })]), strip([...syntheticTrace({ experiments: 40, seed: 3 })]));
  assert.notEqual(strip([...syntheticTrace({ experiments: 40, seed: 3 })]), strip([...syntheticTrace({ experiments: 40, seed: 4 })]));
});
