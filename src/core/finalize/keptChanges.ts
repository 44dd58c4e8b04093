import type { ParamValue } from '../../shared/trace/candidate';
import { currentBaseline, type Experiment, type RunState } from '../../shared/trace/runState';
import { sameValue } from '../target/pythonParams';

/** One kept experiment that the best result is built from. */
export interface KeptChange {
  n: number;
  commit: string;
  description: string;
  metric: number;
  /** Against the incumbent it was judged against. */
  delta: number | null;
  /** Against the baseline's metric; null without a baseline result. */
  fromBaseline: number | null;
}

/** A parameter whose value in the best configuration differs from the baseline's. */
export interface ParamChange {
  name: string;
  baseline: ParamValue;
  best: ParamValue;
}

/** The result `bilevel finalize` takes home: the best ever measured, what it is made of, what it changed. */
export interface BestResult {
  best: Experiment;
  baseline: Experiment | null;
  kept: KeptChange[];
  params: ParamChange[];
}

/** The baseline's result (the first kept baseline run since the latest adoption), or null before it came in. */
export const baselineOf = (state: RunState): Experiment | null => currentBaseline(state);

/**
 * The best result and the kept experiments it is built from, or null when no experiment beyond the
 * baseline was kept as best. `inHistory` says whether a commit is an ancestor of (or is) the best
 * commit: a worse result a mechanism kept after the best is not part of it. Pure.
 */
export function bestResult(state: RunState, inHistory: (commit: string) => boolean): BestResult | null {
  const best = state.best && state.experiments.find((x) => x.n === state.best!.n);
  if (!best || best.baseline) return null;
  const baseline = baselineOf(state);
  const kept = state.experiments
    .filter((x) => !x.baseline && x.status === 'keep' && x.metric !== null && x.commit && inHistory(x.commit))
    .map((x) => ({
      n: x.n,
      commit: x.commit!,
      description: x.description ?? '',
      metric: x.metric!,
      delta: x.delta,
      fromBaseline: baseline?.metric != null ? x.metric! - baseline.metric : null,
    }));
  return { best, baseline, kept, params: bestParamChanges(state) };
}

/**
 * The parameters the best configuration changed against the baseline's, read from the fold: the
 * best experiment's full configuration against each parameter's value before the first experiment
 * that touched it (every experiment starts from the baseline plus kept changes, so the first to
 * change a parameter saw the baseline's value). Empty when the best is the baseline. Pure.
 */
export function bestParamChanges(state: RunState): ParamChange[] {
  const best = state.best && state.experiments.find((x) => x.n === state.best!.n);
  if (!best || best.baseline || !best.params) return [];
  const before = new Map<string, ParamValue>();
  for (const x of state.experiments) {
    for (const [name, change] of Object.entries(x.changed ?? {})) if (!before.has(name)) before.set(name, change.from);
  }
  return Object.entries(best.params)
    .filter(([name, value]) => before.has(name) && !sameValue(before.get(name)!, value))
    .map(([name, value]) => ({ name, baseline: before.get(name)!, best: value }));
}
