import type { RunState } from '../trace/runState';

/**
 * How much the metric moves when nothing changes: the largest spread (max − min) among runs of the
 * same configuration — repeated baselines (`metric.baselineRepeats`) and confirmation re-runs. Null
 * until some configuration ran twice. Pure.
 */
export function noiseFloor(state: RunState): { floor: number | null; samples: number } {
  const groups = new Map<string, number[]>();
  for (const x of state.experiments) {
    if (x.metric === null || !x.status || x.status === 'crash' || x.training?.outcome !== 'ok') continue;
    const key = x.baseline ? 'baseline' : (x.tree ?? `#${x.n}`);
    groups.set(key, [...(groups.get(key) ?? []), x.metric]);
  }
  let floor: number | null = null;
  let samples = 0;
  for (const runs of groups.values()) {
    if (runs.length < 2) continue;
    samples += runs.length;
    const spread = Math.max(...runs) - Math.min(...runs);
    floor = floor === null ? spread : Math.max(floor, spread);
  }
  return { floor, samples };
}
