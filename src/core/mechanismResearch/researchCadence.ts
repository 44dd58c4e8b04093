import type { RunState } from '../../shared/trace/runState';

/** Iterations that train nothing (rejected, cached, a failed proposal) that earn one more research session. */
export const RESEARCH_AFTER_IDLE = 3;

/**
 * How many mechanism research sessions are due by now: one per `mechanismsEvery` outer cycles of
 * `strategyEvery` trainings, plus one per RESEARCH_AFTER_IDLE iterations that trained nothing. The
 * second term is why: a proposer that only repeats itself trains nothing, so the cadence by
 * trainings would never come, and the run would stop for idling without Level 2 ever being asked.
 * Pure; a session is due while fewer have run.
 */
export function mechanismSessionsDue(state: RunState, strategyEvery: number, mechanismsEvery: number): number {
  const idle = state.experiments.filter((x) => !x.baseline && (x.result === 'rejected' || x.result === 'cached' || x.result === 'proposal-failed')).length;
  return Math.floor(Math.floor(state.iterationsDone / strategyEvery) / mechanismsEvery) + Math.floor(idle / RESEARCH_AFTER_IDLE);
}
