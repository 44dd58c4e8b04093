import type { Candidate } from '../../shared/trace/candidate';
import type { Worker } from '../executors/worker';
import type { MechanismRuntime } from '../mechanisms/mechanismRuntime';
import type { Proposer } from '../proposers/proposer';
import type { Secrets } from '../secrets/secrets';
import type { RunSession } from '../session/runSession';
import type { Confirmation } from './decision';

/** Stepping: what a person sees before a committed candidate trains (see ResearchRunOptions.beforeTraining). */
export interface TrainingGate {
  n: number;
  commit: string;
  /** The best commit the candidate was built on (diff against it). */
  parent: string;
  description: string;
  checkout: string;
}

/** A worker and the working copy it trains in: the main checkout with one worker, else its own worktree. */
export interface Slot {
  index: number;
  worker: Worker;
  checkout: string;
}

/** A candidate to train again: it beat the best on a stale base, or a mechanism asked to confirm it. */
export interface Requeued {
  candidate: Candidate;
  from: number;
  confirm?: Confirmation;
}

/** What every iteration of a run shares (Level 1). */
export interface InnerLoop {
  session: RunSession;
  proposer: Proposer;
  /** The active mechanisms' hooks, called by the iteration at each step. */
  runtime: MechanismRuntime;
  /** Kept out of training's environment and output. */
  secrets: Secrets;
  /** Taken by the next iteration's first attempt, before anything is proposed. */
  requeue: Requeued[];
  /** How many invalid candidates an iteration tolerates before it gives up. */
  maxAttempts: number;
  beforeTraining?: (gate: TrainingGate) => Promise<'run' | 'skip'>;
}
