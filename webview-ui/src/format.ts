import type { ParamValue } from '../../src/shared/trace/candidate';

/** Text formatting shared by the views. Pure. */

export function fmtMetric(m: number | null | undefined): string {
  if (m === null || m === undefined || !Number.isFinite(m)) return '—';
  const a = Math.abs(m);
  if (a !== 0 && (a < 1e-4 || a >= 1e6)) return m.toExponential(3);
  return m.toFixed(a >= 100 ? 2 : a >= 10 ? 4 : 6).replace(/(\.\d*?[1-9])0+$|\.0+$/, '$1');
}

export function fmtDelta(d: number | null | undefined): string {
  if (d === null || d === undefined || !Number.isFinite(d)) return '—';
  if (d === 0) return '±0';
  return `${d > 0 ? '+' : '−'}${fmtMetric(Math.abs(d))}`;
}

/** Whether a delta is an improvement under the goal. */
export function deltaClass(d: number | null | undefined, goal: 'minimize' | 'maximize'): '' | 'better' | 'worse' {
  if (d === null || d === undefined || !Number.isFinite(d) || d === 0) return '';
  return (goal === 'minimize' ? d < 0 : d > 0) ? 'better' : 'worse';
}

export function fmtPercent(x: number): string {
  return `${Math.round(x * 100)}%`;
}

export function fmtValue(v: ParamValue | undefined): string {
  if (v === undefined) return '—';
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x) => fmtValue(x)).join(', ')}]`;
  return String(v);
}

export function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}

export function fmtChanges(changes: readonly { name: string; from: ParamValue | undefined; to: ParamValue }[]): string {
  return changes.map((c) => (c.from === undefined ? `${c.name}=${fmtValue(c.to)}` : `${c.name} ${fmtValue(c.from)}→${fmtValue(c.to)}`)).join(', ');
}

export const STATUS_LABEL: Record<string, string> = {
  keep: 'kept',
  discard: 'discarded',
  crash: 'crashed',
  cached: 'cached',
  rejected: 'rejected',
  'proposal-failed': 'proposal failed',
  interrupted: 'interrupted',
  running: 'running',
};
