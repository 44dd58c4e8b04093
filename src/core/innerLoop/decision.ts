import type { Status } from '../../shared/trace/events';
import type { MechanismOverride } from '../mechanisms/mechanismRuntime';

/** A re-run asked for by a mechanism's decide ('rerun'): the earlier run's metric(s). */
export interface Confirmation {
  of: number;
  metrics: number[];
}

export interface DecisionInput {
  n: number;
  /** What the metric says (judge), before any mechanism or policy. */
  judged: { status: Status; delta: number | null };
  /** The metric the run measured (null when none). */
  metric: number | null;
  /** The incumbent's metric when it started (null for the first baseline). */
  previousBest: number | null;
  baseline: boolean;
  override: MechanismOverride | null;
  /** Set when this run is itself a confirmation re-run. */
  confirm?: Confirmation;
  /** False for the baseline: only a candidate can be queued again. */
  hasCandidate: boolean;
  /** The commit it ran on is no longer the best (another experiment was kept meanwhile). */
  base: string;
  bestCommit: string;
}

export interface Decision {
  status: Status;
  delta: number | null;
  /** Why the status is not what the metric alone says; recorded with experiment.decided. */
  note?: string;
  /** Train the candidate again: on the current best (stale base), or to confirm (a mechanism's rerun). */
  requeue: { confirm?: Confirmation } | null;
}

/**
 * Keep or discard, all policies in one place: the metric's verdict, a mechanism's override (one
 * confirmation re-run at most), a repeated baseline (measures noise, never kept), and a keep on a
 * stale base (discarded and re-queued onto the best, so its change never lands untested). Pure.
 */
export function decide(x: DecisionInput): Decision {
  let { status } = x.judged;
  let note: string | undefined;
  let requeue: Decision['requeue'] = null;
  const o = x.override;
  if (o && status !== 'crash') {
    const why = o.reason ? `: ${o.reason}` : '';
    if (o.status === 'rerun' && !x.confirm && x.hasCandidate && x.metric !== null) {
      status = 'discard';
      note = `not yet: the mechanism ${o.name} re-runs it to confirm${why}`;
      requeue = { confirm: { of: x.n, metrics: [x.metric] } };
    } else if (o.status === 'rerun') {
      note = `the mechanism ${o.name} asked for another re-run; one confirmation is the limit${why}`;
    } else {
      status = o.status;
      note = `${o.status} by the mechanism ${o.name}${why}`;
    }
  }
  if (x.baseline && x.previousBest !== null && status !== 'crash') {
    status = 'discard';
    note = 'a repeat of the baseline: measures the noise floor';
  }
  // A run on a base that is no longer the best is judged against the best, but only kept if it ran
  // on it: its change would otherwise land untested on top of another.
  if (!x.baseline && x.base !== x.bestCommit && status === 'keep') {
    status = 'discard';
    note = `beat the best but ran on ${x.base.slice(0, 7)}, not on the current best; re-queued to run on it`;
    if (x.hasCandidate) requeue = {};
  }
  return { status, delta: x.judged.delta, ...(note ? { note } : {}), requeue };
}
