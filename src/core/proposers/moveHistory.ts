import type { ParamValue } from '../../shared/trace/candidate';
import { jointAxis, leadOf } from './jointMoves';
import type { HistoryEntry } from './proposer';

/** The axis an experiment moved along and its direction (see Move.axis). Pure. */
export function entryAxis(h: Pick<HistoryEntry, 'changed' | 'before'>): { axis: string; direction: number } | null {
  const names = Object.keys(h.changed);
  if (!names.length) return null;
  const sign = (from: ParamValue | undefined, to: ParamValue | undefined) => (typeof from === 'number' && typeof to === 'number' ? Math.sign(to - from) : 0);
  if (names.length > 1) {
    const lead = leadOf(names);
    return { axis: jointAxis(names), direction: sign(h.before[lead], h.changed[lead]) };
  }
  const [name] = names;
  const from = h.before[name];
  const to = h.changed[name];
  if (Array.isArray(from) && Array.isArray(to) && from.length === to.length) {
    const differ = from.flatMap((x, i) => (JSON.stringify(x) === JSON.stringify(to[i]) ? [] : [i]));
    if (differ.length === 1) return { axis: `${name}[${differ[0]}]`, direction: sign(from[differ[0]], to[differ[0]]) };
  }
  return { axis: name, direction: sign(from, to) };
}

/** What the history says about each axis: how often it was tried, which directions, which failed. */
export interface AxisStats {
  tried: Map<string, number>;
  /** Directions tried per axis (any outcome). */
  directions: Map<string, Set<number>>;
  /** Directions that failed since the axis last paid off. */
  failed: Map<string, Set<number>>;
  /** The move that last paid off, unless the same axis failed since. */
  momentum: { axis: string; direction: number } | null;
}

/** Folds the history into per-axis statistics (pure). Rejected and cached entries count as not tried. */
export function axisStats(history: readonly HistoryEntry[]): AxisStats {
  const tried = new Map<string, number>();
  const directions = new Map<string, Set<number>>();
  const failed = new Map<string, Set<number>>();
  let momentum: AxisStats['momentum'] = null;
  const setOf = (m: Map<string, Set<number>>, k: string) => m.get(k) ?? m.set(k, new Set()).get(k)!;
  for (const h of history) {
    if (h.status !== 'keep' && h.status !== 'discard' && h.status !== 'crash') continue;
    const a = entryAxis(h);
    if (!a) continue;
    tried.set(a.axis, (tried.get(a.axis) ?? 0) + 1);
    setOf(directions, a.axis).add(a.direction);
    if (h.status === 'keep') {
      momentum = a;
      failed.delete(a.axis);
    } else {
      setOf(failed, a.axis).add(a.direction);
      if (momentum?.axis === a.axis) momentum = null;
    }
  }
  const last = history[history.length - 1];
  if (last && last.status !== 'keep' && momentum && entryAxis(last)?.axis === momentum.axis) momentum = null;
  return { tried, directions, failed, momentum };
}
