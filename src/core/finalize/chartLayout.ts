import { isBetter } from '../../shared/trace/goal';
import type { RunState } from '../../shared/trace/runState';

/** The progress chart as geometry (pixels, origin top left): what the SVG and the PNG both draw. */
export interface ChartLayout {
  width: number;
  height: number;
  title: string;
  plot: { left: number; top: number; right: number; bottom: number };
  yTicks: { y: number; label: string }[];
  xTicks: { x: number; label: string }[];
  /** The best result so far, as a step line over kept results. */
  bestLine: [number, number][];
  points: { x: number; y: number; kept: boolean; title: string }[];
  /** Results without a metric (crashes), marked along the top. */
  crashes: { x: number; title: string }[];
}

export const CHART_COLORS = { kept: '#1a7f37', discarded: '#8c959f', crash: '#cf222e', grid: '#e4e4e4', frame: '#999999', text: '#000000', background: '#ffffff' };

/** Round tick values spanning [lo, hi]: 1, 2 or 5 times a power of ten apart. */
function ticks(lo: number, hi: number, count = 5): number[] {
  if (hi === lo) return [lo];
  const raw = (hi - lo) / count;
  const step = [1, 2, 5, 10].map((m) => m * 10 ** Math.floor(Math.log10(raw))).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/**
 * Where everything of the chart goes: every decided experiment at its number, the measured ones at
 * their metric (y grows downward, so a minimized metric improving goes down), and the best so far.
 * Pure.
 */
export function progressChartLayout(state: RunState, width = 760, height = 340): ChartLayout {
  const plot = { left: 72, top: 36, right: width - 20, bottom: height - 44 };
  const results = state.experiments.filter((x) => x.status !== undefined);
  const measured = results.filter((x) => x.metric !== null);
  const metrics = measured.map((x) => x.metric!);
  const lastN = Math.max(1, ...results.map((x) => x.n));
  let [lo, hi] = metrics.length ? [Math.min(...metrics), Math.max(...metrics)] : [0, 1];
  if (hi === lo) [lo, hi] = [lo - Math.abs(lo || 1) * 0.01, hi + Math.abs(hi || 1) * 0.01];
  const margin = (hi - lo) * 0.06;
  [lo, hi] = [lo - margin, hi + margin];
  const x = (n: number) => plot.left + (n / lastN) * (plot.right - plot.left);
  const y = (m: number) => plot.top + ((hi - m) / (hi - lo)) * (plot.bottom - plot.top);
  const decimals = Math.max(0, Math.min(6, 2 - Math.floor(Math.log10((hi - lo) / 5))));

  const bestLine: [number, number][] = [];
  let best: number | null = null;
  for (const r of measured) {
    if (r.status !== 'keep' || (best !== null && !isBetter(r.metric!, best, state.goal))) continue;
    if (best !== null) bestLine.push([x(r.n), y(best)]);
    best = r.metric!;
    bestLine.push([x(r.n), y(best)]);
  }
  if (best !== null) bestLine.push([x(lastN), y(best)]);

  return {
    width,
    height,
    title: `${state.tag}: ${state.metricName} per experiment (${state.goal})`,
    plot,
    yTicks: ticks(lo, hi).map((t) => ({ y: y(t), label: t.toFixed(decimals) })),
    xTicks: ticks(0, lastN, Math.min(10, lastN))
      .filter((t) => Number.isInteger(t))
      .map((t) => ({ x: x(t), label: String(t) })),
    bestLine,
    points: measured.map((r) => ({ x: x(r.n), y: y(r.metric!), kept: r.status === 'keep', title: `#${r.n} ${r.status} ${r.metric}: ${r.description ?? ''}` })),
    crashes: results.filter((r) => r.metric === null).map((r) => ({ x: x(r.n), title: `#${r.n} ${r.status}: ${r.description ?? ''}` })),
  };
}
