import type { ParamValue } from '../../../src/shared/trace/candidate';
import type { Goal } from '../../../src/shared/trace/goal';
import { metricRange } from '../chart/progressData';
import { fmtValue } from '../format';
import type { ExperimentRow } from './dashboardModel';

/**
 * The slice view's data: for one parameter, its value in each trained experiment (x) against the
 * metric (y). Numbers spanning more than 10× go on a log scale, anything that is not a number (a
 * string, a list, a boolean) on categories in order of first appearance. Pure.
 */

export type SliceStatus = 'keep' | 'discard' | 'crash';
export type SliceScale = 'linear' | 'log' | 'category';

export interface SlicePoint {
  n: number;
  status: SliceStatus;
  /** The parameter's value as shown in the tooltip. */
  label: string;
  /** Position on the x scale: the value, its log10, or the category index plus a small spread. */
  x: number;
  /** The metric, or the worse edge for crashes and far outliers (as the progress chart pins them). */
  y: number;
  metric: number | null;
  pinned: boolean;
}

export interface ParameterSlice {
  name: string;
  scale: SliceScale;
  /** The category labels, index = x (category scale only). */
  categories: string[];
  points: SlicePoint[];
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
  /** The best result's point, when it is among them. */
  best: SlicePoint | null;
}

const TRAINED = new Set<string>(['keep', 'discard', 'crash']);
const isTrained = (r: ExperimentRow): r is ExperimentRow & { status: SliceStatus } => TRAINED.has(r.status);

/** The parameters a trained experiment changed (free-form edits are not parameters), most often changed first. */
export function sliceParameters(rows: readonly ExperimentRow[]): string[] {
  const times = new Map<string, number>();
  for (const r of rows) if (isTrained(r)) for (const c of r.changes) times.set(c.name, (times.get(c.name) ?? 0) + 1);
  return [...times.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([name]) => name);
}

/** A deterministic spread in [-0.25, 0.25] so that points of one category do not all sit on one line. */
const spread = (n: number) => (((n * 0.6180339887) % 1) - 0.5) * 0.5;

/** `paramsOf` gives the configuration a row trained; a baseline's is known only from the experiments built on it (RunModel.paramsOf). */
export function parameterSlice(
  rows: readonly ExperimentRow[],
  name: string,
  goal: Goal,
  bestN: number | null,
  paramsOf: (row: ExperimentRow) => Record<string, ParamValue> | null = (row) => row.params,
): ParameterSlice {
  const trained: { row: ExperimentRow & { status: SliceStatus }; value: ParamValue }[] = [];
  for (const r of rows) {
    if (!isTrained(r)) continue;
    const value = paramsOf(r)?.[name];
    if (value !== undefined) trained.push({ row: r, value });
  }
  const numbers = trained.every((t) => typeof t.value === 'number' && Number.isFinite(t.value));
  let lo = Infinity;
  let hi = -Infinity;
  if (numbers) for (const t of trained) [lo, hi] = [Math.min(lo, t.value as number), Math.max(hi, t.value as number)];
  const scale: SliceScale = !numbers ? 'category' : lo > 0 && hi / lo > 10 ? 'log' : 'linear';

  const categories: string[] = [];
  const index = new Map<string, number>();
  const position = (value: ParamValue, n: number): { x: number; label: string } => {
    const label = fmtValue(value);
    if (scale === 'log') return { x: Math.log10(value as number), label };
    if (scale === 'linear') return { x: value as number, label };
    let i = index.get(label);
    if (i === undefined) index.set(label, (i = categories.push(label) - 1));
    return { x: i + spread(n), label };
  };

  const range = metricRange(rows, goal);
  const beyond = (m: number) => (goal === 'minimize' ? m > range.pinAt : m < range.pinAt);
  const points = trained.map(({ row, value }): SlicePoint => {
    const { x, label } = position(value, row.n);
    const pinned = row.metric === null || !Number.isFinite(row.metric) || beyond(row.metric);
    return { n: row.n, status: row.status, label, x, y: pinned ? range.pinAt : row.metric!, metric: row.metric, pinned };
  });

  let [xMin, xMax] = scale === 'category' ? [-0.5, Math.max(0, categories.length - 1) + 0.5] : scale === 'log' ? [Math.log10(lo), Math.log10(hi)] : [lo, hi];
  if (!points.length) [xMin, xMax] = [0, 1];
  if (scale !== 'category') {
    // A margin so edge points are not cut; one value alone gets a unit-wide range around it.
    const pad = (xMax - xMin) * 0.05 || Math.abs(xMin) * 0.1 || 0.5;
    [xMin, xMax] = [xMin - pad, xMax + pad];
  }
  return { name, scale, categories, points, xMin, xMax, yMin: range.lo, yMax: range.hi, best: points.find((p) => p.n === bestN && p.status === 'keep') ?? null };
}
