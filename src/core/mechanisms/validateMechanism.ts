import type { ParamValue } from '../../shared/trace/candidate';
import type { MechanismCheck, RunEvent } from '../../shared/trace/events';
import { HOOKS, isHookName, type ContextParam, type ContextWithoutState, type HistoryEntry, type HookName, type MechanismCandidate, type MechanismResult, type ReviewedCandidate } from './mechanism';
import { parseMechanismModule } from './mechanismModule';
import { MechanismSandbox, type CallResult, type SandboxLimits } from './mechanismSandbox';
import { replayContexts, type ParamSpace, type ReplayStep } from './replayContexts';

export interface ValidationOptions {
  /** The run's own trace, replayed through the hooks. Without it the replay check has nothing to do. */
  trace?: readonly RunEvent[];
  /** Replay steps built already (instead of, or as well as, a trace). */
  steps?: ReplayStep[];
  space?: ParamSpace[];
  configFrozen?: string[];
  limits?: Partial<SandboxLimits>;
}

export interface ValidationReport {
  ok: boolean;
  checks: MechanismCheck[];
  /** The hooks the module exports. */
  hooks: HookName[];
  /** What the replay says it would have changed; absent when the replay did not run or failed. */
  merit?: ReplayMerit;
}

/**
 * What a mechanism's hooks would have done to the run so far, judged by the trace's own outcomes:
 * `lost` counts a veto of an experiment that was kept, a decide that keeps a discarded (worse) result
 * or discards a kept one, and a proposal of a configuration that the trace shows was discarded or
 * crashed; `saved` counts a veto of an experiment that was discarded or crashed. Re-runs and new
 * configurations are not judged (the trace cannot tell). Not worse than the current proposer: lost ≤ saved.
 */
export interface ReplayMerit {
  lost: number;
  saved: number;
  detail: string[];
}

/** The replay-merit check's verdict: the policy `auto` activates only a mechanism that is not worse. Pure. */
export const notWorse = (m: ReplayMerit | undefined): boolean => !m || m.lost <= m.saved;

/**
 * Checks a mechanism module before it may be activated: `parses` (an ES module with no imports of any
 * kind), `exports-hooks` (at least one known hook; near-misses of hook names are named as typos),
 * `contract` (every exported hook, called on synthetic contexts, returns a well-formed result in time),
 * `replay` (the hooks run over the run's own trace, state threaded, without a failure). Every check is
 * reported, the later ones as not run when an earlier one fails.
 */
export async function validateMechanism(source: string, opts: ValidationOptions = {}): Promise<ValidationReport> {
  const checks: MechanismCheck[] = [];
  let hooks: HookName[] = [];
  const notRun = (names: string[], why: string) => {
    for (const name of names) checks.push({ name, ok: false, detail: `not run: ${why}` });
    return { ok: false, checks, hooks };
  };

  const parsed = parseMechanismModule(source);
  if (!parsed.ok) {
    checks.push({ name: 'parses', ok: false, detail: `syntax error at line ${parsed.error.line}: ${parsed.error.message}` });
    return notRun(['exports-hooks', 'contract', 'replay'], 'the module does not parse');
  }
  if (parsed.imports.length) {
    const list = parsed.imports.map((i) => `${i.message} at line ${i.line}`).join('; ');
    checks.push({ name: 'parses', ok: false, detail: `mechanisms run without any imports (no packages, files or Node APIs), found: ${list}` });
    return notRun(['exports-hooks', 'contract', 'replay'], 'the module imports');
  }
  checks.push({ name: 'parses', ok: true, detail: 'an ES module with no imports' });

  const exportsCheck = checkExports(parsed.exports);
  if (!exportsCheck.ok) {
    checks.push(exportsCheck);
    return notRun(['contract', 'replay'], 'no usable hooks');
  }

  const steps = [...(opts.steps ?? []), ...(opts.trace ? replayContexts(opts.trace, { space: opts.space, configFrozen: opts.configFrozen }) : [])];
  const box = await MechanismSandbox.start({ name: 'validation', source, limits: opts.limits });
  hooks = box.hooks;
  try {
    if (box.failure) {
      checks.push({ ...exportsCheck, ok: false, detail: `the module failed to load: ${box.failure.detail}` });
      return notRun(['contract', 'replay'], 'the module does not load');
    }
    if (hooks.length === 0) {
      checks.push({ name: 'exports-hooks', ok: false, detail: `no hook found at run time (exports: ${parsed.exports.join(', ') || 'none'}); export one of ${HOOKS.join(', ')} as a function` });
      return notRun(['contract', 'replay'], 'no usable hooks');
    }
    checks.push({ ...exportsCheck, detail: `${hooks.join(', ')}${exportsCheck.detail ? `; ${exportsCheck.detail}` : ''}` });

    const base = steps.length ? steps[steps.length - 1].ctx.params : SYNTHETIC_PARAMS;
    const contract = await runSequence(box, syntheticSteps(base));
    checks.push(contract === null ? { name: 'contract', ok: true, detail: `${hooks.length} hook(s) on ${SYNTHETIC_CASES.length} synthetic contexts` } : { name: 'contract', ok: false, detail: contract });
  } finally {
    await box.close();
  }
  if (checks[checks.length - 1].ok === false) return notRun(['replay'], 'the contract check failed');

  if (steps.length === 0) {
    checks.push({ name: 'replay', ok: true, detail: 'the trace has no finished experiments yet: nothing to replay' });
  } else {
    const replayBox = await MechanismSandbox.start({ name: 'replay', source, limits: opts.limits });
    const merit: ReplayMerit = { lost: 0, saved: 0, detail: [] };
    try {
      const replay = await runSequence(replayBox, steps, merit);
      checks.push(replay === null ? { name: 'replay', ok: true, detail: `${steps.length} experiment(s) replayed` } : { name: 'replay', ok: false, detail: replay });
    } finally {
      await replayBox.close();
    }
    if (checks[checks.length - 1].ok) {
      // Reported beside the checks; it decides activation under policy auto, not validity.
      const ok = { ok: checks.every((c) => c.ok), checks, hooks, merit };
      const summary = `${merit.lost} change(s) for the worse, ${merit.saved} for the better on the trace${merit.detail.length ? `: ${merit.detail.slice(0, 4).join('; ')}` : ''}`;
      return { ...ok, checks: [...checks, { name: 'replay-merit', ok: notWorse(merit), detail: summary }] };
    }
  }
  return { ok: checks.every((c) => c.ok), checks, hooks };
}

/**
 * Why a mechanism's own candidate cannot be tried, or null: it must name known parameters that are not
 * frozen, and change at least one of them.
 */
export function proposedCandidateProblem(ctx: ContextWithoutState, candidate: MechanismCandidate): string | null {
  const byName = new Map(ctx.params.map((p) => [p.name, p]));
  const names = Object.keys(candidate.params);
  const unknown = names.filter((n) => !byName.has(n));
  if (unknown.length) return `names unknown parameter(s) ${unknown.join(', ')}`;
  const frozen = names.filter((n) => byName.get(n)!.frozen || ctx.frozen.includes(n));
  if (frozen.length) return `changes frozen parameter(s) ${frozen.join(', ')}`;
  if (names.every((n) => JSON.stringify(byName.get(n)!.value) === JSON.stringify(candidate.params[n]))) return 'changes nothing: every value equals the best';
  return null;
}

function checkExports(names: string[]): MechanismCheck {
  const hooks = names.filter(isHookName);
  const typos = names.filter((n) => !isHookName(n) && n !== 'default').flatMap((n) => {
    const near = HOOKS.find((h) => h.toLowerCase() === n.toLowerCase() || editDistance(h.toLowerCase(), n.toLowerCase()) <= 2);
    return near ? [`${n} (did you mean ${near}?)`] : [];
  });
  if (typos.length) return { name: 'exports-hooks', ok: false, detail: `exports that look like misspelt hooks: ${typos.join(', ')}` };
  if (hooks.length === 0 && !names.includes('default')) {
    return { name: 'exports-hooks', ok: false, detail: `exports no hook (exports: ${names.join(', ') || 'none'}); export one of ${HOOKS.join(', ')} as a function` };
  }
  const others = names.filter((n) => !isHookName(n) && n !== 'default');
  return { name: 'exports-hooks', ok: true, detail: others.length ? `other exports ignored: ${others.join(', ')}` : '' };
}

/**
 * Calls every exported hook through the steps in loop order, threading state; the first problem, or
 * null. With `merit`, counts what the hooks would have changed (see ReplayMerit).
 */
async function runSequence(box: MechanismSandbox, steps: ReplayStep[], merit?: ReplayMerit): Promise<string | null> {
  const outcomes = new Map<string, MechanismResult['status']>();
  for (const s of steps) if (s.result && s.candidate) outcomes.set(configKey(s.ctx, s.candidate.changed), s.result.status);
  const judge = (better: boolean, why: string) => {
    if (!merit) return;
    if (better) merit.saved++;
    else merit.lost++;
    merit.detail.push(why);
  };
  const has = (h: HookName) => box.hooks.includes(h);
  const failed = (n: number, hook: string, r: CallResult) => (r.ok ? null : `${hook} at iteration ${n}: ${r.failure}: ${r.detail}`);
  for (const s of steps) {
    if (has('beforePropose')) {
      const r = await box.call('beforePropose', s.ctx);
      if (!r.ok) return failed(s.n, 'beforePropose', r);
    }
    if (has('propose')) {
      const r = await box.call('propose', s.ctx);
      if (!r.ok) return failed(s.n, 'propose', r);
      const c = r.output.candidate;
      const problem = c ? proposedCandidateProblem(s.ctx, c) : null;
      if (problem) return `propose at iteration ${s.n}: its candidate ${problem}`;
      const known = c ? outcomes.get(configKey(s.ctx, changesOf(s.ctx, c.params))) : undefined;
      if (known === 'discard' || known === 'crash') judge(false, `#${s.n}: proposed a configuration the trace shows ${known === 'crash' ? 'crashed' : 'was discarded'}`);
    }
    if (has('reviewCandidate') && s.candidate) {
      const r = await box.call('reviewCandidate', s.ctx, s.candidate);
      if (!r.ok) return failed(s.n, 'reviewCandidate', r);
      if (r.output.verdict === 'reject' && s.result) judge(s.result.status !== 'keep', `#${s.n}: vetoed ${s.result.status === 'keep' ? 'a kept experiment' : `an experiment that ${s.result.status === 'crash' ? 'crashed' : 'was discarded'}`}`);
    }
    if (s.result) {
      if (has('decide')) {
        const r = await box.call('decide', s.ctx, s.result);
        if (!r.ok) return failed(s.n, 'decide', r);
        const to = r.output.status;
        if ((to === 'keep' && s.result.status !== 'keep') || (to === 'discard' && s.result.status === 'keep')) judge(false, `#${s.n}: decide would ${to === 'keep' ? 'keep a worse result' : 'discard an improvement'}`);
      }
      if (has('afterResult')) {
        const r = await box.call('afterResult', s.ctx, s.result);
        if (!r.ok) return failed(s.n, 'afterResult', r);
      }
    }
  }
  return null;
}

/** A configuration: the incumbent's values with the changes applied, as one comparable string. */
function configKey(ctx: ContextWithoutState, changed: Record<string, { to: ParamValue }>): string {
  const values: Record<string, ParamValue> = Object.fromEntries(ctx.params.map((p) => [p.name, p.value]));
  for (const [name, c] of Object.entries(changed)) values[name] = c.to;
  return JSON.stringify(Object.keys(values).sort().map((k) => [k, values[k]]));
}

const changesOf = (ctx: ContextWithoutState, params: Record<string, ParamValue>) => Object.fromEntries(Object.entries(params).map(([name, to]) => [name, { to }]));

const SYNTHETIC_PARAMS: ContextParam[] = [
  { name: 'LEARNING_RATE', value: 0.001, kind: 'float', frozen: false },
  { name: 'BATCH_SIZE', value: 32, kind: 'int', frozen: false },
  { name: 'DEPTH', value: 4, kind: 'int', frozen: false },
  { name: 'ACTIVATION', value: 'gelu', kind: 'string', frozen: false, choices: ['gelu', 'relu', 'silu'] },
  { name: 'USE_BIAS', value: true, kind: 'bool', frozen: false },
  { name: 'WARMUP_STEPS', value: 100, kind: 'int', frozen: true },
];

const SYNTHETIC_CASES: { goal: 'minimize' | 'maximize'; history: number; status: MechanismResult['status'] }[] = [
  { goal: 'minimize', history: 0, status: 'discard' },
  { goal: 'minimize', history: 30, status: 'keep' },
  { goal: 'maximize', history: 30, status: 'crash' },
];

/** Contexts of a plausible run over the given parameters: empty history, and 30 mixed experiments per goal. */
export function syntheticSteps(params: ContextParam[]): ReplayStep[] {
  const numeric = params.filter((p) => typeof p.value === 'number' && !p.frozen);
  return SYNTHETIC_CASES.map((c, i) => {
    const sign = c.goal === 'minimize' ? 1 : -1;
    const history: HistoryEntry[] = [];
    let best = 1;
    for (let n = 1; n <= c.history; n++) {
      const p = numeric[n % Math.max(1, numeric.length)];
      const status: HistoryEntry['status'] = n % 7 === 0 ? 'crash' : n % 5 === 0 ? 'keep' : n % 11 === 0 ? 'rejected' : n % 13 === 0 ? 'cached' : 'discard';
      const metric = status === 'crash' || status === 'rejected' ? null : best + sign * (status === 'keep' ? -0.01 : 0.005 * (n % 3));
      const delta = metric === null ? null : metric - best;
      const changed: HistoryEntry['changed'] = p ? { [p.name]: { from: p.value, to: scaled(p.value, n % 2 ? 2 : 0.5, p.kind) } } : {};
      history.push({ n, status, metric, delta, changed, description: p ? `${p.name} ${n % 2 ? 'up' : 'down'}` : 'edit' });
      if (status === 'keep' && metric !== null) best = metric;
    }
    const iteration = c.history + 1;
    const ctx: ContextWithoutState = {
      iteration,
      metric: 'val_metric',
      goal: c.goal,
      best: { n: history.filter((h) => h.status === 'keep').pop()?.n ?? 0, metric: best },
      incumbent: { n: history.filter((h) => h.status === 'keep').pop()?.n ?? 0, metric: best },
      params,
      frozen: params.filter((p) => p.frozen).map((p) => p.name),
      focus: i === 2 && numeric[0] ? [numeric[0].name] : [],
      history,
      // One case with a known noise floor, so noise-aware code paths are exercised too.
      noise: i === 1 ? { floor: 0.01, samples: 4 } : { floor: null, samples: 0 },
    };
    const p = numeric[0];
    const changed = p ? { [p.name]: { from: p.value, to: scaled(p.value, 2, p.kind) } } : {};
    const candidate: ReviewedCandidate = { description: p ? `${p.name} x2` : 'no-op', hypothesis: 'synthetic', params: Object.fromEntries(Object.entries(changed).map(([k, v]) => [k, v.to])), changed };
    const metric = c.status === 'crash' ? null : best + sign * (c.status === 'keep' ? -0.01 : 0.004);
    const result: MechanismResult = { n: iteration, status: c.status, metric, delta: metric === null ? null : metric - best, changed, description: candidate.description };
    return { n: iteration, ctx, candidate, result };
  });
}

function scaled(v: ParamValue, factor: number, kind: string): ParamValue {
  if (typeof v !== 'number') return v;
  return kind === 'int' ? Math.max(1, Math.round(v * factor)) : v * factor;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length][b.length];
}
