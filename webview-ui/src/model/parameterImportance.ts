import type { ParamValue } from '../../../src/shared/trace/candidate';
import type { Goal } from '../../../src/shared/trace/goal';
import type { ExperimentRow } from './dashboardModel';

/** Which way a change moved a parameter: numbers up or down, anything else (a string, a list) "set". */
export type Direction = 'up' | 'down' | 'set';

export interface ParamImportance {
  name: string;
  direction: Direction;
  /** Experiments with a measured Δ that changed the parameter this way. */
  count: number;
  kept: number;
  /** Mean Δ against the incumbent each was judged against (the engine's delta; its sign is the metric's). */
  meanDelta: number;
  /** The same, signed so that larger is better whatever the goal: what the list is sorted by. */
  meanGain: number;
  /** Of `count`, how many also changed other parameters (their Δ is shared, so the attribution is rougher). */
  shared: number;
}

const directionOf = (from: ParamValue | undefined, to: ParamValue): Direction =>
  typeof from === 'number' && typeof to === 'number' ? (to > from ? 'up' : to < from ? 'down' : 'set') : 'set';

/**
 * What works: per parameter and direction of change, the mean Δ of the experiments that made that
 * change (kept or discarded: the ones with a measured Δ; crashes and cache hits have none of their
 * own). A change of several parameters counts for each of them. Sorted best first. Pure.
 */
export function parameterImportance(rows: readonly ExperimentRow[], goal: Goal): ParamImportance[] {
  const sign = goal === 'minimize' ? -1 : 1;
  const acc = new Map<string, { name: string; direction: Direction; count: number; kept: number; sum: number; shared: number }>();
  for (const r of rows) {
    if (r.baseline || r.delta === null || !Number.isFinite(r.delta) || (r.status !== 'keep' && r.status !== 'discard')) continue;
    for (const c of r.changes) {
      const direction = directionOf(c.from, c.to);
      const key = `${c.name}\u0000${direction}`;
      let a = acc.get(key);
      if (!a) acc.set(key, (a = { name: c.name, direction, count: 0, kept: 0, sum: 0, shared: 0 }));
      a.count++;
      a.sum += r.delta;
      if (r.status === 'keep') a.kept++;
      if (r.changes.length > 1) a.shared++;
    }
  }
  return [...acc.values()]
    .map(({ sum, ...a }) => ({ ...a, meanDelta: sum / a.count, meanGain: (sign * sum) / a.count }))
    .sort((a, b) => b.meanGain - a.meanGain || b.count - a.count || a.name.localeCompare(b.name));
}

/**
 * How sure a gain is: how many noise floors (the largest spread of repeated runs of one
 * configuration) the improvement is. Null without a floor or a gain. Pure.
 */
export function noiseMultiple(delta: number | null, floor: number | null, goal: Goal): number | null {
  if (delta === null || floor === null || !(floor > 0)) return null;
  const gain = goal === 'minimize' ? -delta : delta;
  return gain > 0 ? gain / floor : null;
}

/** The label a keep carries: "3.2× noise", or "within noise" below one floor. */
export function confidenceLabel(multiple: number | null): string {
  if (multiple === null) return '';
  return multiple < 1 ? 'within noise' : `${multiple.toFixed(1)}× noise`;
}
