/**
 * What the extension's views show, from traces: pure presentation modules of src/extension that
 * import no `vscode` at runtime (this file would fail to load if they did).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunEvent, RunEventBody } from '../../src/shared/trace/events';
import { deriveRunState } from '../../src/shared/trace/runState';
import { describeRun, formatDelta, improvementOverBaseline, presentExperiment } from '../../src/extension/views/experimentPresentation';
import { isReviewable, mechanismsInViewOrder, presentMechanism } from '../../src/extension/views/mechanismPresentation';
import { mechanismOutcome, mechanismWhy } from '../../src/shared/trace/mechanismOutcome';
import { answerObject, mechanismDossier } from '../../src/extension/review/mechanismDossier';
import { resumeOffer } from '../../src/extension/run/resumeOffer';
import { strategyRows } from '../../src/extension/views/strategyPresentation';
import { badgeFor, commandLink, noticeFor, waitingItems, waitingMessage } from '../../src/extension/run/attention';
import { firstChangedLine, presentGate } from '../../src/extension/run/gatePresentation';
import { finishedRunOffer } from '../../src/extension/run/finishedRunOffer';
import { stopQuestion, trainingHeader, whereItTrains } from '../../src/extension/run/trainingHeader';
import { SshExecutor } from '../../src/core/executors/sshExecutor';
import { SlurmExecutor } from '../../src/core/executors/slurmExecutor';

const trace = (bodies: RunEventBody[]): RunEvent[] => bodies.map((b, i) => ({ seq: i + 1, at: '2026-11-23T09:00:00Z', ...b }) as RunEvent);
const started: RunEventBody = { type: 'run.started', tag: 'nov23', branch: 'autoresearch/nov23', baseCommit: 'c0', metric: 'val_bpb', goal: 'minimize', proposer: 'heuristic' };
const decided = (n: number, status: 'keep' | 'discard' | 'crash', metric: number | null, commit: string, delta: number | null, description: string): RunEventBody => ({
  type: 'experiment.decided', n, status, commit, metric, previousBest: null, delta, description, memoryGb: null,
});
const baseline: RunEventBody[] = [
  started,
  { type: 'iteration.started', n: 0, baseCommit: 'c0', baseline: true },
  { type: 'training.started', n: 0, commit: 'c0', command: 'python train.py', log: '/r/logs/0.log', pid: 10 },
  decided(0, 'keep', 2, 'c0', null, 'baseline'),
  { type: 'iteration.finished', n: 0, result: 'keep' },
];
const experiment = (n: number, status: 'keep' | 'discard' | 'crash', metric: number | null, delta: number | null, change = 'LR 0.001 -> 0.002'): RunEventBody[] => [
  { type: 'iteration.started', n, baseCommit: 'c0', baseline: false },
  { type: 'candidate.proposed', n, candidate: { description: change, hypothesis: 'h', params: { LR: 0.002 } }, proposer: 'heuristic' },
  { type: 'candidate.applied', n, params: { LR: 0.002 }, changed: { LR: { from: 0.001, to: 0.002 } }, tree: `t${n}` },
  { type: 'candidate.committed', n, commit: `c${n}` },
  { type: 'training.started', n, commit: `c${n}`, command: 'python train.py', log: `/r/logs/${n}.log`, pid: 10 + n },
  { type: 'training.finished', n, outcome: status === 'crash' ? 'crash' : 'ok', exitCode: status === 'crash' ? 1 : 0, metric, secondary: {}, seconds: 4.2, reason: status === 'crash' ? 'exit code 1: CUDA OOM' : undefined },
  decided(n, status, metric, `c${n}`, delta, change),
  { type: 'iteration.finished', n, result: status },
];

test('an experiment row leads with number, metric and Δ; the change is the description; flags drive the menus', () => {
  const s = deriveRunState(trace([...baseline, ...experiment(1, 'keep', 1.9, -0.1), ...experiment(2, 'discard', 1.95, 0.05)]));
  const best = presentExperiment(s.experiments[1], s, false);
  assert.equal(best.label, '#1 1.900000  Δ −0.100000');
  assert.equal(best.description, 'LR 0.001 -> 0.002');
  assert.equal(best.icon, 'star-full');
  assert.equal(best.diffCommit, 'c1');
  assert.deepEqual(best.contextValue.split(' '), ['experiment', 'best', 'hasDiff', 'hasLog']);
  assert.match(best.tooltip, /`LR`: 0\.001 → 0\.002/);
  const discarded = presentExperiment(s.experiments[2], s, false);
  assert.equal(discarded.icon, 'circle-slash');
  assert.equal(discarded.accessibilityLabel, '#2 LR 0.001 -> 0.002, 1.950000  Δ +0.050000');
  const base = presentExperiment(s.experiments[0], s, false);
  assert.equal(base.diffCommit, undefined, 'the baseline has no change to show');
  assert.ok(!base.contextValue.includes('hasDiff'));
});

test('a crash says why; an experiment in flight says what it is doing only while the run goes on', () => {
  const s = deriveRunState(trace([...baseline, ...experiment(1, 'crash', null, null), { type: 'iteration.started', n: 2, baseCommit: 'c0', baseline: false }, { type: 'training.started', n: 2, commit: 'c2', command: 'x', log: '/r/logs/2.log' }]));
  const crash = presentExperiment(s.experiments[1], s, false);
  assert.equal(crash.label, '#1 crash');
  assert.match(crash.accessibilityLabel, /CUDA OOM$/);
  assert.equal(presentExperiment(s.experiments[2], s, true).label, '#2 training…');
  assert.equal(presentExperiment(s.experiments[2], s, false).label, '#2 unfinished', 'no run in this window: left open by a process that ended');
  const gated = deriveRunState(trace([...baseline, ...experiment(1, 'keep', 1.9, -0.1).slice(0, 4)]));
  assert.equal(presentExperiment(gated.experiments[1], gated, true, 1).label, '#1 Run, Edit or Skip?', 'a stepping run waits on it');
  assert.equal(presentExperiment(gated.experiments[1], gated, true).label, '#1 proposing…');
});

test('the improvement over the baseline is the best metric minus the baseline metric', () => {
  const s = deriveRunState(trace([...baseline, ...experiment(1, 'keep', 1.75, -0.25)]));
  assert.equal(improvementOverBaseline(s), -0.25);
  assert.equal(formatDelta(improvementOverBaseline(s)), 'Δ −0.250000');
  assert.equal(improvementOverBaseline(deriveRunState(trace([started]))), null);
  assert.equal(improvementOverBaseline(deriveRunState(trace(baseline))), null, 'the baseline is the best: no Δ to show');
  assert.equal(describeRun(s, false), 'nov23 · best 1.750000 (#1)');
});

test('a worse result a mechanism kept: the views show the best, and the incumbent the search continues from', () => {
  const kept = experiment(2, 'keep', 1.95, 0.05, 'LR 0.002 -> 0.003').map((e) =>
    e.type === 'experiment.decided' ? { ...e, note: 'keep by the mechanism annealing-acceptance: annealing' } : e,
  );
  const s = deriveRunState(trace([...baseline, ...experiment(1, 'keep', 1.9, -0.1), ...kept]));
  assert.equal(describeRun(s, false), 'nov23 · best 1.900000 (#1) · continuing from #2 1.950000');
  assert.equal(presentExperiment(s.experiments[1], s, false).icon, 'star-full');
  const incumbent = presentExperiment(s.experiments[2], s, false);
  assert.equal(incumbent.icon, 'arrow-circle-right');
  assert.match(incumbent.tooltip, /continuing from here/);
  assert.equal(improvementOverBaseline(s), 1.9 - 2, 'against the best, not the regressed incumbent');
  const stopped = deriveRunState(trace([...baseline, ...experiment(1, 'keep', 1.9, -0.1), ...kept, { type: 'run.stopped', reason: 'interrupted' }]));
  assert.match(resumeOffer(stopped, () => false)!.message, /best val_bpb 1\.900000, continuing from #2 1\.950000/);
});

const mechanismEvents = (name: string, n: number): RunEventBody[] => [
  { type: 'mechanism.proposed', n, session: 1, name, description: `${name} does things`, file: `.autoresearch/mechanisms/${name}.mjs`, branch: `autoresearch/nov23/mechanism/${n}-${name}`, commit: `m${n}`, hooks: ['reviewCandidate'] },
];

test('mechanisms: awaiting review first, with the reviewable flag; reverted ones say why', () => {
  const s = deriveRunState(trace([
    ...baseline,
    ...mechanismEvents('tabu', 1),
    { type: 'mechanism.validated', n: 1, name: 'tabu', ok: true, checks: [{ name: 'loads', ok: true, detail: 'ok' }] },
    { type: 'mechanism.activated', n: 1, name: 'tabu', by: 'policy', commit: 'c9' },
    ...mechanismEvents('bandit', 2),
    { type: 'mechanism.validated', n: 2, name: 'bandit', ok: false, checks: [{ name: 'replay', ok: false, detail: 'threw at #1' }] },
    { type: 'mechanism.reverted', n: 2, name: 'bandit', by: 'validation', reason: 'replay failed' },
    ...mechanismEvents('anneal', 3),
    { type: 'mechanism.validated', n: 3, name: 'anneal', ok: true, checks: [{ name: 'loads', ok: true, detail: 'ok' }] },
  ]));
  assert.deepEqual(mechanismsInViewOrder(s).map((m) => m.name), ['anneal', 'bandit', 'tabu']);
  const anneal = presentMechanism(s.mechanisms.get('anneal')!, s.hookStats.get('anneal'));
  assert.ok(isReviewable(s.mechanisms.get('anneal')!));
  assert.equal(anneal.contextValue, 'mechanism awaiting-review reviewable');
  assert.equal(anneal.icon, 'question');
  const bandit = presentMechanism(s.mechanisms.get('bandit')!, s.hookStats.get('bandit'));
  assert.equal(bandit.description, 'failed validation · replay failed', 'reverted by its validation says so (not "reverted")');
  assert.match(bandit.tooltip, /✗ replay: threw at #1/);
  const tabu = presentMechanism(s.mechanisms.get('tabu')!, s.hookStats.get('tabu'));
  assert.equal(tabu.contextValue, 'mechanism active');
  assert.match(tabu.tooltip, /no hook has run yet/, 'an active mechanism that never ran is visible');
  assert.equal(s.incumbent?.commit, 'c9', 'activation moves the incumbent commit onto the mechanism commit');
  assert.equal(s.best?.commit, 'c0', 'the best keeps the commit that trained it');
});

test('the strategy view shows what the latest review froze and focuses on, and when', () => {
  const before = deriveRunState(trace(baseline));
  assert.equal(strategyRows(before, []).find((r) => r.id === 'changed')?.description, 'no review yet');
  const s = deriveRunState(trace([...baseline, { type: 'strategy.updated', n: 5, cycle: 1, reviewer: 'rules', frozen: ['DEPTH'], unfrozen: [], focus: ['LR', 'WD'], guidance: 'try smaller steps' }]));
  const rows = Object.fromEntries(strategyRows(s, ['SEED']).map((r) => [r.id, r.description]));
  assert.deepEqual(rows, { changed: 'after #5, review 1 by rules', frozen: 'DEPTH', focus: 'LR, WD', guidance: 'try smaller steps', configFrozen: 'SEED' });
});

test('on activation: an interrupted or paused run is offered, a finished one or one still training elsewhere is not', () => {
  const none = () => false;
  assert.equal(resumeOffer(null, none), null);
  const finished = deriveRunState(trace([...baseline, { type: 'run.stopped', reason: 'completed' }]));
  assert.equal(resumeOffer(finished, none), null);
  const interrupted = deriveRunState(trace([...baseline, { type: 'run.stopped', reason: 'interrupted' }]));
  assert.deepEqual(resumeOffer(interrupted, none), { tag: 'nov23', message: 'Autoresearch run nov23 was interrupted (0 iterations done, best val_bpb 2.000000).', action: 'Resume' });
  const paused = deriveRunState(trace([...baseline, ...experiment(1, 'keep', 1.9, -0.1), { type: 'run.paused', reason: 'pause requested' }]));
  assert.equal(resumeOffer(paused, none)?.action, 'Continue');
  const died = deriveRunState(trace([...baseline, { type: 'iteration.started', n: 1, baseCommit: 'c0', baseline: false }, { type: 'training.started', n: 1, commit: 'c1', command: 'x', log: 'l', pid: 4242 }]));
  assert.match(resumeOffer(died, none)!.message, /ended without finishing during #1/);
  assert.equal(resumeOffer(died, (pid) => pid === 4242), null, 'its training is still alive: another process runs it');
});

test('attention: the badge counts the gate and the mechanisms awaiting review; each waiting item has the command that answers it', () => {
  const s = deriveRunState(trace([
    ...baseline,
    ...mechanismEvents('tabu', 1),
    { type: 'mechanism.validated', n: 1, name: 'tabu', ok: true, checks: [{ name: 'loads', ok: true, detail: 'ok' }] },
    ...mechanismEvents('bandit', 2),
    { type: 'mechanism.validated', n: 2, name: 'bandit', ok: true, checks: [{ name: 'loads', ok: true, detail: 'ok' }] },
    { type: 'mechanism.activated', n: 2, name: 'bandit', by: 'user', commit: 'c9' },
  ]));
  assert.equal(badgeFor(waitingItems(s, null))?.value, 1, 'the active mechanism waits for nobody');
  const items = waitingItems(s, { n: 3, description: 'LR 0.001 -> 0.002' });
  assert.deepEqual(items.map((i) => i.key), ['gate:nov23:3', 'mechanism:nov23:tabu']);
  assert.deepEqual(badgeFor(items), { value: 2, tooltip: 'Autoresearch: a candidate waits at the gate, 1 mechanism to review' });
  assert.deepEqual(items[0].actions.map((a) => a.label), ['Run', 'Edit', 'Skip']);
  assert.equal(waitingMessage(items[0]), 'Autoresearch #3 at the gate: [Run](command:bilevelAutoresearch.gateRun) · [Edit](command:bilevelAutoresearch.gateEdit) · [Skip](command:bilevelAutoresearch.gateSkip) — LR 0.001 -> 0.002');
  assert.equal(commandLink(items[1].actions[0]), `[Review](command:bilevelAutoresearch.reviewMechanism?${encodeURIComponent('[{"tag":"nov23","name":"tabu"}]')})`);
  assert.equal(badgeFor(waitingItems(deriveRunState(trace(baseline)), null)), undefined, 'nothing waits: no badge');
});

test('attention: one-off notices for a new best, a run completed or failed, and research that failed validation', () => {
  const events = trace([...baseline, ...experiment(1, 'keep', 1.9, -0.1), ...experiment(2, 'discard', 1.95, 0.05), { type: 'run.stopped', reason: 'completed' }]);
  const s = deriveRunState(events);
  const best = noticeFor(events.find((e) => e.type === 'experiment.decided' && e.n === 1)!, deriveRunState(events.slice(0, events.findIndex((e) => e.type === 'experiment.decided' && e.n === 1) + 1)), 1);
  assert.equal(best?.message, 'Autoresearch #1: new best val_bpb 1.900000 (Δ −0.100000 over the baseline): LR 0.001 -> 0.002');
  assert.deepEqual(best?.actions.map((a) => [a.label, a.args]), [['Show Diff', [{ tag: 'nov23', n: 1 }]], ['Open Dashboard', ['nov23']]]);
  assert.equal(noticeFor(events.find((e) => e.type === 'experiment.decided' && e.n === 2)!, s, 2), null, 'a discard is no news');
  assert.equal(noticeFor(events.find((e) => e.type === 'experiment.decided' && e.n === 0)!, s, 1), null, 'nor the baseline');
  const stopped = events.at(-1)!;
  assert.equal(noticeFor(stopped, s, 3)?.message, 'Autoresearch run nov23 completed: 2 iterations, best val_bpb 1.900000 at #1 (Δ −0.100000 over the baseline).');
  assert.equal(noticeFor(stopped, s, 1), null, 'a single Step completing: the person is right there');
  assert.deepEqual(noticeFor(stopped, s, 3)?.actions.map((a) => [a.label, a.command, a.args]), [
    ['Open Dashboard', 'bilevelAutoresearch.openDashboard', ['nov23']],
    ['Run More', 'bilevelAutoresearch.runMore', undefined],
    ['Create Branch from Best', 'bilevelAutoresearch.createBranchFromBest', ['nov23']],
  ]);
  const onlyBaseline = trace([...baseline, ...experiment(1, 'discard', 2.1, 0.1), ...experiment(2, 'discard', 2.2, 0.2), { type: 'run.stopped', reason: 'completed' }]);
  assert.deepEqual(noticeFor(onlyBaseline.at(-1)!, deriveRunState(onlyBaseline), 3)?.actions.map((a) => a.label), ['Open Dashboard', 'Run More'], 'nothing beat the baseline: no branch to create');
  const failed = noticeFor({ seq: 99, at: '', type: 'run.stopped', reason: 'error', message: 'git: not a repository' }, s, 0);
  assert.equal(failed?.severity, 'error');
  assert.deepEqual(failed?.actions.map((a) => a.command), ['bilevelAutoresearch.showOutput']);
  const invalid = noticeFor({ seq: 99, at: '', type: 'mechanism.validated', n: 2, name: 'bandit', ok: false, checks: [{ name: 'loads', ok: true, detail: '' }, { name: 'replay', ok: false, detail: 'threw' }] }, s, 0);
  assert.equal(invalid?.message, 'Autoresearch: mechanism bandit failed validation (1 of 2 checks: replay); it is not used.');
  assert.deepEqual(invalid?.actions[0].args, [{ tag: 'nov23', name: 'bandit' }]);
});

test('the gate view shows the candidate, its hypothesis, who proposed it and what it changes; Edit lands on the first changed line', () => {
  const s = deriveRunState(trace([...baseline, ...experiment(1, 'keep', 1.9, -0.1).slice(0, 4)]));
  assert.deepEqual(presentGate(s, { n: 1, description: 'ignored' }), {
    n: 1,
    description: 'LR 0.001 -> 0.002',
    hypothesis: 'h',
    proposedBy: 'the offline heuristic',
    changes: [{ name: 'LR', from: '0.001', to: '0.002' }],
  });
  const byMechanism = deriveRunState(trace([...baseline, { type: 'iteration.started', n: 1, baseCommit: 'c0', baseline: false }, { type: 'candidate.proposed', n: 1, candidate: { description: 'd', hypothesis: '', params: {} }, proposer: 'llm', level: 2, mechanism: 'tabu' }]));
  assert.equal(presentGate(byMechanism, { n: 1, description: 'd' }).proposedBy, 'mechanism tabu');
  assert.equal(firstChangedLine('a\nb\nc\n', 'a\nB\nc\n'), 1);
  assert.equal(firstChangedLine('a\nb', 'a\nb\nc'), 2, 'a line added at the end');
  assert.equal(firstChangedLine('same', 'same'), 0);
});

test('mechanism statuses a person tells apart: awaiting review, active, rejected by you, failed validation, deactivated at run time (with why)', () => {
  const s = deriveRunState(trace([
    ...baseline,
    ...mechanismEvents('waiting', 1),
    { type: 'mechanism.validated', n: 1, name: 'waiting', ok: true, checks: [] },
    ...mechanismEvents('rejected', 1),
    { type: 'mechanism.validated', n: 1, name: 'rejected', ok: true, checks: [] },
    { type: 'mechanism.reverted', n: 1, name: 'rejected', by: 'user', reason: 'too greedy' },
    ...mechanismEvents('invalid', 1),
    { type: 'mechanism.validated', n: 1, name: 'invalid', ok: false, checks: [{ name: 'parses', ok: false, detail: 'syntax error at line 3' }] },
    ...mechanismEvents('crashed', 1),
    { type: 'mechanism.validated', n: 1, name: 'crashed', ok: true, checks: [] },
    { type: 'mechanism.activated', n: 1, name: 'crashed', by: 'user', commit: 'c8' },
    { type: 'mechanism.deactivated', n: 2, name: 'crashed', hook: 'propose', reason: 'threw TypeError' },
    ...mechanismEvents('on', 1),
    { type: 'mechanism.validated', n: 1, name: 'on', ok: true, checks: [] },
    { type: 'mechanism.activated', n: 1, name: 'on', by: 'policy', commit: 'c9' },
  ]));
  const label = (name: string) => presentMechanism(s.mechanisms.get(name)!, undefined).accessibilityLabel;
  assert.equal(label('waiting'), 'waiting, awaiting your review');
  assert.equal(label('rejected'), 'rejected, rejected by you, too greedy');
  assert.equal(label('invalid'), 'invalid, failed validation', 'failed validation before any revert event');
  assert.equal(label('crashed'), 'crashed, deactivated at run time, propose: threw TypeError');
  assert.equal(label('on'), 'on, active');
  // The dashboard reads the same shared function: each of the five, and a revert of an old trace that did not say by whom.
  const outcome = (name: string) => mechanismOutcome(s.mechanisms.get(name)!);
  assert.deepEqual(['waiting', 'rejected', 'invalid', 'crashed', 'on'].map(outcome), ['awaiting-review', 'rejected-by-you', 'failed-validation', 'deactivated', 'active']);
  assert.equal(mechanismOutcome({ status: 'reverted', validated: true }), 'reverted');
  assert.equal(mechanismWhy(s.mechanisms.get('crashed')!), 'propose: threw TypeError');
  assert.equal(mechanismWhy(s.mechanisms.get('rejected')!), 'too greedy');
});

test('the review dossier: diagnosis, rationale and steps from the research session, checks with output, the replay, the code', () => {
  const events = trace([
    ...baseline,
    { type: 'mechanism.research.step', n: 0, session: 1, step: 'explore', prompt: 'p', response: '{"diagnosis":"DEPTH changes waste the budget"}', ok: true },
    { type: 'mechanism.research.step', n: 0, session: 1, step: 'critique', prompt: 'p', response: 'Sure: {"choice":"tabu on depth","why":"it answers the diagnosis"}', ok: true },
    { type: 'mechanism.research.step', n: 0, session: 1, step: 'specify', prompt: 'p', response: '{"behaviour":"reject any candidate changing DEPTH"}', ok: true },
    { type: 'mechanism.research.step', n: 0, session: 1, step: 'generate', prompt: 'p', response: '```js\nexport function reviewCandidate() {}\n```', ok: true },
    ...mechanismEvents('tabu', 1),
    { type: 'mechanism.validated', n: 1, name: 'tabu', ok: true, checks: [{ name: 'parses', ok: true, detail: 'an ES module' }, { name: 'replay', ok: true, detail: '1 experiment(s) replayed' }] },
  ]);
  const s = deriveRunState(events);
  const m = s.mechanisms.get('tabu')!;
  assert.equal(m.session, 1);
  const d = mechanismDossier(m, events, 'export function reviewCandidate() {}\n');
  assert.equal(d.status, 'awaiting your review');
  assert.equal(d.diagnosis, 'DEPTH changes waste the budget');
  assert.equal(d.rationale, 'tabu on depth — it answers the diagnosis');
  assert.equal(d.behaviour, 'reject any candidate changing DEPTH');
  assert.deepEqual(d.steps.map((x) => x.step), ['explore', 'critique', 'specify', 'generate']);
  assert.equal(d.replay?.detail, '1 experiment(s) replayed');
  assert.ok(d.canAccept && d.canReject);
  assert.equal(answerObject('no json here'), null);
});

test('Start or Continue on a finished run offers more iterations or a new run, instead of resuming into nothing', () => {
  const done = deriveRunState(trace([...baseline, ...experiment(1, 'keep', 1.9, -0.1), { type: 'run.stopped', reason: 'completed' }]));
  const settings = { iterations: 1, resumeLatestRun: true };
  assert.deepEqual(finishedRunOffer(done, {}, settings), { message: 'Autoresearch run nov23 is complete: 1 iteration done, best val_bpb 1.900000 at #1. Run more on it, or start a new run?', more: 1 });
  assert.ok(finishedRunOffer(done, { resume: true }, { iterations: 1, resumeLatestRun: false }), 'Continue resumes whatever the setting says');
  assert.equal(finishedRunOffer(done, {}, { iterations: 5, resumeLatestRun: true }), null, 'iterations left to run: it just resumes');
  assert.equal(finishedRunOffer(done, {}, { iterations: 1, resumeLatestRun: false }), null, 'Start makes a fresh run anyway');
  assert.equal(finishedRunOffer(done, { resume: true, iterations: (x) => (x?.iterationsDone ?? 0) + 1 }, settings), null, 'Step asks for one more');
  assert.equal(finishedRunOffer(done, { resume: true, levelsNow: ['mechanism'] }, settings), null, 'a level now has work to do');
  const interrupted = deriveRunState(trace([...baseline, { type: 'run.stopped', reason: 'interrupted' }]));
  assert.equal(finishedRunOffer(interrupted, { resume: true }, settings), null, 'an interrupted run resumes');
});

test('a reused training terminal starts each experiment with a header saying where it trains; Stop asks after a minute of training', () => {
  const started = { seq: 1, at: '2026-11-23T09:00:00Z', type: 'training.started', n: 3, commit: 'abcdef1234', command: 'python3 train.py', log: '/r/3.log', pid: 42 } as const;
  assert.equal(trainingHeader(started, 'LR 0.001 -> 0.002'), '── #3 LR 0.001 -> 0.002 · pid 42 · commit abcdef1 ──');
  assert.equal(whereItTrains({ ...started, slurmJobId: 77 }), 'Slurm job 77');
  assert.equal(whereItTrains({ ...started, where: 'ssh gpu-box' }), 'ssh gpu-box · pid 42', 'the worker is named');
  assert.equal(whereItTrains({ ...started, where: new SshExecutor({ host: 'gpu-box', remoteDir: '/tmp/r' }).where }), 'ssh gpu-box · pid 42', 'as the ssh executor says it');
  assert.equal(new SlurmExecutor({ partition: 'gpu' }).where, 'slurm (partition gpu)');
  const s = deriveRunState(trace([...baseline, ...experiment(1, 'keep', 1.9, -0.1).slice(0, 5)]));
  const startedAt = Date.parse('2026-11-23T09:00:00Z');
  assert.equal(stopQuestion(s, startedAt + 30_000), null, 'half a minute of training: Stop just stops');
  assert.equal(stopQuestion(s, startedAt + 185_000), 'Stop the run? #1 has been training for 3 min; its training is killed and it is recorded as interrupted.');
  assert.equal(stopQuestion(deriveRunState(trace(baseline)), startedAt + 185_000), null, 'nothing training');
});
