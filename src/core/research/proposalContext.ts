import type { ParamValue } from '../../shared/trace/candidate';
import type { Status } from '../../shared/trace/events';
import type { ParamKind } from '../target/pythonParams';

// What a proposer reads for one iteration (Level 1). Below the proposers and the prompts, so both
// import it without importing each other.

/** One parameter as the proposer sees it. */
export interface ParamView {
  name: string;
  value: ParamValue;
  /** The value as written in the source file, e.g. `2**19` or `3e-4`. */
  text: string;
  kind: ParamKind;
  frozen: boolean;
  /** Allowed values, when the config gives a choice list (strings mostly). */
  choices?: ParamValue[];
}

/** One past experiment, as the proposer sees it. */
export interface HistoryEntry {
  n: number;
  description: string;
  /** Parameter values this experiment changed relative to the base it ran on. */
  changed: Record<string, ParamValue>;
  /** Parameter values before the change (same keys as `changed`). */
  before: Record<string, ParamValue>;
  status: Status | 'rejected' | 'cached';
  metric: number | null;
  delta: number | null;
  /** Why it was rejected, when status is 'rejected'. */
  reason?: string;
}

export interface ProposalContext {
  n: number;
  metricName: string;
  goal: 'minimize' | 'maximize';
  /** Free-text research goal from the config (what the researcher wants). */
  researchGoal?: string;
  timeBudgetSeconds: number;
  params: ParamView[];
  editableFiles: { path: string; content: string }[];
  /** Oldest first, at most the configured history length. */
  history: HistoryEntry[];
  /** The best result so far (see RunState.best). */
  best: { metric: number | null; n: number };
  /**
   * What this proposal builds on and is judged against: the editable files and parameters are its.
   * The best, unless a mechanism kept a worse result (see RunState.incumbent).
   */
  incumbent: { metric: number | null; n: number };
  /** Advice from strategy review, mechanisms, and feedback on recent rejections. */
  guidance: string[];
  /** Parameters the strategy review or a mechanism asks to explore first. */
  focus: string[];
  /** Every full parameter configuration already evaluated (to avoid proposing one again). */
  evaluated: Record<string, ParamValue>[];
}
