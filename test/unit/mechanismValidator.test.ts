import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MECHANISM_INTERFACE_TEXT } from '../../src/core/mechanisms/mechanism';
import { notWorse, proposedCandidateProblem, syntheticSteps, validateMechanism } from '../../src/core/mechanisms/validateMechanism';
import { TraceBuilder } from '../support/dashboardTraces';

// Generous, so a loaded machine never turns a quick hook into a timeout (the slow-hook case sets its own).
const limits = { callMs: 10_000 };

const summary = (r: { checks: { name: string; ok: boolean; detail: string }[] }) => r.checks.map((c) => `${c.name}:${c.ok ? 'ok' : 'FAIL'} ${c.detail}`);

function runTrace() {
  const t = new TraceBuilder('v', { LR: 0.01, DEPTH: 4 });
  t.baseline(0, 1.0);
  t.experiment(1, { LR: 0.02 }, 1.05);
  t.experiment(2, { DEPTH: 6 }, 0.95);
  t.experiment(3, { LR: 0.005 }, null);
  t.rejected(4, { DEPTH: 99 }, 'out of range');
  return t.events;
}

test('a good mechanism passes all four checks, replayed over the run', async () => {
  const source = `export function reviewCandidate(ctx, cand) { return { verdict: 'accept', state: ctx.state }; }
export function afterResult(ctx, r) { return { state: { seen: ((ctx.state && ctx.state.seen) || 0) + 1 } }; }
export const note = 'helpers and constants may be exported too';`;
  const r = await validateMechanism(source, { trace: runTrace(), limits });
  assert.deepEqual(summary(r), [
    'parses:ok an ES module with no imports',
    'exports-hooks:ok reviewCandidate, afterResult; other exports ignored: note',
    'contract:ok 2 hook(s) on 3 synthetic contexts',
    'replay:ok 4 experiment(s) replayed',
    'replay-merit:ok 0 change(s) for the worse, 0 for the better on the trace',
  ]);
  assert.equal(r.ok, true);
  assert.deepEqual(r.hooks, ['reviewCandidate', 'afterResult']);
});

test('replay merit: what the hooks would have changed on the trace, judged by its outcomes; worse is not activated by policy auto', async () => {
  const merit = async (source: string) => {
    const r = await validateMechanism(source, { trace: runTrace(), limits });
    assert.equal(r.ok, true, 'merit never makes a module invalid');
    return { merit: r.merit!, check: r.checks.find((c) => c.name === 'replay-merit')!, worse: !notWorse(r.merit) };
  };
  // Vetoing everything: the discard (#1) and the crash (#3) saved, the keep (#2) lost.
  const veto = await merit(`export function reviewCandidate(ctx, cand) { return { verdict: 'reject', reason: 'no' }; }`);
  assert.deepEqual([veto.merit.lost, veto.merit.saved, veto.worse], [1, 2, false]);
  assert.match(veto.check.detail, /#2: vetoed a kept experiment/);
  // Keeping everything: the discard and the crash kept, worse.
  const keepAll = await merit(`export function decide(ctx, r) { return { status: 'keep', reason: 'always' }; }`);
  assert.deepEqual([keepAll.merit.lost, keepAll.merit.saved, keepAll.worse], [2, 0, true]);
  assert.equal(keepAll.check.ok, false);
  assert.match(keepAll.check.detail, /#1: decide would keep a worse result/);
  // Proposing LR 0.02 on DEPTH 4: the configuration #1 discarded; on DEPTH 6 (after #2's keep), a new one.
  const again = await merit(`export function propose(ctx) { return { candidate: { description: 'LR 0.02', hypothesis: 'h', params: { LR: 0.02 } } }; }`);
  assert.deepEqual([again.merit.lost, again.merit.saved, again.worse], [2, 0, true], 'at #1 and #2 the incumbent is the baseline, whose LR 0.02 variant #1 discarded');
  assert.equal(notWorse(undefined), true, 'no replay: nothing says worse');
});

test("the paper's sklearn case: an import of a missing package fails `parses`, the rest is not run", async () => {
  const r = await validateMechanism(`import { GaussianProcessRegressor } from 'sklearn';\nexport function propose(ctx) { return { candidate: null }; }`, { limits });
  assert.equal(r.ok, false);
  assert.deepEqual(summary(r), [
    'parses:FAIL mechanisms run without any imports (no packages, files or Node APIs), found: import from "sklearn" at line 1',
    'exports-hooks:FAIL not run: the module imports',
    'contract:FAIL not run: the module imports',
    'replay:FAIL not run: the module imports',
  ]);
});

test('`parses` reads the module as the sandbox runs it: an import hidden by "<!--", and Node\'s globals, fail it', async () => {
  const hidden = await validateMechanism("export function propose() {\n  const a = 1, b = 2;\n  const x = a <!--b + `\n  import('node:fs');\n  //`;\n  return {};\n}", { limits });
  assert.equal(hidden.ok, false);
  assert.match(hidden.checks[0].detail, /^syntax error at line 3: "<!--" starts a comment in the script the sandbox runs/);
  assert.deepEqual(summary(hidden).slice(1), ['exports-hooks:FAIL not run: the module does not parse', 'contract:FAIL not run: the module does not parse', 'replay:FAIL not run: the module does not parse']);
  const env = await validateMechanism('export function propose() { return { guidance: process.env.HOME }; }', { limits });
  assert.equal(summary(env)[0], "parses:FAIL mechanisms run without any imports (no packages, files or Node APIs), found: process (Node's) at line 1");
});

test('a syntax error fails `parses` with its line', async () => {
  const r = await validateMechanism('export function propose(ctx) {\n  return { candidate: null ;\n}', { limits });
  assert.match(r.checks[0].detail, /^syntax error at line 2: Unexpected token/);
  assert.equal(r.ok, false);
});

test('exports: none, or names that look like misspelt hooks, are named', async () => {
  const none = await validateMechanism('export function helper() {}', { limits });
  assert.equal(none.checks[1].ok, false);
  assert.match(none.checks[1].detail, /exports no hook \(exports: helper\); export one of beforePropose, propose, reviewCandidate, decide, afterResult/);
  const typos = await validateMechanism('export function afterResult() { return {}; }\nexport function reviewCandidates() {}\nexport function Decide() {}', { limits });
  assert.equal(typos.checks[1].ok, false);
  assert.equal(typos.checks[1].detail, 'exports that look like misspelt hooks: reviewCandidates (did you mean reviewCandidate?), Decide (did you mean decide?)');
});

test('a default-exported object of hooks is found at load', async () => {
  const r = await validateMechanism('export default { decide(ctx, r) { return {}; } };', { limits });
  assert.deepEqual(summary(r).slice(1, 3), ['exports-hooks:ok decide', 'contract:ok 1 hook(s) on 3 synthetic contexts']);
});

test('contract: a throw at load, a wrong shape, a null-unsafe hook, a slow hook each fail with the hook and iteration', async () => {
  const load = await validateMechanism('throw new Error("no config");\nexport function propose() { return {}; }', { limits });
  assert.deepEqual(summary(load).slice(1, 3), ['exports-hooks:FAIL the module failed to load: loading the module: Error: no config (line 1)', 'contract:FAIL not run: the module does not load']);

  const shape = await validateMechanism(`export function reviewCandidate() { return { verdict: true }; }`, { limits });
  assert.equal(shape.checks[2].detail, 'reviewCandidate at iteration 1: garbage: reviewCandidate: verdict must be "accept" or "reject", got true');

  // Fine on an empty history and a keep, but a crash has a null metric: the third synthetic context.
  const nullUnsafe = await validateMechanism(`export function afterResult(ctx, r) { return { state: { last: r.metric.toFixed(3) } }; }`, { limits });
  assert.equal(nullUnsafe.checks[2].ok, false);
  assert.match(nullUnsafe.checks[2].detail, /^afterResult at iteration 31: throw: TypeError: Cannot read properties of null \(reading 'toFixed'\) \(line 1\)$/);
  assert.equal(nullUnsafe.checks[3].detail, 'not run: the contract check failed');

  const slow = await validateMechanism(`export function beforePropose(ctx) { if (ctx.history.length > 10) for (;;) {} return {}; }`, { limits: { callMs: 500 } });
  assert.equal(slow.checks[2].detail, 'beforePropose at iteration 31: timeout: beforePropose took longer than 500 ms');
});

test('contract: a proposed candidate must name known, unfrozen parameters and change something', async () => {
  const frozen = await validateMechanism(`export function propose(ctx) {
  const p = ctx.params[ctx.params.length - 1];
  return { candidate: { description: 'bump ' + p.name, hypothesis: 'h', params: { [p.name]: 1 } } };
}`, { limits });
  assert.equal(frozen.checks[2].detail, 'propose at iteration 1: its candidate changes frozen parameter(s) WARMUP_STEPS');
  const unknown = await validateMechanism(`export function propose() { return { candidate: { description: 'd', hypothesis: 'h', params: { NOPE: 1 } } }; }`, { limits });
  assert.equal(unknown.checks[2].detail, 'propose at iteration 1: its candidate names unknown parameter(s) NOPE');
});

test('replay: a mechanism that breaks on the run\'s own history fails replay with the iteration', async () => {
  // Passes the synthetic contexts (their parameters are the run's), breaks on DEPTH's real history.
  const source = `export function afterResult(ctx, r) {
  if (r.changed.DEPTH && r.changed.DEPTH.to === 6 && ctx.iteration === 2) throw new Error('DEPTH 6 at 2');
  return {};
}`;
  const r = await validateMechanism(source, { trace: runTrace(), limits });
  assert.deepEqual(summary(r).slice(2), ['contract:ok 1 hook(s) on 3 synthetic contexts', 'replay:FAIL afterResult at iteration 2: throw: Error: DEPTH 6 at 2 (line 2)']);
});

test('without a trace, replay has nothing to do and says so', async () => {
  const r = await validateMechanism('export function afterResult() { return {}; }', { limits });
  assert.equal(r.checks[3].detail, 'the trace has no finished experiments yet: nothing to replay');
  assert.equal(r.ok, true);
});

test('proposedCandidateProblem and the synthetic contexts (pure)', () => {
  const steps = syntheticSteps([
    { name: 'A', value: 1, kind: 'int', frozen: false },
    { name: 'B', value: 0.5, kind: 'float', frozen: true },
  ]);
  assert.deepEqual(steps.map((s) => [s.ctx.goal, s.ctx.history.length, s.result?.status]), [['minimize', 0, 'discard'], ['minimize', 30, 'keep'], ['maximize', 30, 'crash']]);
  assert.ok(steps[1].ctx.history.some((h) => h.status === 'crash' && h.metric === null));
  const ctx = steps[0].ctx;
  assert.equal(proposedCandidateProblem(ctx, { description: 'd', hypothesis: 'h', params: { A: 2 } }), null);
  assert.equal(proposedCandidateProblem(ctx, { description: 'd', hypothesis: 'h', params: { A: 1 } }), 'changes nothing: every value equals the best');
  assert.equal(proposedCandidateProblem(ctx, { description: 'd', hypothesis: 'h', params: { B: 1 } }), 'changes frozen parameter(s) B');
  assert.equal(proposedCandidateProblem({ ...ctx, frozen: ['A'] }, { description: 'd', hypothesis: 'h', params: { A: 2 } }), 'changes frozen parameter(s) A');
});

test('the example module in the interface text the LLM sees passes validation, replay included', async () => {
  const example = MECHANISM_INTERFACE_TEXT.split('Example (a whole module):')[1];
  assert.ok(example.includes('export function reviewCandidate'));
  const r = await validateMechanism(example, { trace: runTrace(), limits });
  assert.deepEqual(summary(r), [
    'parses:ok an ES module with no imports',
    'exports-hooks:ok reviewCandidate, afterResult',
    'contract:ok 2 hook(s) on 3 synthetic contexts',
    'replay:ok 4 experiment(s) replayed',
    'replay-merit:ok 0 change(s) for the worse, 0 for the better on the trace',
  ]);
});
