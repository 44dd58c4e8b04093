import type { Candidate, ParamValue } from '../../shared/trace/candidate';
import { ProposalError, type HistoryEntry, type ParamView, type ProposalContext, type Proposer } from './proposer';

/** One single-parameter move the heuristic can make. */
export interface Move {
  name: string;
  from: ParamValue;
  to: ParamValue;
  /** +1 up, -1 down, 0 for unordered changes (flip a boolean, switch a string). */
  direction: 1 | -1 | 0;
  /** Step size: 1 halves/doubles, 2 quarters/quadruples, … */
  scale: number;
}

const isPowerOfTwo = (v: number) => Number.isInteger(v) && v > 0 && (v & (v - 1)) === 0;

/**
 * Neighbouring values of one parameter, by kind: halve/double numbers (×2^scale at larger scales),
 * flip booleans, step through choices (`scale` positions away).
 */
export function neighbours(p: ParamView, scale = 1): Move[] {
  const v = p.value;
  const move = (to: ParamValue, direction: Move['direction']): Move => ({ name: p.name, from: v, to, direction, scale });
  if (p.choices?.length) {
    const i = p.choices.findIndex((c) => JSON.stringify(c) === JSON.stringify(v));
    if (i === -1) return scale === 1 ? p.choices.map((c) => move(c, 0)) : [];
    const out: Move[] = [];
    if (i - scale >= 0) out.push(move(p.choices[i - scale], typeof v === 'number' ? -1 : 0));
    if (i + scale < p.choices.length) out.push(move(p.choices[i + scale], typeof v === 'number' ? 1 : 0));
    return out;
  }
  if (typeof v === 'boolean') return scale === 1 ? [move(!v, 0)] : [];
  if (typeof v !== 'number' || !Number.isFinite(v)) return [];
  const factor = 2 ** scale;
  if (p.kind === 'int') {
    if (v === 0) return scale === 1 ? [move(1, 1)] : [];
    const down = isPowerOfTwo(Math.abs(v)) && Math.abs(v) >= factor ? v / factor : Math.trunc(v / factor);
    const out = [move(v * factor, v > 0 ? 1 : -1)];
    if (down !== 0 && down !== v) out.push(move(down, v > 0 ? -1 : 1));
    return out;
  }
  if (v === 0) return scale === 1 ? [move(0.1, 1)] : [move(0.1 / factor, 1)];
  return [move(roundFloat(v * factor), v > 0 ? 1 : -1), move(roundFloat(v / factor), v > 0 ? -1 : 1)];
}

/** Step sizes tried, smallest first: ×2, ×4, ×8. Larger steps only once smaller ones are used up. */
const SCALES = [1, 2, 3];

/** Keeps halving/doubling from producing 0.30000000000000004-style noise in the source file. */
function roundFloat(x: number): number {
  return Number(x.toPrecision(6));
}

const same = (a: ParamValue | undefined, b: ParamValue | undefined) => a === b || JSON.stringify(a) === JSON.stringify(b);
const moveKey = (name: string, to: ParamValue) => `${name}=${JSON.stringify(to)}`;

/**
 * The single-parameter moves from `current` whose result was already evaluated. One pass of cheap
 * comparisons per configuration: serialising every configuration whole cost ~45 ms a proposal
 * at 10,000 experiments (bench/scale.ts).
 */
function evaluatedMoves(current: Record<string, ParamValue>, evaluated: readonly Record<string, ParamValue>[]): Set<string> {
  const names = Object.keys(current);
  const out = new Set<string>();
  for (const config of evaluated) {
    let differs: string | null = null;
    let count = 0;
    for (const name of names) {
      if (same(config[name], current[name])) continue;
      differs = name;
      if (++count > 1) break;
    }
    if (count === 1) out.add(moveKey(differs!, config[differs!]));
  }
  return out;
}

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

/** The single-parameter move an experiment made, if it made exactly one. */
function singleMove(h: HistoryEntry): { name: string; direction: number } | null {
  const names = Object.keys(h.changed);
  if (names.length !== 1) return null;
  const [name] = names;
  const from = h.before[name];
  const to = h.changed[name];
  return { name, direction: typeof from === 'number' && typeof to === 'number' ? Math.sign(to - from) : 0 };
}

/**
 * Scores every untried single-parameter move (pure). Pattern search with memory: repeat a move
 * that just paid off, prefer the least-tried parameters, and after a failed move prefer the
 * opposite direction over abandoning the parameter — the move the paper's inner loop never made —
 * and the parameters in focus.
 */
export function rankMoves(ctx: ProposalContext, random: () => number): Move[] {
  const current: Record<string, ParamValue> = Object.fromEntries(ctx.params.map((p) => [p.name, p.value]));
  const evaluated = evaluatedMoves(current, ctx.evaluated);
  const tried = new Map<string, number>();
  const failedDirection = new Map<string, number>();
  let momentum: { name: string; direction: number } | null = null;
  for (const h of ctx.history) {
    const m = singleMove(h);
    for (const name of Object.keys(h.changed)) tried.set(name, (tried.get(name) ?? 0) + 1);
    if (!m) continue;
    if (h.status === 'keep') {
      momentum = m;
      failedDirection.delete(m.name);
    } else if (h.status === 'discard' || h.status === 'crash') {
      failedDirection.set(m.name, m.direction);
      if (momentum?.name === m.name) momentum = null;
    }
  }
  const last = ctx.history[ctx.history.length - 1];
  if (last && last.status !== 'keep') momentum = momentum && singleMove(last)?.name === momentum.name ? null : momentum;

  const focus = new Set(ctx.focus);
  const scored: { move: Move; score: number }[] = [];
  for (const p of ctx.params) {
    if (p.frozen) continue;
    const seen = new Set<string>();
    for (const move of SCALES.flatMap((scale) => neighbours(p, scale))) {
      const key = JSON.stringify(move.to);
      if (seen.has(key)) continue;
      seen.add(key);
      if (evaluated.has(moveKey(p.name, move.to))) continue;
      let score = -(tried.get(p.name) ?? 0) - 100 * (move.scale - 1) + random() * 0.5;
      if (momentum && momentum.name === p.name && momentum.direction === move.direction && move.direction !== 0) score += 10;
      const failed = failedDirection.get(p.name);
      if (failed !== undefined && failed !== 0 && move.direction === -failed) score += 3;
      // The strategy review's (or a mechanism's) focus: explore these before more of the same.
      if (focus.has(p.name)) score += 4;
      scored.push({ move, score });
    }
  }
  return scored.sort((a, b) => b.score - a.score).map((s) => s.move);
}

function describe(move: Move, p: ParamView | undefined): string {
  const show = (v: ParamValue) => JSON.stringify(v);
  const verb = typeof move.to === 'boolean' ? 'set' : move.direction > 0 ? 'increase' : move.direction < 0 ? 'decrease' : 'set';
  return `${verb} ${move.name} ${show(move.from)} -> ${show(move.to)}`;
}

/** The offline proposer: one parameter at a time, never a configuration already evaluated. */
export class HeuristicProposer implements Proposer {
  readonly name = 'heuristic';
  readonly instant = true;
  private readonly random: () => number;

  constructor(seed = 1) {
    this.random = seededRandom(seed);
  }

  async propose(ctx: ProposalContext): Promise<Candidate> {
    const [move] = rankMoves(ctx, this.random);
    if (!move) throw new ProposalError('every single-parameter neighbour of the current best has been evaluated or is frozen');
    const p = ctx.params.find((x) => x.name === move.name);
    return {
      description: describe(move, p),
      hypothesis:
        move.direction === 0
          ? `${move.name} has not been varied from here; a different setting may fit the fixed budget better`
          : `${move.name} ${move.direction > 0 ? 'higher' : 'lower'} may improve ${ctx.metricName} under the fixed budget`,
      params: { [move.name]: move.to },
    };
  }
}
