import type { Candidate, ParamValue } from './candidate';

/**
 * The one event stream. The trace on disk is these events (one JSON object a line), the CLI and the
 * extension render them, and resume replays them. Anything derivable from events is not stored twice.
 *
 * `training.output` is the only event not written to the trace: its persistence is logs/<n>.log.
 */

export type Outcome = 'ok' | 'crash' | 'timeout' | 'interrupted';

/**
 * Every status an experiment can have, in the order lists show them: the three decisions, a reused
 * result (cached), the ways an iteration ends without one, and still running. The one definition
 * the CLI, the extension's views and the dashboard share.
 */
export const EXPERIMENT_STATUSES = ['keep', 'discard', 'crash', 'cached', 'rejected', 'proposal-failed', 'interrupted', 'running'] as const;
export type ExperimentStatus = (typeof EXPERIMENT_STATUSES)[number];
/** The statuses that are results: a metric measured, reused, or a crash that measured none (the chart's points). */
export const RESULT_STATUSES = ['keep', 'discard', 'crash', 'cached'] as const satisfies readonly ExperimentStatus[];
export type ResultStatus = (typeof RESULT_STATUSES)[number];
export const isResultStatus = (s: ExperimentStatus): s is ResultStatus => (RESULT_STATUSES as readonly string[]).includes(s);
/** A decision on a trained experiment; only these are results.tsv rows. */
export type Status = Extract<ExperimentStatus, 'keep' | 'discard' | 'crash'>;
/** How an iteration ended. */
export type IterationResult = Exclude<ExperimentStatus, 'running'>;
export type RejectedBy = 'validation' | 'strategy' | 'mechanism' | 'proposer' | 'user';

export interface LlmUsage {
  purpose: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  ms: number;
  /** Token counts estimated from text length because the server reported none. */
  estimated?: boolean;
}

interface Base {
  /** Sequence number, 1-based, contiguous in the trace. */
  seq: number;
  /** ISO timestamp. */
  at: string;
}

export type RunEventBody =
  /** `startBranch`: the branch checked out when the run started (null: a detached HEAD); new commits on it can be adopted. */
  | { type: 'run.started'; tag: string; branch: string; baseCommit: string; metric: string; goal: 'minimize' | 'maximize'; proposer: string; startBranch?: string | null }
  /**
   * `bilevel run --adopt`: the user's commit becomes the run's new starting point. `from`: the run
   * branch (commits on it the loop did not make) or the start branch (new commits there); `commits`:
   * the commits adopted, newest first (`commit` is the first). The next iteration trains it as a new
   * baseline; experiments before it stay as history, comparisons continue from it.
   */
  | { type: 'run.adopted'; commit: string; from: 'run-branch' | 'start-branch'; branch: string; commits: { commit: string; subject: string }[]; by: 'user'; configChanged?: boolean }
  /** `bestCommit`: the incumbent's commit, where the run branch was reset (named before best and incumbent were told apart). */
  /** repairedTrace: the torn last line (a crash mid-write) that opening the trace cut off, as it was. */
  | { type: 'run.resumed'; bestCommit: string; nextIteration: number; repairedTrace?: string }
  | { type: 'iteration.started'; n: number; baseCommit: string; baseline: boolean }
  | { type: 'iteration.finished'; n: number; result: IterationResult }
  | {
      type: 'candidate.proposed';
      n: number;
      candidate: Candidate;
      proposer: string;
      /** The level whose output shaped this proposal: 1 the inner proposer, 2 a mechanism's `propose` hook. */
      level?: 1 | 2;
      /** The mechanism that proposed it (level 2). */
      mechanism?: string;
      /**
       * Overlap: the proposal was made while experiment `during` trained. `used`: on the same incumbent;
       * `reapplied`: the incumbent moved and it still applies to the new one; `reproposed`: it did not
       * (reason), and this candidate was proposed afresh.
       */
      prepared?: { during: number; how: 'used' | 'reapplied' | 'reproposed'; reason?: string };
    }
  | {
      type: 'candidate.applied';
      n: number;
      /** The full parameter configuration after the candidate was applied. */
      params: Record<string, ParamValue>;
      changed: Record<string, { from: ParamValue; to: ParamValue }>;
      /** Git tree of the resulting files: identical trees are identical experiments. */
      tree: string;
    }
  | { type: 'candidate.rejected'; n: number; by: RejectedBy; reason: string; candidate?: Candidate }
  | { type: 'candidate.cached'; n: number; sameAs: number; metric: number | null; status: Status }
  | { type: 'candidate.committed'; n: number; commit: string }
  /** A person edited the candidate's files before it trained (stepping mode): this commit trains instead. */
  | { type: 'candidate.edited'; n: number; commit: string; tree: string; changed: Record<string, { from: ParamValue; to: ParamValue }>; params: Record<string, ParamValue> }
  /** `pid`: a local process group whose end ends the run; `slurmJobId`: the batch job, which has none here. */
  | { type: 'training.started'; n: number; commit: string; command: string; log: string; pid?: number; slurmJobId?: number; /** The worker, for people (Executor.where). */ where?: string }
  | { type: 'training.output'; n: number; line: string; stream: 'stdout' | 'stderr' }
  | {
      type: 'training.finished';
      n: number;
      outcome: Outcome;
      exitCode: number | null;
      metric: number | null;
      secondary: Record<string, number>;
      seconds: number;
      reason?: string;
      /** The training log could not be written (the run went on without it). */
      logProblem?: string;
    }
  | {
      type: 'experiment.decided';
      n: number;
      status: Status;
      commit: string;
      metric: number | null;
      /**
       * The incumbent's metric before this decision: what the result was judged against and its
       * delta is relative to (null for the baseline). Named before best and incumbent were told apart.
       */
      previousBest: number | null;
      delta: number | null;
      description: string;
      memoryGb: number | null;
      /** Why the status differs from what the metric alone says (e.g. a stale base in parallel runs). */
      note?: string;
    }
  | { type: 'experiment.interrupted'; n: number; commit?: string; reason: string }
  /**
   * One chat call. `error`: the call failed. `answerError`: it answered, but the answer could not be
   * used (why: the parse or validation error); the repair round, if one is left, is the next call.
   */
  | { type: 'llm.called'; usage: LlmUsage; ok: boolean; error?: string; answerError?: string }
  | { type: 'proposal.failed'; n: number; reason: string }
  | { type: 'run.paused'; reason: string }
  /** A worker whose executor failed (host down, a setup error) is out of rotation; the run goes on with the `left` others. */
  | { type: 'worker.removed'; n: number; worker: number; executor: string; reason: string; left: number }
  | { type: 'run.stopped'; reason: 'completed' | 'interrupted' | 'error'; message?: string }
  // Level 1.5: strategy review. The strategy in force is the latest strategy.updated (config frozen on top).
  | {
      type: 'strategy.updated';
      /** Inner iterations finished when the review ran; the strategy applies from iteration n + 1. */
      n: number;
      cycle: number;
      reviewer: string;
      frozen: string[];
      unfrozen: string[];
      focus: string[];
      guidance: string;
    }
  // Level 2: mechanism research. Each of the four steps is one LLM call recorded in full.
  | {
      type: 'mechanism.research.step';
      n: number;
      session: number;
      step: 'explore' | 'critique' | 'specify' | 'generate';
      prompt: string;
      response: string;
      ok: boolean;
      error?: string;
    }
  | { type: 'mechanism.research.failed'; n: number; session: number; reason: string }
  | {
      type: 'mechanism.proposed';
      n: number;
      session: number;
      name: string;
      description: string;
      /** Path of the module, relative to the repo root: .autoresearch/mechanisms/<name>.mjs */
      file: string;
      branch: string;
      commit: string;
      hooks: string[];
    }
  | { type: 'mechanism.validated'; n: number; name: string; ok: boolean; checks: MechanismCheck[] }
  /** `commit`: the run-branch commit that records it in .autoresearch/mechanisms.json (the incumbent's new commit). */
  | { type: 'mechanism.activated'; n: number; name: string; by: 'policy' | 'user'; commit: string }
  /** Never active, or taken back: failed validation, or a person rejected it. */
  | { type: 'mechanism.reverted'; n: number; name: string; by: 'validation' | 'user'; reason: string }
  /** Was active and misbehaved at run time (throw, hang, exit, memory, garbage): switched off. */
  | { type: 'mechanism.deactivated'; n: number; name: string; hook: string; reason: string; commit?: string }
  /** Provenance: the hooks that actually ran for iteration n, and what each returned. */
  | { type: 'mechanism.hooks'; n: number; active: string[]; ran: HookRun[] };

export interface MechanismCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface HookRun {
  mechanism: string;
  hook: 'beforePropose' | 'propose' | 'reviewCandidate' | 'decide' | 'afterResult';
  /** One word of what it did: ok, guided, proposed, vetoed, passed, overrode, kept, failed. */
  result: string;
  ms: number;
  /** What it returned (its state left out), for the record. */
  output?: unknown;
  /** The mechanism's state after the call: resume restarts the mechanism from the latest one. */
  state?: unknown;
}

export type RunEvent = Base & RunEventBody;
export type RunEventType = RunEventBody['type'];

/** Events that are streamed to listeners but never appended to the trace. */
export function isTransient(e: RunEventBody): boolean {
  return e.type === 'training.output';
}
