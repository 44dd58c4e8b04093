import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunEvent, RunEventBody, Status } from '../../src/shared/trace/events';
import { deriveRunState, type Strategy } from '../../src/shared/trace/runState';
import { ruleBasedReview, sanitizeDecision, summarizeTrace } from '../../src/core/strategyReview/strategyReview';
import { diagnose, mechanismName } from '../../src/core/mechanismResearch/mechanismResearch';
import { extractModuleCode } from '../../src/core/llm/prompts/mechanismPrompts';

/** A trace of single-parameter experiments: [param, from, to, status, metric]. The baseline scores 1.0. */
function trace(rows: [string, number, number, Status, number][]): RunEvent[] {
  const bodies: RunEventBody[] = [
    { type: 'run.started', tag: 't', branch: 'autoresearch/t', baseCommit: 'c0', metric: 'val_bpb', goal: 'minimize', proposer: 'test' },
    { type: 'iteration.started', n: 0, baseCommit: 'c0', baseline: true },
    { type: 'experiment.decided', n: 0, status: 'keep', commit: 'c0', metric: 1, previousBest: null, delta: null, description: 'baseline', memoryGb: null },
    { type: 'iteration.finished', n: 0, result: 'keep' },
  ];
  let best = 1;
  rows.forEach(([name, from, to, status, metric], i) => {
    const n = i + 1;
    bodies.push(
      { type: 'iteration.started', n, baseCommit: 'c', baseline: false },
      { type: 'candidate.proposed', n, candidate: { description: `${name} ${from} -> ${to}`, hypothesis: '', params: { [name]: to } }, proposer: 'test' },
      { type: 'candidate.applied', n, params: { [name]: to }, changed: { [name]: { from, to } }, tree: `t${n}` },
      { type: 'experiment.decided', n, status, commit: `c${n}`, metric, previousBest: best, delta: metric - best, description: `${name} ${from} -> ${to}`, memoryGb: null },
      { type: 'iteration.finished', n, result: status },
    );
    if (status === 'keep') best = metric;
  });
  return bodies.map((b, i) => ({ ...b, seq: i + 1, at: new Date(0).toISOString() }) as RunEvent);
}

const params = [
  { name: 'LR', value: 0.001 },
  { name: 'BATCH', value: 64 },
  { name: 'DEPTH', value: 4 },
  { name: 'SEED', value: 1, frozen: true },
];
const none: Strategy = { frozen: [], focus: [], guidance: '', since: null, reviewer: null };

test('the summary counts tries, keeps, directions and discard streaks per parameter', () => {
  const s = summarizeTrace(
    deriveRunState(trace([
      ['LR', 0.001, 0.002, 'discard', 1.1],
      ['BATCH', 64, 32, 'keep', 0.9],
      ['LR', 0.001, 0.004, 'discard', 1.2],
      ['LR', 0.001, 0.008, 'crash', 0],
    ])),
    params,
  );
  const lr = s.parameters.find((p) => p.name === 'LR')!;
  assert.deepEqual([lr.tried, lr.kept, lr.crashed, lr.triedSinceBestMoved], [3, 0, 1, 2]);
  assert.deepEqual(lr.directions, { up: 3, down: 0, other: 0 });
  assert.deepEqual(lr.failedDirections, ['up']);
  assert.ok(Math.abs(s.parameters.find((p) => p.name === 'BATCH')!.bestDelta! - -0.1) < 1e-9);
  assert.equal(s.discardsInARow, 2);
  assert.deepEqual(s.neverTried, ['DEPTH'], 'frozen parameters are not "never tried"');
  assert.equal(s.bestMovedAt, 2);
});

test('rules: freeze what failed N times since the best moved, focus on the untried and the opposite direction', () => {
  const state = deriveRunState(trace([
    ['LR', 0.001, 0.002, 'discard', 1.1],
    ['LR', 0.001, 0.004, 'discard', 1.2],
    ['LR', 0.001, 0.0015, 'discard', 1.05],
    ['BATCH', 64, 128, 'discard', 1.3],
  ]));
  const d = ruleBasedReview(summarizeTrace(state, params), none, { freezeAfter: 3, maxFocus: 3 });
  assert.deepEqual(d.frozen, ['LR']);
  assert.deepEqual(d.focus, ['DEPTH', 'BATCH'], 'never tried first, then BATCH, only moved up');
  assert.match(d.guidance, /4 experiments in a row/);
  assert.match(d.guidance, /BATCH was only moved up .*try moving it down/);
});

test('rules: a frozen parameter thaws when the best moves', () => {
  const rows: [string, number, number, Status, number][] = [
    ['LR', 0.001, 0.002, 'discard', 1.1],
    ['LR', 0.001, 0.004, 'discard', 1.2],
    ['LR', 0.001, 0.0015, 'discard', 1.05],
  ];
  const frozen = ruleBasedReview(summarizeTrace(deriveRunState(trace(rows)), params), none);
  assert.deepEqual(frozen.frozen, ['LR']);
  const after = ruleBasedReview(summarizeTrace(deriveRunState(trace([...rows, ['BATCH', 64, 32, 'keep', 0.9]])), params), { ...none, frozen: ['LR'] });
  assert.deepEqual(after.frozen, []);
  assert.deepEqual(after.unfrozen, ['LR']);
  assert.match(after.guidance, /Unfrozen .*LR/);
});

test("a reviewer's answer is sanitized: unknown and config-frozen names dropped and named", () => {
  const clean = sanitizeDecision({ frozen: ['LR', 'NOPE', 'SEED'], focus: ['LR', 'DEPTH', 'DEPTH'], unfrozen: [], guidance: ' x ' }, ['LR', 'BATCH', 'DEPTH', 'SEED'], ['SEED'], { ...none, frozen: ['BATCH'] });
  assert.deepEqual(clean.frozen, ['LR']);
  assert.deepEqual(clean.focus, ['DEPTH'], 'a frozen parameter is not also in focus');
  assert.deepEqual(clean.unfrozen, ['BATCH']);
  assert.deepEqual(clean.ignored, ['NOPE', 'SEED']);
  assert.equal(clean.guidance, 'x');
});

test('diagnosis: circling, then under-explored, then plateau', () => {
  const circling = summarizeTrace(deriveRunState(trace([
    ['LR', 0.001, 0.002, 'discard', 1.1],
    ['LR', 0.001, 0.002, 'discard', 1.1],
    ['BATCH', 64, 128, 'discard', 1.3],
    ['BATCH', 64, 32, 'discard', 1.2],
  ])), params);
  assert.equal(diagnose(circling).mode, 'circling');
  assert.equal(diagnose(circling).remedies[0], 'tabu-search');
  const unexplored = summarizeTrace(deriveRunState(trace([['LR', 0.001, 0.002, 'keep', 0.9]])), params);
  assert.equal(diagnose(unexplored).mode, 'under-explored');
  assert.equal(diagnose(unexplored).remedies[0], 'orthogonal-exploration');
});

test('mechanism names are kebab-case and unique; module code is taken from the last fenced block with an export', () => {
  assert.equal(mechanismName('Tabu Search (v2)!', new Set()), 'tabu-search-v2');
  assert.equal(mechanismName('tabu', new Set(['tabu', 'tabu-2'])), 'tabu-3');
  assert.equal(mechanismName('***', new Set()), 'mechanism');
  const answer = 'Plan:\n```json\n{"a": 1}\n```\nCode:\n```javascript\nexport function propose(ctx) { return { candidate: null }; }\n```\n';
  assert.equal(extractModuleCode(answer), 'export function propose(ctx) { return { candidate: null }; }\n');
  assert.equal(extractModuleCode('no code here'), null);
});
