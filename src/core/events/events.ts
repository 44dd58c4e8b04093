import type { Candidate, ParamValue } from '../candidates/candidate';

/**
 * The one event stream. The trace on disk is these events (one JSON object a line), the CLI and the
 * extension render them, and resume replays them. Anything derivable from events is not stored twice.
 *
 * `training.output` is the only event not written to the trace: its persistence is logs/<n>.log.
 */

export type Outcome = 'ok' | 'crash' | 'timeout' | 'interrupted';
export type Status = 'keep' | 'discard' | 'crash';
/** How an iteration ended. Only keep/discard/crash are experiment results (results.tsv rows). */
export type IterationResult = Status | 'cached' | 'rejected' | 'proposal-failed' | 'interrupted';
export type RejectedBy = 'validation' | 'strategy' | 'mechanism' | 'proposer';

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
  | { type: 'run.started'; tag: string; branch: string; baseCommit: string; metric: string; goal: 'minimize' | 'maximize'; proposer: string }
  | { type: 'run.resumed'; bestCommit: string; nextIteration: number }
  | { type: 'iteration.started'; n: number; baseCommit: string; baseline: boolean }
  | { type: 'iteration.finished'; n: number; result: IterationResult }
  | { type: 'candidate.proposed'; n: number; candidate: Candidate; proposer: string }
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
  | { type: 'training.started'; n: number; commit: string; command: string; log: string; pid?: number }
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
    }
  | {
      type: 'experiment.decided';
      n: number;
      status: Status;
      commit: string;
      metric: number | null;
      /** Best metric before this decision (null for the baseline). */
      previousBest: number | null;
      delta: number | null;
      description: string;
      memoryGb: number | null;
      /** Why the status differs from what the metric alone says (e.g. a stale base in parallel runs). */
      note?: string;
    }
  | { type: 'experiment.interrupted'; n: number; commit?: string; reason: string }
  | { type: 'llm.called'; usage: LlmUsage; ok: boolean; error?: string }
  | { type: 'proposal.failed'; n: number; reason: string }
  | { type: 'run.stopped'; reason: 'completed' | 'interrupted' | 'error'; message?: string };

export type RunEvent = Base & RunEventBody;
export type RunEventType = RunEventBody['type'];

/** Events that are streamed to listeners but never appended to the trace. */
export function isTransient(e: RunEventBody): boolean {
  return e.type === 'training.output';
}
