import type { Candidate, ParamValue } from '../../shared/trace/candidate';
import numerics from '../mechanisms/sandbox/numerics.js';
import { changeKey, HeuristicProposer } from './heuristicProposer';
import type { ProposalContext, Proposer } from './proposer';
import { decode, encode, searchDims } from './searchSpace';

/** Trained experiments (baseline included) before the model takes over from the heuristic's coverage. */
export const TPE_STARTUP = 6;
/** The heuristic's best local moves, scored by the model beside its own samples. */
const LOCAL_CANDIDATES = 8;
/** Draws over every dimension (exploration of distant regions, what a rugged landscape needs). */
const GLOBAL_CANDIDATES = 8;
/** The uniform share of both densities: a value never tried is neutral, not favoured over what worked. */
const PRIOR_SHARE = 0.2;
/** Score subtracted per parameter a candidate changes: of two equally rated candidates, the smaller step. */
const PER_CHANGE = 0.05;
/** Good configurations with a few parameters redrawn from the model. */
const LOCAL_MUTATIONS = 48;

const same = (a: ParamValue | undefined, b: ParamValue | undefined) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Model-based proposer: a tree-structured Parzen estimator over the parameter space (the lattice
 * the heuristic moves on, see searchDims), fitted to every experiment of the run; crashes count
 * as the worst results. Its candidates are its own samples from the good density and the
 * heuristic's best local moves, whichever the model rates best, never one already evaluated.
 * The first TPE_STARTUP experiments are the heuristic's (coverage of every parameter), which is
 * also the model's start-up design.
 */
export class TpeProposer implements Proposer {
  readonly name = 'tpe';
  readonly instant = true;
  /** The heuristic's trace memory, ranked moves and rejections, on the same seed: the model's fallback and start-up design. */
  private readonly heuristic: HeuristicProposer;

  constructor(private readonly seed = 1) {
    this.heuristic = new HeuristicProposer(seed);
  }

  async propose(ctx: ProposalContext): Promise<Candidate> {
    const { moves: local, exclude } = this.heuristic.ranked(ctx);
    const trials = this.heuristic.trials();
    const current: Record<string, ParamValue> = Object.fromEntries(ctx.params.map((p) => [p.name, p.value]));
    if (trials.length >= TPE_STARTUP) {
      const dims = searchDims(ctx.params, trials.map((t) => t.params));
      const observations = trials.flatMap((t) => {
        const x = encode(dims, t.params);
        return x ? [{ x, y: t.metric }] : [];
      });
      const excluded = ctx.evaluated.flatMap((c) => {
        const x = encode(dims, { ...current, ...c });
        return x ? [x] : [];
      });
      const extra = local.slice(0, LOCAL_CANDIDATES).flatMap((m) => {
        const x = encode(dims, { ...current, ...m.params });
        return x ? [x] : [];
      });
      const best = numerics.tpe.suggest({ dims: dims.map((d) => ({ size: d.values.length, ordered: d.ordered })), observations, goal: ctx.goal, candidates: GLOBAL_CANDIDATES, local: LOCAL_MUTATIONS, prior: PRIOR_SHARE, from: encode(dims, current) ?? undefined, perChange: PER_CHANGE, seed: this.seed * 7919 + ctx.n * 31 + exclude.size, exclude: excluded, extra });
      if (best) {
        const values = decode(dims, best.x, current);
        const changed = Object.fromEntries(Object.entries(values).filter(([k, v]) => !same(v, current[k])));
        if (Object.keys(changed).length && !exclude.has(changeKey(changed))) {
          this.heuristic.proposed(ctx, changed);
          const names = Object.keys(changed);
          return {
            description: `model (TPE): ${names.map((k) => `${k} ${JSON.stringify(current[k])} -> ${JSON.stringify(changed[k])}`).join(', ')}`,
            hypothesis: `the Parzen model of ${observations.length} experiments rates this configuration most likely among the best ${ctx.metricName} results`,
            params: changed,
          };
        }
      }
    }
    return this.heuristic.take(ctx, local[0]);
  }
}
