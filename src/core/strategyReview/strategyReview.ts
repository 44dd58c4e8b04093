import type { ParamValue } from '../../shared/trace/candidate';
import type { Experiment, RunState, Strategy } from '../../shared/trace/runState';
import { noiseFloor } from '../../shared/stats/noiseFloor';
import type { Direction, ParameterSummary, TraceSummary } from '../research/traceSummary';

export type { Direction, ParameterSummary, TraceSummary } from '../research/traceSummary';

/**
 * Level 1.5, strategy review: what the trace says about the search so far (a pure summary), and the
 * offline rule-based reviewer. The LLM reviewer (llmStrategyReviewer) reads the same summary.
 */

export interface StrategyDecision {
  frozen: string[];
  unfrozen: string[];
  focus: string[];
  guidance: string;
}

export interface StrategyReviewer {
  readonly name: string;
  /** Answers at once (no LLM): the loop runs it at a boundary instead of while an experiment trains. */
  readonly instant?: boolean;
  review(summary: TraceSummary, current: Strategy, signal?: AbortSignal): Promise<StrategyDecision>;
}

const trained = (x: Experiment) => !x.baseline && (x.status === 'keep' || x.status === 'discard' || x.status === 'crash');

export function directionOf(from: ParamValue, to: ParamValue): Direction {
  return typeof from === 'number' && typeof to === 'number' ? (to > from ? 'up' : to < from ? 'down' : 'other') : 'other';
}

/** A better Δ under the goal (null loses). */
function betterDelta(a: number | null, b: number | null, goal: 'minimize' | 'maximize'): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return goal === 'minimize' ? Math.min(a, b) : Math.max(a, b);
}

/**
 * The trained experiments the freeze rule looks back over. "Since the best last moved" alone resets on
 * every keep, so a search circling over a few parameters between small keeps never froze anything
 * (0 freezes in 675 reviews): attempts inside this window count whatever was kept elsewhere.
 */
export const FREEZE_WINDOW = 10;

/** Per parameter and overall, what the run has tried and what came of it. Pure. */
export function summarizeTrace(state: RunState, params: { name: string; value: ParamValue; frozen?: boolean }[]): TraceSummary {
  const xs = state.experiments.filter(trained);
  const lastKeep = [...state.experiments].reverse().find((x) => x.status === 'keep');
  const bestMovedAt = lastKeep?.n ?? 0;
  const recent = new Set(xs.slice(-FREEZE_WINDOW).map((x) => x.n));
  const parameters: ParameterSummary[] = params.map((p) => {
    const touching = xs.filter((x) => x.changed && p.name in x.changed);
    const inWindow = touching.filter((x) => recent.has(x.n));
    const directions: Record<Direction, number> = { up: 0, down: 0, other: 0 };
    const keptDirections = new Set<Direction>();
    let bestDelta: number | null = null;
    for (const x of touching) {
      const d = directionOf(x.changed![p.name].from, x.changed![p.name].to);
      directions[d]++;
      if (x.status === 'keep') keptDirections.add(d);
      bestDelta = betterDelta(bestDelta, x.delta, state.goal);
    }
    return {
      name: p.name,
      tried: touching.length,
      kept: touching.filter((x) => x.status === 'keep').length,
      crashed: touching.filter((x) => x.status === 'crash').length,
      triedSinceBestMoved: touching.filter((x) => x.n > bestMovedAt).length,
      triedInWindow: inWindow.length,
      keptInWindow: inWindow.filter((x) => x.status === 'keep').length,
      bestDelta,
      directions,
      failedDirections: (['up', 'down', 'other'] as Direction[]).filter((d) => directions[d] > 0 && !keptDirections.has(d)),
      lastTried: touching.length ? touching[touching.length - 1].n : null,
      value: p.value,
    };
  });
  let discardsInARow = 0;
  for (const x of [...xs].reverse()) {
    if (x.status === 'keep') break;
    discardsInARow++;
  }
  const counts = new Map<string, number>();
  for (const x of state.experiments) {
    if (x.baseline || !x.description) continue;
    const key = x.description.trim().toLowerCase();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const edits = xs.filter((x) => x.candidate?.edits?.length);
  const baseline = state.experiments.find((x) => x.baseline && x.status === 'keep');
  const noise = noiseFloor(state);
  return {
    metric: state.metricName,
    goal: state.goal,
    iterationsDone: state.iterationsDone,
    best: state.best ? { n: state.best.n, metric: state.best.metric } : null,
    baseline: baseline?.metric ?? null,
    discardsInARow,
    bestMovedAt,
    parameters,
    neverTried: parameters.filter((p) => p.tried === 0 && !params.find((q) => q.name === p.name)?.frozen).map((p) => p.name),
    repeated: [...counts].filter(([, n]) => n > 1).map(([description, times]) => ({ description, times })),
    rejected: state.experiments.filter((x) => x.result === 'rejected').length,
    cached: state.experiments.filter((x) => x.result === 'cached').length,
    codeEdits: { tried: edits.length, kept: edits.filter((x) => x.status === 'keep').length },
    noise,
    smallKeeps: noise.floor === null ? 0 : xs.filter((x) => x.status === 'keep' && x.delta !== null && Math.abs(x.delta) <= noise.floor!).length,
  };
}

export interface RuleOptions {
  /** Freeze a parameter tried this many times since the best last moved without a keep. */
  freezeAfter: number;
  /** At most this many parameters in focus. */
  maxFocus: number;
}

export const DEFAULT_RULES: RuleOptions = { freezeAfter: 3, maxFocus: 3 };

/**
 * Whether the freeze rule holds for a parameter (pure): tried `freezeAfter` times since the best
 * last moved, or `freezeAfter` times inside the window without one keep there (circling) and again
 * since the best last moved (a keep elsewhere thaws it until it fails once more).
 */
export function shouldFreeze(p: Pick<ParameterSummary, 'triedSinceBestMoved' | 'triedInWindow' | 'keptInWindow'>, freezeAfter: number): boolean {
  return p.triedSinceBestMoved >= freezeAfter || (p.triedInWindow >= freezeAfter && p.keptInWindow === 0 && p.triedSinceBestMoved >= 1);
}

/**
 * The offline reviewer. Freeze what the freeze rule holds for (shouldFreeze); a frozen parameter
 * thaws when the rule no longer holds (the best moved, or its attempts left the window); focus on
 * what was never tried, then on directions never tried. Pure.
 */
export function ruleBasedReview(summary: TraceSummary, current: Strategy, opts: RuleOptions = DEFAULT_RULES): StrategyDecision {
  const frozen = summary.parameters.filter((p) => shouldFreeze(p, opts.freezeAfter)).map((p) => p.name);
  const unfrozen = current.frozen.filter((name) => !frozen.includes(name));
  const oneSided = summary.parameters.filter(
    (p) => !frozen.includes(p.name) && p.failedDirections.length === 1 && p.failedDirections[0] !== 'other' && p.directions[p.failedDirections[0] === 'up' ? 'down' : 'up'] === 0,
  );
  const focus = [...summary.neverTried.filter((n) => !frozen.includes(n)), ...oneSided.map((p) => p.name)].slice(0, opts.maxFocus);
  const lines: string[] = [];
  if (summary.discardsInARow >= 3) lines.push(`${summary.discardsInARow} experiments in a row were not kept: change approach rather than step size.`);
  const newlyFrozen = frozen.filter((n) => !current.frozen.includes(n));
  if (newlyFrozen.length) lines.push(`Frozen (tried ${opts.freezeAfter}+ times since the best last moved, or in the last ${FREEZE_WINDOW} experiments, no gain): ${newlyFrozen.join(', ')}.`);
  if (unfrozen.length) lines.push(`Unfrozen (the best moved, or their failures left the last ${FREEZE_WINDOW} experiments): ${unfrozen.join(', ')}.`);
  const never = summary.neverTried.filter((n) => !frozen.includes(n));
  if (never.length) lines.push(`Never tried: ${never.join(', ')}.`);
  for (const p of oneSided) {
    const failed = p.failedDirections[0];
    lines.push(`${p.name} was only moved ${failed} (${p.directions[failed]}×, never kept): try moving it ${failed === 'up' ? 'down' : 'up'}.`);
  }
  for (const r of summary.repeated.filter((r) => r.times >= 3).slice(0, 3)) lines.push(`"${r.description}" was proposed ${r.times} times: do not repeat it.`);
  return { frozen, unfrozen, focus, guidance: lines.join(' ') };
}

export class RuleBasedReviewer implements StrategyReviewer {
  readonly name = 'rules';
  readonly instant = true;
  constructor(private readonly opts: RuleOptions = DEFAULT_RULES) {}
  async review(summary: TraceSummary, current: Strategy): Promise<StrategyDecision> {
    return ruleBasedReview(summary, current, this.opts);
  }
}

/**
 * A reviewer's answer made safe: only known parameters, never ones the config froze, lists
 * deduplicated, and `unfrozen` recomputed from the lists themselves. Pure.
 */
export function sanitizeDecision(d: StrategyDecision, known: string[], configFrozen: string[], current: Strategy): StrategyDecision & { ignored: string[] } {
  const ok = (n: string) => known.includes(n) && !configFrozen.includes(n);
  const ignored = [...new Set([...d.frozen, ...d.focus].filter((n) => !ok(n)))];
  const frozen = [...new Set(d.frozen.filter(ok))];
  const focus = [...new Set(d.focus.filter((n) => ok(n) && !frozen.includes(n)))];
  return { frozen, focus, unfrozen: current.frozen.filter((n) => !frozen.includes(n)), guidance: d.guidance.trim(), ignored };
}
