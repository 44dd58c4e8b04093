import type { ParamValue } from '../../shared/trace/candidate';
import type { RunEvent } from '../../shared/trace/events';
import { applyEvent, type Experiment, type RunState } from '../../shared/trace/runState';
import { noiseFloor } from '../../shared/stats/noiseFloor';
import type { ParamView } from '../research/proposalContext';
import type { ParamKind } from '../target/pythonParams';
import {
  HISTORY_LIMIT,
  type ContextParam,
  type ContextWithoutState,
  type HistoryEntry,
  type MechanismResult,
  type ReviewedCandidate,
} from './mechanism';

/** What the target config knows about a parameter beyond its value. */
export type ParamSpace = Pick<ParamView, 'name' | 'kind' | 'choices'>;

export interface ContextOptions {
  /** The inner iteration the hooks are called about. */
  iteration: number;
  /** Kinds and choices; without it kinds are inferred from the values. */
  space?: ParamSpace[];
  /** The incumbent's parameter values; without them they are derived from the trace. */
  incumbentParams?: Record<string, ParamValue>;
  /** The strategy in force. */
  frozen?: string[];
  focus?: string[];
}

type Changes = Record<string, { from: ParamValue; to: ParamValue }>;

/** The JSON snapshot every hook receives (its state added by the sandbox), built from the run's state. */
export function mechanismContext(run: RunState, opts: ContextOptions): ContextWithoutState {
  const frozen = opts.frozen ?? [];
  const values = opts.incumbentParams ?? incumbentParamsOf(run);
  const space = new Map((opts.space ?? []).map((p) => [p.name, p]));
  const params: ContextParam[] = Object.entries(values).map(([name, value]) => {
    const s = space.get(name);
    const p: ContextParam = { name, value, kind: s?.kind ?? inferKind(value), frozen: frozen.includes(name) };
    if (s?.choices) p.choices = s.choices;
    return p;
  });
  return {
    iteration: opts.iteration,
    metric: run.metricName,
    goal: run.goal,
    best: run.best ? { n: run.best.n, metric: run.best.metric } : null,
    incumbent: run.incumbent ? { n: run.incumbent.n, metric: run.incumbent.metric } : null,
    params,
    frozen: [...frozen],
    focus: [...(opts.focus ?? [])],
    history: historyOf(run),
    noise: noiseFloor(run),
  };
}

/** The run's finished experiments as hooks see them, oldest first, the last HISTORY_LIMIT. */
export function historyOf(run: RunState): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  let incumbent: Record<string, ParamValue> | null = null;
  for (const x of run.experiments) {
    if (x.params && x.changed) incumbent ??= baseParams(x);
    const status = x.result === 'keep' || x.result === 'discard' || x.result === 'crash' || x.result === 'rejected' || x.result === 'cached' ? x.result : null;
    if (status && !x.baseline) {
      out.push({ n: x.n, status, metric: x.metric, delta: x.delta, changed: x.changed ?? changesAgainst(incumbent, x), description: x.description ?? x.candidate?.description ?? '' });
    }
    if (x.status === 'keep' && x.params) incumbent = x.params;
  }
  return out.slice(-HISTORY_LIMIT);
}

/** The incumbent's full parameter values (the latest kept experiment's), as far as the trace tells them. */
export function incumbentParamsOf(run: RunState): Record<string, ParamValue> {
  let incumbent: Record<string, ParamValue> = {};
  let known = false;
  for (const x of run.experiments) {
    // The baseline records no parameters; the first applied candidate tells them (its `from` values).
    if (!known && x.params && x.changed) {
      incumbent = baseParams(x);
      known = true;
    }
    if (x.status === 'keep' && x.params) incumbent = x.params;
  }
  return incumbent;
}

/** One finished experiment of a recorded run, with what the hooks would have seen around it. */
export interface ReplayStep {
  n: number;
  /** The context before the experiment (history up to it, the incumbent it started from). */
  ctx: ContextWithoutState;
  /** What was proposed, when something was (absent when the proposal itself failed). */
  candidate?: ReviewedCandidate;
  /** The result, for experiments that trained (keep, discard or crash). */
  result?: MechanismResult;
}

/** Rebuilds, for each finished experiment of a trace, the contexts and arguments the hooks get. Pure. */
export function replayContexts(events: readonly RunEvent[], opts: { space?: ParamSpace[]; configFrozen?: string[] } = {}): ReplayStep[] {
  const steps: ReplayStep[] = [];
  const before = new Map<number, ContextWithoutState>();
  let state: RunState | null = null;
  // Before the first candidate is applied the trace has not told the parameters yet; that candidate's
  // `from` values are the baseline's.
  const first = events.find((e) => e.type === 'candidate.applied');
  const baseline = first?.type === 'candidate.applied' ? { ...first.params, ...Object.fromEntries(Object.entries(first.changed).map(([k, c]) => [k, c.from])) } : {};
  for (const e of events) {
    state = applyEvent(state, e);
    if (e.type === 'iteration.started' && !e.baseline) {
      const known = incumbentParamsOf(state);
      const incumbentParams = Object.keys(known).length ? known : baseline;
      // The strategy in force: the latest review so far, the config's frozen on top.
      const frozen = [...new Set([...(opts.configFrozen ?? []), ...state.strategy.frozen])];
      before.set(e.n, mechanismContext(state, { iteration: e.n, space: opts.space, incumbentParams, frozen, focus: state.strategy.focus }));
    }
    if (e.type === 'iteration.finished' && before.has(e.n)) {
      const x = state.experiments.find((y) => y.n === e.n)!;
      const ctx = before.get(e.n)!;
      before.delete(e.n);
      const step: ReplayStep = { n: e.n, ctx };
      const changed = x.changed ?? changesAgainst(Object.fromEntries(ctx.params.map((p) => [p.name, p.value])), x);
      if (x.candidate) step.candidate = { ...x.candidate, changed };
      if (x.status) step.result = { n: x.n, status: x.status, metric: x.metric, delta: x.delta, changed, description: x.description ?? '' };
      steps.push(step);
    }
  }
  return steps;
}

function baseParams(x: Experiment): Record<string, ParamValue> {
  const base = { ...x.params! };
  for (const [name, c] of Object.entries(x.changed!)) base[name] = c.from;
  return base;
}

/** What a candidate changes against the given parameters (for experiments rejected before applying). */
function changesAgainst(base: Record<string, ParamValue> | null, x: Experiment): Changes {
  const proposed = x.candidate?.params ?? x.rejections.find((r) => r.candidate?.params)?.candidate?.params ?? {};
  const out: Changes = {};
  for (const [name, to] of Object.entries(proposed)) {
    const from = base?.[name] ?? null;
    if (JSON.stringify(from) !== JSON.stringify(to)) out[name] = { from, to };
  }
  return out;
}

function inferKind(v: ParamValue): ParamKind {
  if (v === null) return 'none';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return 'list';
  return Number.isInteger(v) ? 'int' : 'float';
}
