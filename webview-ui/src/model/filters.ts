import { isResultStatus, type ExperimentStatus } from '../../../src/shared/trace/events';
import type { ExperimentRow } from './dashboardModel';
import type { Origin } from './levelEvents';

/**
 * The experiments filter and sort, shared by the table and the chart. Pure. `ALL` means no
 * constraint; 'results' keeps only experiments with a result (kept, discarded, crashed, cached).
 */

export const ALL = '*';

export interface Filter {
  status: typeof ALL | 'results' | ExperimentStatus;
  /** A parameter name or `edit:<file>`. */
  param: string;
  origin: typeof ALL | Origin;
  mechanism: string;
  /** Case-insensitive substring of the description, note or a touched parameter. */
  text: string;
}

export const NO_FILTER: Filter = { status: ALL, param: ALL, origin: ALL, mechanism: ALL, text: '' };

export type SortKey = 'n' | 'status' | 'metric' | 'delta' | 'description' | 'touched' | 'origin' | 'mechanisms';
export interface Sort {
  key: SortKey;
  dir: 1 | -1;
}

export const DEFAULT_SORT: Sort = { key: 'n', dir: 1 };

export function isFiltered(f: Filter): boolean {
  return f.status !== ALL || f.param !== ALL || f.origin !== ALL || f.mechanism !== ALL || f.text.trim() !== '';
}

export function rowMatcher(f: Filter): (x: ExperimentRow) => boolean {
  const text = f.text.trim().toLowerCase();
  return (x) => {
    if (f.status === 'results') {
      if (!isResultStatus(x.status)) return false;
    } else if (f.status !== ALL && x.status !== f.status) return false;
    if (f.param !== ALL && !x.touched.includes(f.param)) return false;
    if (f.origin !== ALL && x.origin !== f.origin) return false;
    if (f.mechanism !== ALL && !x.mechanisms.includes(f.mechanism)) return false;
    if (text && !`${x.description}\n${x.note}\n${x.touched.join(' ')}`.toLowerCase().includes(text)) return false;
    return true;
  };
}

export function filterRows(rows: readonly ExperimentRow[], f: Filter): ExperimentRow[] {
  if (!isFiltered(f)) return rows.slice();
  return rows.filter(rowMatcher(f));
}

const STATUS_ORDER: Record<ExperimentStatus, number> = { keep: 0, discard: 1, cached: 2, crash: 3, rejected: 4, 'proposal-failed': 5, interrupted: 6, running: 7 };
const ORIGIN_ORDER: Record<Origin, number> = { baseline: 0, L1: 1, L2: 2 };

/**
 * Sorts in place, stable, ties by n. Metric and delta sort best first for dir 1 (goal-aware), and
 * experiments without one always go last.
 */
export function sortRows(rows: ExperimentRow[], s: Sort, goal: 'minimize' | 'maximize'): ExperimentRow[] {
  const g = goal === 'minimize' ? 1 : -1;
  const num = (a: number | null, b: number | null) => (a === null ? (b === null ? 0 : 1) : b === null ? -1 : s.dir * g * (a - b));
  const cmp: (a: ExperimentRow, b: ExperimentRow) => number = (() => {
    switch (s.key) {
      case 'n':
        return (a, b) => s.dir * (a.n - b.n);
      case 'status':
        return (a, b) => s.dir * (STATUS_ORDER[a.status] - STATUS_ORDER[b.status]);
      case 'metric':
        return (a, b) => num(a.metric, b.metric);
      case 'delta':
        return (a, b) => num(a.delta, b.delta);
      case 'description':
        return (a, b) => s.dir * a.description.localeCompare(b.description);
      case 'touched':
        return (a, b) => s.dir * a.touched.join(',').localeCompare(b.touched.join(','));
      case 'origin':
        return (a, b) => s.dir * (ORIGIN_ORDER[a.origin] - ORIGIN_ORDER[b.origin]);
      case 'mechanisms':
        return (a, b) => s.dir * a.mechanisms.join(',').localeCompare(b.mechanisms.join(','));
    }
  })();
  return rows.sort((a, b) => cmp(a, b) || a.n - b.n);
}
