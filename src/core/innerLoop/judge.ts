import type { Outcome, Status } from '../../shared/trace/events';

export interface MetricGoal {
  goal: 'minimize' | 'maximize';
  minImprovement: number;
}

/**
 * Keep or discard: a run is kept only when it finished with a metric that beats the incumbent (what
 * it ran on: see RunState.incumbent) by more than `minImprovement`. The first successful run (the
 * baseline) is always kept.
 */
export function judge(outcome: Outcome, metric: number | null, incumbent: number | null, goal: MetricGoal): { status: Status; delta: number | null } {
  if (outcome !== 'ok' || metric === null || !Number.isFinite(metric)) return { status: 'crash', delta: null };
  if (incumbent === null) return { status: 'keep', delta: null };
  const delta = metric - incumbent;
  const gain = goal.goal === 'minimize' ? -delta : delta;
  return { status: gain > goal.minImprovement ? 'keep' : 'discard', delta };
}
