import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ParamValue } from '../../src/shared/trace/candidate';
import { libraryMechanism, listLibrary } from '../../src/core/mechanisms/library';
import type { ContextParam, ContextWithoutState, HistoryEntry } from '../../src/core/mechanisms/mechanism';
import { MechanismSandbox } from '../../src/core/mechanisms/mechanismSandbox';
import { INNER_PROPOSER, proposerCredit, proposingOrder, proposingTurn, SHARE_WINDOW } from '../../src/core/mechanisms/proposalShare';
import type { Experiment } from '../../src/shared/trace/runState';
import { diagnose } from '../../src/core/mechanismResearch/mechanismResearch';
import { mechanismSessionsDue, RESEARCH_AFTER_IDLE } from '../../src/core/mechanismResearch/researchCadence';
import type { RunState } from '../../src/shared/trace/runState';
import { FREEZE_WINDOW, ruleBasedReview, shouldFreeze, type ParameterSummary, type TraceSummary } from '../../src/core/strategyReview/strategyReview';

test('proposing is shared round-robin between the mechanisms; one that passes hands on; the proposer when all pass', () => {
  const turns = [0, 1, 2, 3].map((n) => proposingOrder(['tabu', 'bandit'], n));
  assert.deepEqual(turns, [['tabu', 'bandit'], ['bandit', 'tabu'], ['tabu', 'bandit'], ['bandit', 'tabu']]);
  assert.deepEqual([1, 2, 3].map((n) => proposingOrder(['a', 'b', 'c'], n)[0]), ['b', 'c', 'a'], 'each leads every third iteration');
  assert.deepEqual(proposingOrder([], 7), [], 'no mechanism: the proposer');
  assert.deepEqual(proposingOrder(['only'], 5), ['only']);
});

const trained = (n: number, by: string | null, status: 'keep' | 'discard' | 'crash'): Experiment =>
  ({ n, baseline: false, baseCommit: 'c', startedAt: '', rejections: [], metric: null, delta: null, memoryGb: null, status, proposer: by ? `mechanism:${by}` : 'heuristic', level: by ? 2 : 1, ...(by ? { proposedBy: by } : {}) }) as Experiment;

test('proposing is a bandit over proposers credited by keeps: a mechanism that does not pay loses its share', () => {
  const baseline = { ...trained(0, null, 'keep'), baseline: true };
  // Nothing known: the mechanisms first (Level 2 takes over), round-robin among them, the proposer last.
  assert.deepEqual(proposingTurn(['tabu', 'bandit'], proposerCredit([baseline]), 1), ['bandit', 'tabu', INNER_PROPOSER]);
  assert.deepEqual(proposingTurn([], new Map(), 3), [INNER_PROPOSER], 'no mechanism: the proposer');
  // A mechanism that never keeps, against a proposer that keeps half the time: the proposer leads.
  const history = [baseline, ...Array.from({ length: 8 }, (_, i) => trained(i + 1, i % 2 ? 'loser' : null, i % 4 === 0 ? 'keep' : 'discard'))];
  const credit = proposerCredit(history);
  assert.deepEqual(credit.get('loser'), { pulls: 4, keeps: 0 });
  assert.deepEqual(credit.get(INNER_PROPOSER), { pulls: 4, keeps: 2 });
  assert.deepEqual(proposingTurn(['loser'], credit, 9), [INNER_PROPOSER, 'loser']);
  // One that pays leads the proposer.
  const paying = history.map((x) => (x.proposedBy === 'loser' ? { ...x, status: 'keep' as const } : x));
  assert.equal(proposingTurn(['loser'], proposerCredit(paying), 9)[0], 'loser');
  // An arm not tried in the window comes back through the exploration bonus, so none starves for good.
  const starved = [...history, ...Array.from({ length: 6 }, (_, i) => trained(9 + i, null, 'discard'))];
  assert.equal(proposingTurn(['loser', 'new'], proposerCredit(starved), 15)[0], 'new');
  // Only the last SHARE_WINDOW trainings count; baselines, re-runs and untrained iterations never.
  const long = [baseline, ...Array.from({ length: SHARE_WINDOW + 5 }, (_, i) => trained(i + 1, 'm', 'discard')), { ...trained(99, null, 'keep'), proposer: 'rerun' }, { ...trained(100, null, 'keep'), status: undefined }];
  assert.deepEqual(proposerCredit(long).get('m'), { pulls: SHARE_WINDOW, keeps: 0 });
  assert.equal(proposerCredit(long).get(INNER_PROPOSER), undefined);
  // An iteration whose proposals were all rejected, or that hit the cache, is a pull that earned nothing.
  const wasted = [baseline, { ...trained(1, null, 'keep'), status: undefined, result: 'rejected' as const }, { ...trained(2, null, 'keep'), status: undefined, result: 'cached' as const }, { ...trained(3, null, 'keep'), status: undefined, result: 'proposal-failed' as const }];
  assert.deepEqual(proposerCredit(wasted).get(INNER_PROPOSER), { pulls: 2, keeps: 0 });
});

const param = (name: string, extra: Partial<ParameterSummary> = {}): ParameterSummary => ({
  name, tried: 2, kept: 0, crashed: 0, triedSinceBestMoved: 0, triedInWindow: 0, keptInWindow: 0, bestDelta: null,
  directions: { up: 1, down: 1, other: 0 }, failedDirections: ['up', 'down'], lastTried: 1, value: 1, ...extra,
});
const summary = (extra: Partial<TraceSummary> = {}): TraceSummary => ({
  metric: 'val_bpb', goal: 'minimize', iterationsDone: 10, best: { n: 3, metric: 0.9 }, baseline: 1, discardsInARow: 0, bestMovedAt: 3,
  parameters: [param('LR'), param('BATCH')], neverTried: [], repeated: [], rejected: 0, cached: 0, codeEdits: { tried: 0, kept: 0 },
  noise: { floor: null, samples: 0 }, smallKeeps: 0, ...extra,
});

test('every library mechanism is the first remedy of the condition it answers', () => {
  const kept = [param('LR', { kept: 1 }), param('BATCH')];
  const cases: Record<string, TraceSummary> = {
    'noise-aware-acceptance': summary({ noise: { floor: 0.003, samples: 3 }, smallKeeps: 2, discardsInARow: 5 }),
    'annealing-acceptance': summary({ parameters: kept, discardsInARow: 6 }),
    'tabu-search': summary({ discardsInARow: 5, repeated: [{ description: 'lr up', times: 3 }] }),
    'orthogonal-exploration': summary({ neverTried: ['DEPTH'] }),
    'multi-scale-bandit': summary({ parameters: kept, discardsInARow: 2 }),
    'parzen-search': summary({ parameters: kept }),
    'local-refinement': summary({ parameters: [param('LR', { kept: 1 }), param('BATCH', { kept: 1 })] }),
  };
  for (const [mechanism, s] of Object.entries(cases)) assert.equal(diagnose(s).remedies[0], mechanism, `${mechanism}: got ${diagnose(s).mode}`);
  const library = listLibrary().map((m) => m.name).sort();
  assert.deepEqual(Object.keys(cases).sort(), library, 'the cases cover the whole library');
  for (const s of Object.values(cases)) assert.deepEqual([...diagnose(s).remedies].sort(), library, 'every remedy list names every mechanism once');
});

test('the freeze rule counts attempts over a window: circling between keeps elsewhere freezes', () => {
  // Tried 3 times in the window, never kept there, tried again since the best moved: frozen, although
  // a keep elsewhere reset "since the best moved" to 1.
  assert.equal(shouldFreeze({ triedSinceBestMoved: 1, triedInWindow: 3, keptInWindow: 0 }, 3), true);
  assert.equal(shouldFreeze({ triedSinceBestMoved: 0, triedInWindow: 3, keptInWindow: 0 }, 3), false, 'thawed by a keep elsewhere until it fails again');
  assert.equal(shouldFreeze({ triedSinceBestMoved: 1, triedInWindow: 3, keptInWindow: 1 }, 3), false, 'a keep on it in the window');
  assert.equal(shouldFreeze({ triedSinceBestMoved: 3, triedInWindow: 3, keptInWindow: 0 }, 3), true);
  const d = ruleBasedReview(summary({ parameters: [param('LR', { triedSinceBestMoved: 1, triedInWindow: 4 }), param('BATCH', { triedInWindow: 1 })] }), { frozen: [], focus: [], guidance: '', since: null, reviewer: null });
  assert.deepEqual(d.frozen, ['LR']);
  assert.match(d.guidance, new RegExp(`last ${FREEZE_WINDOW} experiments`));
});

const context = (params: ContextParam[], history: HistoryEntry[] = [], extra: Partial<ContextWithoutState> = {}): ContextWithoutState => ({
  iteration: history.length + 1, metric: 'val_bpb', goal: 'minimize', best: { n: 0, metric: 1 }, incumbent: { n: 0, metric: 1 }, params, frozen: [], focus: [], history, noise: { floor: null, samples: 0 }, ...extra,
});
const entry = (n: number, name: string, from: ParamValue, to: ParamValue, status: HistoryEntry['status']): HistoryEntry => ({ n, status, metric: 1.01, delta: 0.01, changed: { [name]: { from, to } }, description: `${name} ${String(from)} -> ${String(to)}` });

test('orthogonal exploration: the opposite of a failed move never wraps around the end of a choice list', async () => {
  const box = await MechanismSandbox.start({ name: 'orthogonal-exploration', source: libraryMechanism('orthogonal-exploration').source, limits: { callMs: 10_000 } });
  try {
    const params: ContextParam[] = [{ name: 'BATCH', value: 64, kind: 'int', frozen: false, choices: [16, 32, 64] }];
    // BATCH 64 -> 32 failed; "up" from the top of the list does not exist: wrapping would give 16, the failed direction again.
    const r = await box.call('propose', context(params, [entry(1, 'BATCH', 64, 32, 'discard')]));
    assert.ok(r.ok, JSON.stringify(r));
    const to = (r.output.candidate as { params: Record<string, ParamValue> } | null)?.params.BATCH;
    assert.notEqual(to, 16);
    // A ratio at 0 moves up only: never to -1.
    const ratio: ContextParam[] = [{ name: 'WARMUP_RATIO', value: 0, kind: 'float', frozen: false }];
    const r0 = await box.call('propose', context(ratio, [entry(1, 'WARMUP_RATIO', 0, 0.1, 'discard')]));
    assert.ok(r0.ok, JSON.stringify(r0));
    const to0 = (r0.output.candidate as { params: Record<string, number> } | null)?.params.WARMUP_RATIO;
    assert.ok(to0 === undefined || to0 >= 0, `WARMUP_RATIO -> ${to0}`);
  } finally {
    await box.close();
  }
});

test('parzen-search models the trace with the sandbox numerics library and proposes an unevaluated configuration', async () => {
  const box = await MechanismSandbox.start({ name: 'parzen-search', source: libraryMechanism('parzen-search').source, limits: { callMs: 10_000 } });
  try {
    const params: ContextParam[] = [
      { name: 'LR', value: 0.04, kind: 'float', frozen: false },
      { name: 'BATCH', value: 64, kind: 'int', frozen: false },
    ];
    const tried: [string, number, number, number][] = [['LR', 0.04, 0.08, 1.05], ['LR', 0.04, 0.02, 0.98], ['BATCH', 64, 128, 1.04], ['BATCH', 64, 32, 0.99], ['LR', 0.04, 0.01, 0.97]];
    const history: HistoryEntry[] = [];
    for (const [i, [name, from, to, metric]] of tried.entries()) {
      const before = await box.call('propose', context(params, history));
      assert.ok(before.ok, JSON.stringify(before));
      // The baseline (the incumbent at the first result) and four results make the five it needs.
      if (i < 4) assert.equal(before.output.candidate, null, 'too few observations: it leaves proposing to others');
      const h = { ...entry(i + 1, name, from, to, 'discard'), metric };
      const r = await box.call('afterResult', context(params, history), { n: h.n, status: 'discard', metric, delta: metric - 1, changed: h.changed, description: h.description });
      assert.ok(r.ok, JSON.stringify(r));
      history.push(h);
    }
    const r = await box.call('propose', context(params, history));
    assert.ok(r.ok, JSON.stringify(r));
    const candidate = r.output.candidate as { params: Record<string, ParamValue>; hypothesis: string };
    assert.match(candidate.hypothesis, /Parzen model of 6 experiments/);
    const config = { LR: 0.04, BATCH: 64, ...candidate.params };
    const seen = [{ LR: 0.04, BATCH: 64 }, ...tried.map(([name, , to]) => ({ LR: 0.04, BATCH: 64, [name]: to }))];
    assert.ok(!seen.some((s) => JSON.stringify(s) === JSON.stringify(config)), `not evaluated before: ${JSON.stringify(config)}`);
    assert.ok((config.LR as number) <= 0.02, `towards the low learning rates that did best: ${JSON.stringify(config)}`);
  } finally {
    await box.close();
  }
});

test('a proposer that repeats itself: diagnosis "repeating" asks for a mechanism that proposes, and idle iterations make research due', () => {
  const repeating = summary({ iterationsDone: 5, rejected: 3, cached: 1, discardsInARow: 4, repeated: [{ description: 'lr up', times: 4 }] as TraceSummary['repeated'] });
  assert.equal(diagnose(repeating).mode, 'repeating');
  assert.equal(diagnose(repeating).remedies[0], 'orthogonal-exploration', 'a veto cannot help a proposer whose repeats the gate already turns away');
  assert.notEqual(diagnose(summary({ iterationsDone: 30, rejected: 3 })).mode, 'repeating', 'a few rejections in a long run are not repeating');

  const state = (trainings: number, idle: number) =>
    ({ iterationsDone: trainings, experiments: [{ baseline: true, result: 'keep' }, ...Array.from({ length: idle }, (_, i) => ({ baseline: false, result: (['rejected', 'cached', 'proposal-failed'] as const)[i % 3] }))] }) as unknown as RunState;
  assert.equal(mechanismSessionsDue(state(10, 0), 5, 2), 1, 'one per two outer cycles of five trainings');
  assert.equal(mechanismSessionsDue(state(9, 0), 5, 2), 0);
  assert.equal(mechanismSessionsDue(state(4, RESEARCH_AFTER_IDLE - 1), 5, 2), 0);
  assert.equal(mechanismSessionsDue(state(4, RESEARCH_AFTER_IDLE), 5, 2), 1, 'three idle iterations earn a session though the trainings have not come');
  assert.equal(mechanismSessionsDue(state(10, 2 * RESEARCH_AFTER_IDLE), 5, 2), 3);
});
