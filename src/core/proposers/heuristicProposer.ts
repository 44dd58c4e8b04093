import type { Candidate, ParamValue } from '../../shared/trace/candidate';
import { jointMoves } from './jointMoves';
import { axisStats } from './moveHistory';
import { neighbours, type Move } from './paramMoves';
import { ProposalError, type ProposalContext, type Proposer } from './proposer';
import { TraceMemory, type Trial } from './traceMemory';

export { neighbours, type Move } from './paramMoves';

/** Step sizes tried, smallest first: ×2, ×4, ×8. Larger steps only once smaller ones are used up. */
const SCALES = [1, 2, 3];

const same = (a: ParamValue | undefined, b: ParamValue | undefined) => a === b || JSON.stringify(a) === JSON.stringify(b);

/**
 * The configurations one move away from `current` that were already evaluated, by the values they
 * differ in. One pass of cheap comparisons per configuration: serialising every configuration whole
 * cost ~45 ms a proposal at 10,000 experiments (bench/scale.ts).
 */
function evaluatedChanges(current: Record<string, ParamValue>, evaluated: readonly Record<string, ParamValue>[], maxChanged: number): Set<string> {
  const names = Object.keys(current);
  const out = new Set<string>();
  for (const config of evaluated) {
    const differs: string[] = [];
    for (const name of names) {
      if (same(config[name], current[name])) continue;
      differs.push(name);
      if (differs.length > maxChanged) break;
    }
    if (differs.length && differs.length <= maxChanged) out.add(changeKey(Object.fromEntries(differs.map((d) => [d, config[d]]))));
  }
  return out;
}

/** A move's identity: what it sets, in name order. */
export const changeKey = (params: Record<string, ParamValue>) =>
  Object.keys(params)
    .sort()
    .map((k) => `${k}=${JSON.stringify(params[k])}`)
    .join(';');

/** A small seeded PRNG (mulberry32) so that runs are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How much each rule weighs in rankMoves; the order of the tiers is what the unit tests pin down. */
export const SCORE = {
  /** Repeat the move that just paid off (pattern search). */
  momentum: 10,
  /** Explore what the strategy review or a mechanism points at. */
  focus: 3,
  /** Per earlier try of the same axis: coverage of untried parameters first. */
  perTry: 2,
  /** A direction (or, for unordered moves, an axis) never tried. */
  untried: 1.5,
  /** A direction that failed since the axis last paid off. */
  failedDirection: 3,
  /** Both directions failed: the axis is exhausted from here, no oscillation. */
  exhausted: 6,
  /** A joint move comes after the untried single moves... */
  joint: 1,
  /** ...unless its lead parameter's single move in the same direction just failed. */
  jointAfterFailure: 1.5,
  /** Per step beyond the smallest: larger steps only once the smaller ones are used up. */
  perScale: 100,
} as const;

/**
 * Scores every untried move (pure), best first. Coverage first: a parameter never tried outranks
 * the opposite direction of one that failed, which outranks anything on an axis whose two
 * directions both failed. A move that just paid off is repeated; focus (strategy review,
 * mechanisms) lifts a parameter within its tier; joint moves follow their lead parameter's failure.
 * `exclude` holds moves to skip (change keys, e.g. vetoed in this iteration).
 */
export function rankMoves(ctx: ProposalContext, random: () => number, history = ctx.history, exclude: ReadonlySet<string> = new Set()): Move[] {
  const current: Record<string, ParamValue> = Object.fromEntries(ctx.params.map((p) => [p.name, p.value]));
  const stats = axisStats(history);
  const focus = new Set(ctx.focus);
  const free = ctx.params.filter((p) => !p.frozen);
  const candidates = SCALES.flatMap((scale) => [...free.flatMap((p) => neighbours(p, scale)), ...jointMoves(free, scale)]);
  const evaluated = evaluatedChanges(current, ctx.evaluated, Math.max(1, ...candidates.map((m) => Object.keys(m.params).length)));
  const seen = new Set<string>();
  const scored: { move: Move; score: number }[] = [];
  for (const move of candidates) {
    const key = changeKey(move.params);
    if (seen.has(key) || evaluated.has(key) || exclude.has(key)) continue;
    seen.add(key);
    const tried = stats.tried.get(move.axis) ?? 0;
    const failed = stats.failed.get(move.axis);
    const untried = move.direction === 0 ? tried === 0 : !stats.directions.get(move.axis)?.has(move.direction);
    let score = -SCORE.perTry * tried - SCORE.perScale * (move.scale - 1) + random() * 0.5;
    if (untried) score += SCORE.untried;
    if (failed?.has(1) && failed.has(-1)) score -= SCORE.exhausted;
    else if (move.direction !== 0 && failed?.has(move.direction)) score -= SCORE.failedDirection;
    if (stats.momentum && stats.momentum.axis === move.axis && stats.momentum.direction === move.direction && move.direction !== 0) score += SCORE.momentum;
    if (Object.keys(move.params).some((n) => focus.has(n))) score += SCORE.focus;
    if (Object.keys(move.params).length > 1) {
      score -= SCORE.joint;
      if (stats.failed.get(move.name)?.has(move.direction)) score += SCORE.jointAfterFailure;
    }
    scored.push({ move, score });
  }
  return scored.sort((a, b) => b.score - a.score).map((s) => s.move);
}

function describe(move: Move): string {
  const show = (v: ParamValue) => JSON.stringify(v);
  const verb = typeof move.to === 'boolean' ? 'set' : move.direction > 0 ? 'increase' : move.direction < 0 ? 'decrease' : 'set';
  const others = Object.entries(move.params).filter(([k]) => k !== move.name);
  const rest = others.length ? ` with ${others.map(([k, v]) => `${k} -> ${show(v)}`).join(', ')}` : '';
  return `${verb} ${move.name} ${show(move.from)} -> ${show(move.to)}${rest}`;
}

/** A move as a candidate the loop can apply. */
export function moveCandidate(move: Move, metricName: string): Candidate {
  const joint = Object.keys(move.params).length > 1;
  return {
    description: describe(move),
    hypothesis: joint
      ? `${move.name} ${move.direction > 0 ? 'higher' : 'lower'} together with the parameters that depend on it may improve ${metricName}`
      : move.direction === 0
        ? `${move.name} has not been varied from here; a different setting may fit the fixed budget better`
        : `${move.name} ${move.direction > 0 ? 'higher' : 'lower'} may improve ${metricName} under the fixed budget`,
    params: move.params,
  };
}

/**
 * Remembers what it proposed at each iteration: the loop asks again at the same iteration only
 * after a rejection (a mechanism's veto, validation), and then gets the next-ranked move, never the
 * same one; the move stays skipped while the incumbent stays the same.
 */
class RejectionMemory {
  private last: { n: number; base: string; key: string } | null = null;
  private readonly rejected = new Map<string, Set<string>>();

  /** The moves to skip for this context (pure with respect to ctx; updates what it remembers). */
  exclude(ctx: ProposalContext): Set<string> {
    const base = JSON.stringify(ctx.params.map((p) => p.value));
    if (this.last && this.last.n === ctx.n && this.last.base === base) {
      const set = this.rejected.get(base) ?? new Set<string>();
      set.add(this.last.key);
      this.rejected.set(base, set);
    }
    return this.rejected.get(base) ?? new Set();
  }

  proposed(ctx: ProposalContext, params: Record<string, ParamValue>): void {
    this.last = { n: ctx.n, base: JSON.stringify(ctx.params.map((p) => p.value)), key: changeKey(params) };
  }
}

/** The offline proposer: the best-ranked move (see rankMoves), never a configuration already evaluated. */
export class HeuristicProposer implements Proposer {
  readonly name = 'heuristic';
  readonly instant = true;
  private readonly random: () => number;
  private readonly memory = new TraceMemory();
  private readonly rejections = new RejectionMemory();

  constructor(seed = 1) {
    this.random = seededRandom(seed);
  }

  async propose(ctx: ProposalContext): Promise<Candidate> {
    return this.take(ctx, this.ranked(ctx).moves[0]);
  }

  /** Reads the trace, then ranks the best's neighbours; `exclude` holds the change keys not to propose from this base. */
  ranked(ctx: ProposalContext): { moves: Move[]; exclude: Set<string> } {
    this.memory.observe(ctx);
    const exclude = this.rejections.exclude(ctx);
    return { moves: rankMoves(ctx, this.random, this.memory.history(), exclude), exclude };
  }

  /** The experiments observed so far (what a model fits to). */
  trials(): Trial[] {
    return this.memory.trials();
  }

  /** Remembers `params` as proposed from this base, so that if the gates reject it, it is not proposed again. */
  proposed(ctx: ProposalContext, params: Record<string, ParamValue>): void {
    this.rejections.proposed(ctx, params);
  }

  /** Proposes `move`, or fails when no neighbour is left. */
  take(ctx: ProposalContext, move: Move | undefined): Candidate {
    if (!move) throw new ProposalError('every single-parameter neighbour of the current best has been evaluated or is frozen');
    this.proposed(ctx, move.params);
    return moveCandidate(move, ctx.metricName);
  }
}
