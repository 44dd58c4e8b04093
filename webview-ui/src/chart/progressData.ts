import { isResultStatus, RESULT_STATUSES, type ResultStatus } from '../../../src/shared/trace/events';
import { isBetter, type Goal } from '../../../src/shared/trace/goal';
import type { ExperimentRow } from '../model/dashboardModel';

/**
 * The progress chart's series, in uPlot's aligned-columns shape: x is every experiment number, and
 * each status is its own series with a value where that experiment has that status (and passes
 * the filter), null elsewhere. Pure.
 *
 * Crashed experiments have no metric: they are pinned to the worse edge of the plot. Outliers (a
 * diverged run 10× worse than the rest) would squash everything else, so the y range stops at the
 * baseline or the 97th percentile, whichever is worse, and points beyond are pinned to that edge
 * too (the tooltip and table keep the real value).
 */
export interface ProgressData {
  x: number[];
  best: (number | null)[];
  series: Record<ResultStatus, (number | null)[]>;
  /** Points drawn per status (after the filter). */
  counts: Record<ResultStatus, number>;
  /** Points pinned to the edge (crashes and outliers). */
  pinned: number;
  /** The metric range the plot shows, edge band included. */
  yMin: number;
  yMax: number;
  /** The row at each index. */
  rows: readonly ExperimentRow[];
}

export function buildProgressData(
  rows: readonly ExperimentRow[],
  goal: Goal,
  visible?: (x: ExperimentRow) => boolean,
): ProgressData {
  const len = rows.length;
  const x = new Array<number>(len);
  const best = new Array<number | null>(len);
  const series = Object.fromEntries(RESULT_STATUSES.map((s) => [s, new Array<number | null>(len).fill(null)])) as Record<ResultStatus, (number | null)[]>;
  const counts = Object.fromEntries(RESULT_STATUSES.map((s) => [s, 0])) as Record<ResultStatus, number>;
  const { lo, hi, pinAt } = metricRange(rows, goal);
  const sign = goal === 'minimize' ? 1 : -1;
  const beyond = (m: number) => (sign === 1 ? m > pinAt : m < pinAt);
  let pinned = 0;

  let runningBest: number | null = null;
  for (let i = 0; i < len; i++) {
    const r = rows[i];
    x[i] = r.n;
    runningBest = bestSoFar(runningBest, r, goal);
    best[i] = runningBest;
    const s = r.status;
    if (!isResultStatus(s)) continue;
    if (visible && !visible(r)) continue;
    let y = r.metric;
    if (y === null || !Number.isFinite(y) || beyond(y)) {
      y = pinAt;
      pinned++;
    }
    series[s][i] = y;
    counts[s]++;
  }
  return { x, best, series, counts, pinned, yMin: lo, yMax: hi, rows };
}

/**
 * The metric range a plot of these rows shows (edge band included) and where points beyond it are
 * pinned: every finite metric of a result, stopping at the baseline or the 97th percentile,
 * whichever is worse. Pure.
 */
export function metricRange(rows: readonly ExperimentRow[], goal: Goal): { lo: number; hi: number; pinAt: number } {
  const sign = goal === 'minimize' ? 1 : -1;
  const metrics: number[] = [];
  let baseline: number | null = null;
  for (const r of rows) {
    if (r.metric !== null && Number.isFinite(r.metric) && (r.status === 'keep' || r.status === 'discard' || r.status === 'cached')) metrics.push(r.metric);
    if (r.baseline && r.metric !== null && baseline === null) baseline = r.metric;
  }
  let lo = 0;
  let hi = 1;
  if (metrics.length) {
    // Work in "badness" space (larger is worse) so one code path serves both goals.
    const bad = Float64Array.from(metrics, (m) => sign * m).sort();
    const q = bad[Math.min(bad.length - 1, Math.floor(0.97 * (bad.length - 1)))];
    const worst = Math.max(q, baseline === null ? -Infinity : sign * baseline);
    const edge = Math.min(bad[bad.length - 1], worst);
    const bestBad = bad[0];
    const span = edge - bestBad || Math.abs(edge) * 0.1 || 1;
    const [a, b] = [bestBad - span * 0.04, edge + span * 0.06];
    [lo, hi] = sign === 1 ? [a, b] : [-b, -a];
  }
  const pinAt = sign === 1 ? hi - (hi - lo) * 0.015 : lo + (hi - lo) * 0.015;
  return { lo, hi, pinAt };
}

/** The best so far after `row`, as RunState.best defines it: the best kept metric (a worse keep leaves it). */
function bestSoFar(best: number | null, row: ExperimentRow, goal: Goal): number | null {
  return row.status === 'keep' && row.metric !== null && (best === null || isBetter(row.metric, best, goal)) ? row.metric : best;
}

/**
 * Best-so-far curves of several runs on one x axis (the union of their experiment numbers), for
 * the run comparison. Each curve is null before its baseline, after its last experiment and where
 * its numbering has a gap (the chart spans those).
 */
export function buildCompareData(runs: readonly { rows: readonly ExperimentRow[]; goal: Goal }[]): { x: number[]; curves: (number | null)[][] } {
  const xs = new Set<number>();
  for (const r of runs) for (const row of r.rows) xs.add(row.n);
  const x = [...xs].sort((a, b) => a - b);
  const index = new Map(x.map((n, i) => [n, i]));
  const curves = runs.map(({ rows, goal }) => {
    const out = new Array<number | null>(x.length).fill(null);
    let best: number | null = null;
    for (const row of rows) {
      best = bestSoFar(best, row, goal);
      out[index.get(row.n)!] = best;
    }
    return out;
  });
  return { x, curves };
}

/** Tick steps for an experiment-number axis: whole experiments only. */
export const EXPERIMENT_INCRS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 25000, 50000, 100000];

/** Nice tick values between lo and hi, about `count` of them (for the SVG export's axes). */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}
