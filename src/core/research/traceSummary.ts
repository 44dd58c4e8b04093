import type { ParamValue } from '../../shared/trace/candidate';

// What the trace says about the search so far, as Level 1.5 (strategy review) and Level 2
// (mechanism research) read it; summarizeTrace (strategyReview) computes it.

export type Direction = 'up' | 'down' | 'other';

export interface ParameterSummary {
  name: string;
  /** Trained experiments (keep, discard, crash) that changed it. */
  tried: number;
  kept: number;
  crashed: number;
  /** Tried since the best result last moved (what freezing counts). */
  triedSinceBestMoved: number;
  /** Tried, and kept, among the last FREEZE_WINDOW trained experiments (what freezing also counts: circling). */
  triedInWindow: number;
  keptInWindow: number;
  /** The most favourable Δ of an experiment that changed it (negative is better when minimizing). */
  bestDelta: number | null;
  directions: Record<Direction, number>;
  /** Directions that were tried and never kept. */
  failedDirections: Direction[];
  lastTried: number | null;
  value: ParamValue | undefined;
}

export interface TraceSummary {
  metric: string;
  goal: 'minimize' | 'maximize';
  iterationsDone: number;
  best: { n: number; metric: number } | null;
  baseline: number | null;
  /** Trained experiments since the last keep that were not kept. */
  discardsInARow: number;
  /** Experiment number of the latest keep (the baseline counts). */
  bestMovedAt: number;
  parameters: ParameterSummary[];
  neverTried: string[];
  /** Descriptions proposed more than once (the paper's "same few moves again and again"). */
  repeated: { description: string; times: number }[];
  rejected: number;
  cached: number;
  codeEdits: { tried: number; kept: number };
  /** The metric's noise floor (see noiseFloor) and how many keeps gained less than it. */
  noise: { floor: number | null; samples: number };
  smallKeeps: number;
}
