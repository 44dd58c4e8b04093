import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent } from '../../src/shared/trace/events';
import { ResearchRun, type ResearchRunOptions } from '../../src/core/run/researchRun';
import { reviewMechanism } from '../../src/core/mechanismResearch/mechanismReview';
import { meanSd, runAblation, summarizeAblation } from '../../src/core/ablation/ablation';
import { LlmMechanismResearcher, ResearchFailed, type MechanismResearcher } from '../../src/core/mechanismResearch/mechanismResearch';
import { LlmStrategyReviewer } from '../../src/core/strategyReview/llmStrategyReviewer';
import { LlmClient } from '../../src/core/llm/llmClient';
import { HeuristicProposer } from '../../src/core/proposers/heuristicProposer';
import type { Proposer } from '../../src/core/proposers/proposer';
import { deriveRunState } from '../../src/shared/trace/runState';
import { TraceStore } from '../../src/core/store/traceStore';
import type { TargetConfig } from '../../src/core/target/targetConfig';
import { candidate as c, ListProposer } from '../support/listProposer';
import { startScriptedLlmServer } from '../support/scriptedLlmServer';
import { cli, git } from '../support/tinyGptRepo';
import { RunModel } from '../../webview-ui/src/model/dashboardModel';
import { scriptRepo } from '../support/scriptRepo';
import { libraryMechanism } from '../../src/core/mechanisms/library';

/**
 * Levels 1.5 and 2 in the loop, on a fast torch-free training script (real Python processes, real
 * git, real sandbox processes): the metric is a simple function of three constants.
 */
const TRAIN = `A = 8            # best at 4
B = 1.0          # best at 0.25
C = 3            # best at 3
TIME_BUDGET = 1
print("---")
print(f"val_bpb:          {1.0 + abs(A - 4) / 10 + abs(B - 0.25) + abs(C - 3) / 5:.6f}")
`;

function fastRepo(levels: object = {}): { dir: string; config: TargetConfig } {
  return scriptRepo(TRAIN, { levels }, 'levels-');
}

async function run(dir: string, config: TargetConfig, proposer: Proposer, iterations: number, extra: Partial<ResearchRunOptions> = {}) {
  const events: RunEvent[] = [];
  const summary = await new ResearchRun({ repoDir: dir, config, proposer, iterations, tag: 't', ...extra, onEvent: (e) => events.push(e) }).run();
  return { events, summary };
}

const ofType = <T extends RunEvent['type']>(events: RunEvent[], t: T) => events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === t);
const traceOf = (dir: string) => TraceStore.open(join(dir, '.autoresearch/runs/t/trace.jsonl')).store.events();

/** A researcher that hands over given module sources in turn, for tests of what happens to them. */
class ScriptedResearcher implements MechanismResearcher {
  readonly name = 'scripted';
  constructor(private readonly modules: { name: string; source: string }[]) {}
  async research(_input: unknown, onStep: (s: { step: 'generate'; prompt: string; response: string; ok: boolean }) => void) {
    const m = this.modules.shift();
    if (!m) throw new ResearchFailed('the script has no more modules');
    onStep({ step: 'generate', prompt: 'scripted', response: m.source, ok: true });
    return { ...m, description: `scripted ${m.name}` };
  }
}

test('group C offline: strategy reviews every cycle, a library mechanism is researched, committed, validated, activated, and its hooks run', { timeout: 240_000 }, async () => {
  const { dir, config } = fastRepo({ strategy: { every: 2 }, mechanisms: { every: 1 } });
  const { events, summary } = await run(dir, config, new HeuristicProposer(3), 7);
  assert.equal(summary.state.stopped, 'completed');

  const reviews = ofType(events, 'strategy.updated');
  assert.deepEqual(reviews.map((r) => r.n), [2, 4, 6], 'one review per outer cycle of 2 iterations');
  assert.ok(reviews.every((r) => r.reviewer === 'rules'));

  const proposed = ofType(events, 'mechanism.proposed');
  assert.ok(proposed.length >= 1, 'a mechanism research session ran');
  const first = proposed[0];
  assert.equal(ofType(events, 'mechanism.research.step').filter((s) => s.session === 1).map((s) => s.step).join(','), 'explore,critique,specify,generate');
  const validated = ofType(events, 'mechanism.validated').find((v) => v.name === first.name)!;
  assert.ok(validated.ok, JSON.stringify(validated.checks));
  assert.deepEqual(validated.checks.map((ch) => ch.name), ['parses', 'exports-hooks', 'contract', 'replay', 'replay-merit']);
  const activated = ofType(events, 'mechanism.activated').find((a) => a.name === first.name)!;
  assert.equal(activated.by, 'policy');

  // Git: the proposal on its own branch, the activation on the run branch, the user's branch untouched.
  assert.equal(git(dir, 'rev-parse', first.branch), first.commit);
  assert.match(git(dir, 'show', `${first.branch}:${first.file}`), /export (async )?function/);
  assert.match(git(dir, 'show', `autoresearch/t:.autoresearch/mechanisms.json`), new RegExp(first.name));
  assert.equal(git(dir, 'log', '--format=%s', '-1', 'main'), 'init');

  // Provenance: after activation, the iterations list the mechanism and its hooks actually ran.
  const hooks = ofType(events, 'mechanism.hooks').filter((h) => h.n > activated.n);
  assert.ok(hooks.length > 0);
  assert.ok(hooks.every((h) => h.active.includes(first.name)));
  assert.ok(hooks.some((h) => h.ran.some((r) => r.mechanism === first.name)), 'its hooks ran');
  const state = deriveRunState(traceOf(dir));
  assert.ok(state.hookStats.get(first.name)!.runs > 0);
  assert.equal(git(dir, 'status', '--porcelain'), '');
});

test('a parameter the strategy review froze is rejected before training, and the proposer is told why', { timeout: 120_000 }, async () => {
  const { dir, config } = fastRepo({ strategy: { every: 3, freezeAfter: 3 }, mechanisms: { enabled: false } });
  const proposer = new ListProposer([c({ A: 16 }), c({ A: 32 }), c({ A: 12 }), c({ A: 10 }), c({ B: 0.5 })]);
  // Without overlap, so that the proposal after the review is made (and rejected) after it.
  const { events } = await run(dir, config, proposer, 4, { overlap: false });
  const review = ofType(events, 'strategy.updated')[0];
  assert.deepEqual(review.frozen, ['A']);
  assert.deepEqual(review.focus.slice(0, 2), ['B', 'C'], 'never-tried parameters come into focus');
  const rejected = ofType(events, 'candidate.rejected').find((r) => r.by === 'strategy')!;
  assert.match(rejected.reason, /A is frozen by the strategy review/);
  const afterReview = proposer.seen[proposer.seen.length - 1];
  assert.ok(afterReview.params.find((p) => p.name === 'A')!.frozen);
  assert.ok(afterReview.guidance.some((g) => /frozen by the strategy review/.test(g)), 'the rejection reason reaches the proposer');
  assert.ok(afterReview.guidance.some((g) => /^Strategy review: /.test(g)));
  assert.deepEqual(afterReview.focus.slice(0, 2), ['B', 'C']);
});

test('a mechanism that hangs at run time is deactivated, recorded, and the loop goes on without it', { timeout: 120_000 }, async () => {
  const { dir, config } = fastRepo({ strategy: { enabled: false, every: 1 }, mechanisms: { every: 1, callTimeoutMs: 500 } });
  const poisoned = `export function beforePropose(ctx) {
  if (ctx.history.some((h) => h.description === 'poison pill')) { while (true) {} }
  return { state: { calls: ((ctx.state && ctx.state.calls) || 0) + 1 }, guidance: 'try smaller A' };
}
`;
  const proposer = new ListProposer([c({ A: 6 }), c({ A: 5 }, 'poison pill'), c({ B: 0.5 }), c({ C: 4 }), c({ C: 2 })]);
  // Without overlap: the list's order is the order of proposals (with overlap, a proposal prepared before a
  // mechanism changed is dropped and asked again).
  const { events, summary } = await run(dir, config, proposer, 5, { overlap: false, mechanismResearcher: new ScriptedResearcher([{ name: 'poisoned', source: poisoned }, { name: 'again', source: poisoned }]) });
  assert.equal(summary.state.stopped, 'completed');
  assert.equal(summary.state.iterationsDone, 5);
  const activated = ofType(events, 'mechanism.activated').find((a) => a.name === 'poisoned')!;
  assert.ok(activated);
  const off = ofType(events, 'mechanism.deactivated').find((d) => d.name === 'poisoned')!;
  assert.equal(off.hook, 'beforePropose');
  assert.match(off.reason, /timeout/);
  const failedRun = ofType(events, 'mechanism.hooks').find((h) => h.ran.some((r) => r.mechanism === 'poisoned' && r.result === 'failed'));
  assert.ok(failedRun, 'the failed call is in the provenance');
  const later = ofType(events, 'mechanism.hooks').filter((h) => h.n > off.n);
  assert.ok(later.every((h) => !h.active.includes('poisoned')));
  assert.equal(deriveRunState(traceOf(dir)).mechanisms.get('poisoned')!.status, 'deactivated');
  // The guidance it gave before it broke reached the proposer.
  assert.ok(proposer.seen.some((ctx) => ctx.guidance.includes('poisoned: try smaller A')));
});

test('a module that fails validation is reverted with its reason; its branch stays for the record', { timeout: 120_000 }, async () => {
  const { dir, config } = fastRepo({ strategy: { enabled: false, every: 1 }, mechanisms: { every: 1 } });
  const bad = `import fs from 'node:fs';\nexport function propose(ctx) { return { candidate: null }; }\n`;
  const { events } = await run(dir, config, new ListProposer([c({ A: 6 }), c({ A: 5 })]), 2, { mechanismResearcher: new ScriptedResearcher([{ name: 'reads-files', source: bad }, { name: 'reads-files', source: bad }]) });
  const reverted = ofType(events, 'mechanism.reverted')[0];
  assert.equal(reverted.name, 'reads-files');
  assert.equal(reverted.by, 'validation');
  assert.match(reverted.reason, /parses: .*import/);
  assert.equal(ofType(events, 'mechanism.activated').length, 0);
  const proposed = ofType(events, 'mechanism.proposed')[0];
  assert.match(git(dir, 'show', `${proposed.branch}:${proposed.file}`), /import fs/);
  assert.throws(() => git(dir, 'show', 'autoresearch/t:.autoresearch/mechanisms.json'), 'nothing reached the run branch');
});

test('review policy: a validated mechanism waits; `accept` outside the run activates it, and the resumed run restores it and its state', { timeout: 120_000 }, async () => {
  const { dir, config } = fastRepo({ strategy: { enabled: false, every: 1 }, mechanisms: { every: 2, policy: 'review' } });
  const counter = `export function afterResult(ctx, result) {
  return { state: { seen: ((ctx.state && ctx.state.seen) || 0) + 1 } };
}
`;
  const researcher = new ScriptedResearcher([{ name: 'counter', source: counter }]);
  await run(dir, config, new ListProposer([c({ A: 6 }), c({ A: 5 }), c({ A: 4 })]), 3, { mechanismResearcher: researcher });
  let state = deriveRunState(traceOf(dir));
  assert.equal(state.mechanisms.get('counter')!.status, 'awaiting-review');

  const branchBefore = git(dir, 'rev-parse', 'autoresearch/t');
  const accepted = await reviewMechanism(dir, config, 't', 'counter', 'accept');
  assert.equal(accepted.status, 'active');
  assert.notEqual(git(dir, 'rev-parse', 'autoresearch/t'), branchBefore);
  assert.equal(git(dir, 'rev-parse', 'autoresearch/t^'), branchBefore, 'one commit on top of the best');
  assert.match(readFileSync(join(dir, '.autoresearch/mechanisms/counter.mjs'), 'utf8'), /afterResult/);
  await assert.rejects(reviewMechanism(dir, config, 't', 'counter', 'accept'), /active, not awaiting review/);

  const { events } = await run(dir, config, new ListProposer([c({ B: 0.5 }), c({ C: 4 })]), 5, { mechanismResearcher: researcher });
  assert.match(ofType(events, 'mechanism.research.failed')[0].reason, /no more modules/, 'the session at 4 found nothing, and the run went on');
  const ran = ofType(events, 'mechanism.hooks').flatMap((h) => h.ran.filter((r) => r.mechanism === 'counter'));
  assert.deepEqual(ran.map((r) => (r.state as { seen: number }).seen), [1, 2]);
  state = deriveRunState(traceOf(dir));
  assert.deepEqual(state.mechanisms.get('counter')!.state, { seen: 2 });

  // A third run resumes the counter from the trace, not from zero.
  const { events: more } = await run(dir, config, new ListProposer([c({ C: 2 })]), 6, { mechanismResearcher: researcher });
  const again = ofType(more, 'mechanism.hooks').flatMap((h) => h.ran.filter((r) => r.mechanism === 'counter'));
  assert.deepEqual(again.map((r) => (r.state as { seen: number }).seen), [3]);
});

test('pause stops at the next boundary; stepping can edit a candidate before it trains, or skip it', { timeout: 120_000 }, async () => {
  const { dir, config } = fastRepo({ strategy: { enabled: false }, mechanisms: { enabled: false } });
  let runner!: ResearchRun;
  const events: RunEvent[] = [];
  const gate: ResearchRunOptions['beforeTraining'] = async (g) => {
    if (g.n === 1) {
      const path = join(g.checkout, 'train.py');
      writeFileSync(path, readFileSync(path, 'utf8').replace(/^C = 3 /m, 'C = 4 '));
      return 'run';
    }
    return 'skip';
  };
  runner = new ResearchRun({
    repoDir: dir,
    config,
    proposer: new ListProposer([c({ A: 4 }), c({ A: 6 }), c({ B: 0.5 })]),
    iterations: 5,
    tag: 't',
    beforeTraining: gate,
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'iteration.finished' && e.n === 2) runner.pause();
    },
  });
  const summary = await runner.run();
  assert.equal(summary.state.stopped, 'paused');
  assert.equal(summary.state.iterationsDone, 2);
  assert.equal(ofType(events, 'run.paused').length, 1);

  const edited = ofType(events, 'candidate.edited')[0];
  assert.equal(edited.n, 1);
  assert.deepEqual(edited.changed, { A: { from: 8, to: 4 }, C: { from: 3, to: 4 } });
  assert.equal(git(dir, 'rev-parse', `${edited.commit}^`), ofType(events, 'iteration.started').find((e) => e.n === 1)!.baseCommit, 'amended: one commit on the base');
  const decided = ofType(events, 'experiment.decided').find((e) => e.n === 1)!;
  assert.equal(decided.commit, edited.commit);
  assert.equal(decided.metric, 1.95, 'trained with the edit: A=4 but C=4');
  const skipped = ofType(events, 'candidate.rejected').find((e) => e.n === 2)!;
  assert.equal(skipped.by, 'user');
  assert.equal(ofType(events, 'training.started').filter((e) => e.n === 2).length, 0);
  assert.equal(git(dir, 'status', '--porcelain'), '');
});

test('LLM levels: the strategy review and the four research steps go to the model over HTTP and are recorded in full', { timeout: 180_000 }, async () => {
  const module = `export function reviewCandidate(ctx, cand) {
  const bad = Object.keys(cand.changed).filter((k) => k === 'C');
  return bad.length ? { state: ctx.state, verdict: 'reject', reason: 'C stays put' } : { state: ctx.state, verdict: 'accept' };
}
`;
  const server = await startScriptedLlmServer((req) => {
    const text = req.messages.map((m) => m.content).join('\n');
    if (/Step 1 of 4/.test(text)) return { content: JSON.stringify({ diagnosis: 'C keeps being changed', candidates: [{ name: 'tabu on C', field: 'combinatorial optimisation', idea: 'veto C moves' }] }) };
    if (/Step 2 of 4/.test(text)) return { content: JSON.stringify({ choice: 'tabu on C', why: 'it answers the diagnosis' }) };
    if (/Step 3 of 4/.test(text)) return { content: JSON.stringify({ name: 'Tabu On C', description: 'vetoes moves of C', hooks: ['reviewCandidate'], state: 'none', behaviour: 'reject any candidate changing C' }) };
    if (/Step 4 of 4/.test(text)) return { content: 'Here it is:\n```javascript\n' + module + '```\n' };
    return { content: JSON.stringify({ freeze: ['A', 'NOT_A_PARAM'], focus: ['B'], guidance: 'A is done; work on B.' }) };
  });
  try {
    const { dir, config } = fastRepo({ strategy: { every: 2 }, mechanisms: { every: 1 } });
    const client = new LlmClient({ baseURL: server.url, model: 'scripted', maxRetries: 0 });
    const { events } = await run(dir, config, new ListProposer([c({ A: 6 }), c({ A: 5 }), c({ C: 4 }), c({ B: 0.5 })]), 3, {
      strategyReviewer: new LlmStrategyReviewer(client, config.parameters.frozen),
      mechanismResearcher: new LlmMechanismResearcher(client),
      overlap: false,
    });
    const review = ofType(events, 'strategy.updated')[0];
    assert.equal(review.reviewer, 'llm');
    assert.deepEqual(review.frozen, ['A']);
    assert.match(review.guidance, /work on B.*ignored unknown or config-frozen names: NOT_A_PARAM/);
    const steps = ofType(events, 'mechanism.research.step');
    assert.deepEqual(steps.map((s) => s.step), ['explore', 'critique', 'specify', 'generate']);
    assert.ok(steps.every((s) => s.ok && s.prompt.length > 100 && s.response.length > 10));
    assert.match(steps[2].prompt, /A mechanism is one ES module/, 'the interface text is in the specify prompt');
    const activated = ofType(events, 'mechanism.activated')[0];
    assert.equal(activated.name, 'tabu-on-c');
    const veto = ofType(events, 'candidate.rejected').find((r) => r.by === 'mechanism')!;
    assert.equal(veto.reason, 'tabu-on-c: C stays put');
    assert.equal(server.requests.length, 5);
  } finally {
    await server.close();
  }
});

test('ablation: every group × repeat from the same commit on its own branch, back on the start branch, a table of Δ', { timeout: 180_000 }, async () => {
  const { dir, config } = fastRepo({ strategy: { every: 1 }, mechanisms: { every: 1 } });
  const { report, files } = await runAblation({ repoDir: dir, config, groups: ['A', 'C'], repeats: 2, iterations: 3, proposer: (seed) => new HeuristicProposer(seed) });
  assert.equal(git(dir, 'rev-parse', '--abbrev-ref', 'HEAD'), 'main');
  assert.deepEqual(report.runs.map((r) => `${r.group}${r.repeat}`), ['A1', 'C1', 'A2', 'C2']);
  for (const r of report.runs) {
    assert.equal(git(dir, 'merge-base', `autoresearch/${r.tag}`, 'main'), report.startCommit, `${r.tag} starts from the same commit`);
    assert.equal(r.stopped, 'completed');
    assert.ok(r.delta !== null && r.delta <= 0, 'a kept result never makes a minimized metric worse');
  }
  const a = traceOf2(dir, report.runs[0].tag);
  const cRun = traceOf2(dir, report.runs[1].tag);
  assert.equal(a.filter((e) => e.type === 'strategy.updated').length, 0, 'group A: level 1 only');
  assert.ok(cRun.some((e) => e.type === 'strategy.updated') && cRun.some((e) => e.type === 'mechanism.proposed'), 'group C: all levels');
  assert.deepEqual(report.rows.map((r) => [r.group, r.n]), [['A', 2], ['C', 2]]);
  assert.match(readFileSync(files.md, 'utf8'), /\| C \| 1,1\.5,2 \| 2 \|/);
  assert.deepEqual(JSON.parse(readFileSync(files.json, 'utf8')).rows.length, 2);
  assert.match(readFileSync(files.md, 'utf8'), /\| A vs C \| 2 \|/, 'the paired comparison, over both repeats');
});

test('ablation statistics: mean and sample sd over the repeats that produced a value', () => {
  assert.deepEqual(meanSd([1, 2, 3, null]), { n: 3, mean: 2, sd: 1 });
  assert.deepEqual(meanSd([null]), { n: 0, mean: null, sd: null });
  const rows = summarizeAblation([{ group: 'B', repeat: 1, tag: 'x', baseline: 1, best: 0.9, delta: -0.1, stopped: 'completed' }], ['A', 'B']);
  assert.deepEqual(rows.map((r) => [r.group, r.levels, r.n, r.mean]), [['A', '1', 0, null], ['B', '1,1.5', 1, -0.1]]);
});

const traceOf2 = (dir: string, tag: string) => TraceStore.open(join(dir, '.autoresearch/runs', tag, 'trace.jsonl')).store.events();

test('noise-aware acceptance: repeated baselines give the noise floor; a gain inside it is re-run to confirm before it is kept', { timeout: 120_000 }, async () => {
  const metrics = join(mkdtempSync(join(tmpdir(), 'noise-metrics-')), 'metrics.txt');
  // The metric each run prints, in order: 3 baselines (spread 0.03), #1 (gain 0.02 < 0.03), its
  // confirmation (mean 0.975: kept), #2 (gain 0.075: kept at once), #3 (gain 0.01), its confirmation (mean 0.91: not kept).
  writeFileSync(metrics, ['1.00', '1.02', '0.99', '0.98', '0.97', '0.90', '0.89', '0.93'].join('\n') + '\n');
  const train = `import os
A = 8
B = 1.0
lines = open(os.environ["METRICS_FILE"]).read().split()
open(os.environ["METRICS_FILE"], "w").write("\\n".join(lines[1:]) + "\\n")
print(f"val_bpb: {lines[0]}")
`;
  const { dir, config } = scriptRepo(train, {
    parameters: { file: 'train.py' },
    run: { command: 'python3 train.py', timeBudgetSeconds: 1, hardTimeoutSeconds: 5, env: { METRICS_FILE: metrics } },
    metric: { name: 'val_bpb', baselineRepeats: 3 },
    levels: { strategy: { enabled: false }, mechanisms: { every: 100 } },
  }, 'noise-');
  const noiseModule = libraryMechanism('noise-aware-acceptance');
  const { events, summary } = await run(dir, config, new ListProposer([c({ A: 6 }), c({ B: 0.5 }), c({ A: 5 })]), 5, {
    overlap: false,
    levelsNow: ['mechanism'],
    mechanismResearcher: new ScriptedResearcher([{ name: noiseModule.name, source: noiseModule.source }]),
  });
  const decided = ofType(events, 'experiment.decided');
  assert.deepEqual(decided.filter((d) => d.description === 'baseline').map((d) => d.status), ['keep', 'discard', 'discard']);
  assert.match(decided[1].note!, /noise floor/);
  const byDesc = (re: RegExp) => decided.filter((d) => re.test(d.description));
  const first = byDesc(/^\{"A":6\}/);
  assert.deepEqual(first.map((d) => d.status), ['discard', 'keep'], '#1: not yet, then kept after the confirmation');
  assert.match(first[0].note!, /re-runs it to confirm: gain 0\.020000 is inside the noise floor 0\.030000/);
  assert.match(first[1].description, /re-run of #\d+ to confirm/);
  assert.match(first[1].note!, /mean of 2 runs 0\.975000 beats the best 1\.000000/);
  assert.equal(git(dir, 'rev-parse', `${first[1].commit}^{tree}`), git(dir, 'rev-parse', `${first[0].commit}^{tree}`), 'the same configuration, trained again');
  assert.deepEqual(byDesc(/^\{"B":0.5\}/).map((d) => d.status), ['keep'], 'a gain beyond the floor is kept at once');
  const third = byDesc(/^\{"A":5\}/);
  assert.deepEqual(third.map((d) => d.status), ['discard', 'discard']);
  assert.match(third[1].note!, /does not beat/);
  assert.equal(summary.state.best!.metric, 0.9);
  assert.equal(summary.state.iterationsDone, 5, 'confirmations count as iterations: they cost a training run');
});

test('a mechanism that proposes an already evaluated configuration does not burn the iteration: the proposer gets the next attempt', { timeout: 120_000 }, async () => {
  const { dir, config } = fastRepo({ strategy: { enabled: false, every: 1 }, mechanisms: { every: 100 } });
  const stuck = `export function propose(ctx) {
  if (!ctx.params.some((p) => p.name === 'A')) return { state: ctx.state, candidate: null };
  return { state: ctx.state, candidate: { description: 'A to 16 again', hypothesis: 'stuck', params: { A: 16 } } };
}
`;
  // The bandit over proposers (proposalShare): the mechanism leads #1 (nothing known); after its
  // discard the untried proposer leads #2; tied at one discard each, the mechanism leads #3 and
  // repeats itself; after the proposer's keep and discard, the waiting mechanism leads #5.
  const { events } = await run(dir, config, new ListProposer([c({ C: 5 }), c({ B: 0.5 }), c({ C: 4 })]), 5, {
    overlap: false,
    levelsNow: ['mechanism'],
    mechanismResearcher: new ScriptedResearcher([{ name: 'stuck', source: stuck }]),
  });
  assert.equal(ofType(events, 'candidate.cached').length, 0);
  const repeats = ofType(events, 'candidate.rejected').filter((r) => r.by === 'mechanism');
  assert.deepEqual(repeats.map((r) => r.n), [3]);
  assert.match(repeats[0].reason, /stuck proposed a configuration already evaluated as #1/);
  assert.deepEqual(ofType(events, 'experiment.decided').map((d) => d.description), ['baseline', 'A to 16 again', '{"C":5}', '{"B":0.5}', '{"C":4}', 'A to 16 again'], 'on the new best the same move is a new configuration');
});

test("a regression an annealing-like decide keeps: bilevel status, the dashboard model and results.tsv all report the better result as best, and the incumbent apart", { timeout: 120_000 }, async () => {
  const metrics = join(mkdtempSync(join(tmpdir(), 'anneal-metrics-')), 'metrics.txt');
  // The metric each run prints, in order: the baseline, #1 (a gain: kept), #2 (a regression the
  // mechanism keeps), #3 (better than #2, worse than #1: kept against the incumbent).
  writeFileSync(metrics, ['1.00', '0.98', '1.01', '0.995'].join('\n') + '\n');
  const train = `import os
A = 8
lines = open(os.environ["METRICS_FILE"]).read().split()
open(os.environ["METRICS_FILE"], "w").write("\\n".join(lines[1:]) + "\\n")
print(f"val_bpb: {lines[0]}")
`;
  const { dir, config } = scriptRepo(train, {
    parameters: { file: 'train.py' },
    run: { command: 'python3 train.py', timeBudgetSeconds: 1, hardTimeoutSeconds: 5, env: { METRICS_FILE: metrics } },
    levels: { strategy: { enabled: false }, mechanisms: { every: 100 } },
  }, 'anneal-');
  // Annealing acceptance with the dice loaded: it keeps the first regression it sees, and no other.
  const annealing = `export function decide(ctx, result) {
  const s = ctx.state || { kept: 0 };
  if (result.status !== 'discard' || s.kept > 0) return { state: s };
  return { state: { kept: 1 }, status: 'keep', reason: 'annealing: kept a regression' };
}
`;
  const { events, summary } = await run(dir, config, new ListProposer([c({ A: 6 }), c({ A: 5 }), c({ A: 7 })]), 3, {
    overlap: false,
    levelsNow: ['mechanism'],
    mechanismResearcher: new ScriptedResearcher([{ name: 'loaded-annealing', source: annealing }]),
  });
  const decided = ofType(events, 'experiment.decided');
  assert.deepEqual(decided.map((d) => [d.status, d.metric]), [['keep', 1], ['keep', 0.98], ['keep', 1.01], ['keep', 0.995]]);
  assert.match(decided[2].note!, /keep by the mechanism loaded-annealing: annealing/);
  assert.equal(decided[3].previousBest, 1.01, '#3 is judged against the incumbent it ran on');
  const [, first, regressed, third] = decided;
  assert.equal(ofType(events, 'iteration.started').find((e) => e.n === third.n)!.baseCommit, regressed.commit, '#3 starts from the incumbent, not from the best');

  const { state } = summary;
  assert.deepEqual(state.best, { n: first.n, commit: first.commit, metric: 0.98 }, 'the best never moves backwards');
  assert.equal(state.incumbent?.n, third.n);
  assert.equal(git(dir, 'rev-parse', 'HEAD'), third.commit, 'the branch is on the incumbent');
  assert.equal(git(dir, 'merge-base', '--is-ancestor', first.commit, 'HEAD'), '', 'the best commit stays on the branch');

  // bilevel status: the best, then where the search continues from.
  const status = cli(dir, ['status']);
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, new RegExp(`best val_bpb 0\\.980000 at #${first.n} \\(${first.commit.slice(0, 7)}\\).* · continuing from #${third.n} 0\\.995000 \\(${third.commit.slice(0, 7)}\\)`));
  assert.match(status.stdout, new RegExp(`#${first.n} +keep +0\\.980000 .*\\(best\\)`));
  const json = JSON.parse(cli(dir, ['status', '--json']).stdout);
  assert.deepEqual([json.best.n, json.incumbent.n], [first.n, third.n]);

  // The dashboard, from the same trace.
  const model = new RunModel('t');
  model.apply(traceOf(dir));
  assert.deepEqual(model.summary().best, { n: first.n, metric: 0.98 });
  assert.deepEqual(model.summary().incumbent, { n: third.n, metric: 0.995 });

  // results.tsv: its best kept row is the best, its last kept row the incumbent.
  const rows = readFileSync(join(dir, '.autoresearch/runs/t/results.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  const kept = rows.filter((r) => r[3] === 'keep');
  const bestRow = kept.reduce((a, b) => (Number(b[1]) < Number(a[1]) ? b : a));
  assert.deepEqual([bestRow[0], bestRow[1]], [first.commit.slice(0, 7), '0.980000']);
  assert.deepEqual([kept[kept.length - 1][0], kept[kept.length - 1][1]], [third.commit.slice(0, 7), '0.995000']);
});
