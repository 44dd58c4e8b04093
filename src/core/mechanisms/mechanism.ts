import type { ParamValue } from '../../shared/trace/candidate';
import type { HistoryEntry as ProposalHistoryEntry, ParamView } from '../research/proposalContext';

/**
 * The mechanism interface: what a Level 2 mechanism module exports and what each hook receives and
 * returns. Everything crossing the sandbox boundary is JSON; the host keeps the mechanism's state and
 * passes it back in, so a mechanism is a pure function of (context, argument) and can be replayed.
 */

export const HOOKS = ['beforePropose', 'propose', 'reviewCandidate', 'decide', 'afterResult'] as const;
export type HookName = (typeof HOOKS)[number];

export function isHookName(name: string): name is HookName {
  return (HOOKS as readonly string[]).includes(name);
}

/** A parameter as every hook sees it: the proposer's view without the source text. */
export type ContextParam = Omit<ParamView, 'text'>;

/**
 * One finished experiment as a hook sees it: the proposer's entry (research/proposalContext) with its
 * `before` values folded into `changed` as from → to, without the rejection reason.
 */
export interface HistoryEntry extends Pick<ProposalHistoryEntry, 'n' | 'status' | 'metric' | 'delta' | 'description'> {
  changed: Record<string, { from: ParamValue; to: ParamValue }>;
  /** A confirmation run: the metrics of the earlier run(s) of this same configuration. */
  reruns?: number[];
}

/** What every hook receives. History is the run's finished experiments, oldest first, at most 200. */
export interface MechanismContext {
  /** The inner iteration n this call is about. */
  iteration: number;
  metric: string;
  goal: 'minimize' | 'maximize';
  /** The best result so far (see RunState.best). */
  best: { n: number; metric: number } | null;
  /**
   * What the search continues from: `params` are its values and a result's delta is against it. The
   * best, unless a `decide` kept a worse result (see RunState.incumbent).
   */
  incumbent: { n: number; metric: number } | null;
  /** The incumbent's values. */
  params: ContextParam[];
  /** The strategy in force. */
  frozen: string[];
  focus: string[];
  history: HistoryEntry[];
  /** The metric's noise: the largest spread among repeated runs of one configuration (null until one ran twice). */
  noise: { floor: number | null; samples: number };
  /** This mechanism's own state from its previous call (null at first). */
  state: unknown;
}

export type ContextWithoutState = Omit<MechanismContext, 'state'>;

export const HISTORY_LIMIT = 200;

/** A candidate a mechanism proposes itself (parameter changes only). */
export interface MechanismCandidate {
  description: string;
  hypothesis: string;
  params: Record<string, ParamValue>;
}

/** What reviewCandidate receives: the proposed Candidate plus what it changes against the best. */
export interface ReviewedCandidate {
  description: string;
  hypothesis: string;
  params?: Record<string, ParamValue>;
  edits?: { file: string; search: string; replace: string }[];
  changed: Record<string, { from: ParamValue; to: ParamValue }>;
}

/** What decide and afterResult receive. */
export interface MechanismResult {
  n: number;
  status: 'keep' | 'discard' | 'crash';
  metric: number | null;
  delta: number | null;
  changed: Record<string, { from: ParamValue; to: ParamValue }>;
  description: string;
  /** A confirmation run: the metrics of the earlier run(s) of this same configuration. */
  reruns?: number[];
}

// Each hook's output; every field optional except a review's verdict. `state` is the next state.
export interface BeforeProposeOut { state?: unknown; guidance?: string; freeze?: string[]; focus?: string[] }
export interface ProposeOut { state?: unknown; candidate?: MechanismCandidate | null }
export interface ReviewOut { state?: unknown; verdict: 'accept' | 'reject'; reason?: string }
export interface DecideOut { state?: unknown; status?: 'keep' | 'discard' | 'rerun'; reason?: string }
export interface AfterResultOut { state?: unknown }

export interface HookOutputs {
  beforePropose: BeforeProposeOut;
  propose: ProposeOut;
  reviewCandidate: ReviewOut;
  decide: DecideOut;
  afterResult: AfterResultOut;
}

export interface HookArgs {
  beforePropose: undefined;
  propose: undefined;
  reviewCandidate: ReviewedCandidate;
  decide: MechanismResult;
  afterResult: MechanismResult;
}

export type HookOutput = HookOutputs[HookName];

/** The interface as the LLM sees it in the "specify" and "generate" prompts of mechanism research. */
export const MECHANISM_INTERFACE_TEXT = `A mechanism is one ES module of plain JavaScript that changes how the inner research loop searches.
It has NO imports of any kind (no import statements, no dynamic import(), no require): it runs in a sandbox
without file system, network, processes, timers or Node APIs; only plain JavaScript built-ins (Math, JSON,
Array, Object, Map, Set, Date, String, Number …) are there: no typed arrays, WebAssembly, eval or Function(). Each call has a time limit (about 2 s) and a
small memory cap. Export each hook you implement as a named function (sync or async):

  export function beforePropose(ctx)          -> { state?, guidance?, freeze?, focus? }
      before the next proposal: free-text guidance for the proposer, parameters to freeze or focus on.
  export function propose(ctx)                -> { state?, candidate?: { description, hypothesis, params } | null }
      propose the next experiment yourself (then the LLM is not asked); null leaves it to the proposer.
      params maps parameter names (from ctx.params, not frozen) to new values.
      Proposing is shared by a bandit over proposers (the proposer and every mechanism with propose),
      credited by keeps over the last 16 trainings: the best keep rate (plus a bonus for the little-tried)
      proposes, so a propose that does not pay is asked less and less; null passes to the next in line.
  export function reviewCandidate(ctx, cand)  -> { state?, verdict: "accept" | "reject", reason? }
      veto a candidate before it costs a training run; the reason is shown to the proposer.
      cand = { description, hypothesis, params, changed: { NAME: { from, to } } }
  export function decide(ctx, result)         -> { state?, status?: "keep" | "discard" | "rerun", reason? }
      override the keep/discard decision of a finished experiment (status omitted: no override).
      "rerun": not yet: train the same configuration once more to confirm; decide is then called
      for the confirmation run with result.reruns = [the earlier run's metric].
  export function afterResult(ctx, result)    -> { state? }
      learn from a finished experiment.
      result = { n, status: "keep" | "discard" | "crash", metric, delta, changed, description, reruns? }

ctx (JSON, read-only) = {
  iteration,                      // the inner iteration this call is about
  metric, goal,                   // e.g. "val_bpb", "minimize" | "maximize"
  best: { n, metric } | null,     // the best experiment so far
  incumbent: { n, metric } | null,  // what the search continues from: the best, unless a decide kept a worse one
  params: [{ name, value, kind, frozen, choices? }],  // the incumbent's values; kind: int|float|string|bool|none|tuple|list
  frozen: [names], focus: [names],                    // the strategy in force
  history: [{ n, status, metric, delta, changed: { NAME: { from, to } }, description }],  // oldest first, at most 200;
                                  // status: keep|discard|crash|rejected|cached; delta = metric - incumbent before it
  noise: { floor, samples },      // the metric's spread when the same configuration runs again (floor null until known)
  state                           // what your previous call returned as state (null on the first call)
}

A numerical library is there as the global \`numerics\` (no import; plain data in and out, nothing kept between calls):
  numerics.rng(seed)                -> { next() in [0,1), int(n), normal(), pick(xs), shuffle(xs), state() }
                                       seeded (mulberry32); store state() in your state, pass it back as the seed next call
  numerics.stats.{sum, mean, variance, sd, median, quantile(xs, q), argmin, argmax, ranks, pearson(xs, ys),
                  spearman(xs, ys), normalPdf(z), normalCdf(z)}
  numerics.tpe.suggest({ dims: [{ size, ordered }], observations: [{ x: [index per dim], y: metric | null }],
                  goal, seed, candidates?, local?, prior?, exclude?: [[...]], extra?: [[...]], from?: [...], perChange? })
                                    -> { x: [index per dim], score } | null
      a tree-structured Parzen estimator over dimensions of discrete values (you map values to indices);
      y null = crashed (counted worst); local: how many good observations with 1–4 dimensions redrawn to
      rate (default 0), candidates: draws over all dimensions (default 24), exclude: points not to return.
  numerics.gp.predict({ x: [[...in 0..1]], y: [...], at: [[...]], lengthScale?, noise? }) -> { mean: [...], sd: [...] }
  numerics.gp.expectedImprovement({ x, y, at, goal, lengthScale?, noise?, xi? })   -> [EI per point of at]
      a Gaussian process with an RBF kernel; scale inputs to [0, 1] yourself (e.g. log2 of a value over its range).

Keep ALL memory in state: return the next state from every hook (JSON only: no functions, no undefined
inside, no cycles, under 1 MB). Module-level variables can vanish at any time (the sandbox
restarts on resume and for validation) and break replay.
Be deterministic: if you need randomness, keep a seeded PRNG's seed in state. Every returned value must
be JSON. Return only the fields above. Never throw: a throw, a hang, or a malformed result switches the
mechanism off.

Example (a whole module):

export function reviewCandidate(ctx, cand) {
  const failed = (ctx.state && ctx.state.failed) || [];
  for (const [name, move] of Object.entries(cand.changed)) {
    if (failed.some((f) => f.name === name && f.to === JSON.stringify(move.to))) {
      return { state: ctx.state, verdict: 'reject', reason: name + ' = ' + JSON.stringify(move.to) + ' already failed' };
    }
  }
  return { state: ctx.state, verdict: 'accept' };
}

export function afterResult(ctx, result) {
  const failed = (ctx.state && ctx.state.failed) || [];
  if (result.status !== 'keep') {
    for (const [name, move] of Object.entries(result.changed)) failed.push({ name, to: JSON.stringify(move.to) });
  }
  return { state: { failed: failed.slice(-50) } };
}
`;
