import { isBetter } from '../../shared/trace/goal';
import type { RunState } from '../../shared/trace/runState';

const W = 760;
const H = 340;
const PAD = { left: 72, right: 20, top: 36, bottom: 44 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (v: number) => Number(v.toFixed(2)).toString();

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
 * The run's progress as a standalone SVG (white background, so it reads in light and dark
 * markdown): every measured result as a point (kept green, discarded grey, crashes as red marks
 * along the top), and the best result so far as a step line. Pure.
 */
export function progressChartSvg(state: RunState): string {
  const results = state.experiments.filter((x) => x.status !== undefined);
  const measured = results.filter((x) => x.metric !== null);
  const metrics = measured.map((x) => x.metric!);
  const lastN = Math.max(1, ...results.map((x) => x.n));
  let lo = Math.min(...metrics);
  let hi = Math.max(...metrics);
  if (!metrics.length) [lo, hi] = [0, 1];
  if (hi === lo) [lo, hi] = [lo - Math.abs(lo || 1) * 0.01, hi + Math.abs(hi || 1) * 0.01];
  const margin = (hi - lo) * 0.06;
  [lo, hi] = [lo - margin, hi + margin];
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (n: number) => PAD.left + (n / lastN) * plotW;
  const y = (m: number) => PAD.top + ((hi - m) / (hi - lo)) * plotH;

  const parts: string[] = [];
  parts.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  parts.push(`<text x="${PAD.left}" y="22" font-size="14" font-weight="bold">${esc(`${state.tag}: ${state.metricName} per experiment (${state.goal})`)}</text>`);
  const decimals = Math.max(0, Math.min(6, 2 - Math.floor(Math.log10(Math.max(hi - lo, 1e-12) / 5))));
  for (const t of ticks(lo, hi)) {
    parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${num(y(t))}" y2="${num(y(t))}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${PAD.left - 6}" y="${num(y(t) + 4)}" font-size="11" text-anchor="end">${t.toFixed(decimals)}</text>`);
  }
  for (const t of ticks(0, lastN, Math.min(10, lastN)).filter((t) => Number.isInteger(t))) {
    parts.push(`<text x="${num(x(t))}" y="${H - PAD.bottom + 16}" font-size="11" text-anchor="middle">${t}</text>`);
  }
  parts.push(`<text x="${W - PAD.right}" y="${H - 8}" font-size="12" text-anchor="end">experiment</text>`);
  parts.push(`<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);

  // The best so far, over kept results only (what the run could have stopped with at each point).
  let best: number | null = null;
  const steps: string[] = [];
  for (const r of measured) {
    if (r.status !== 'keep' || (best !== null && !isBetter(r.metric!, best, state.goal))) continue;
    if (best !== null) steps.push(`${num(x(r.n))},${num(y(best))}`);
    best = r.metric!;
    steps.push(`${num(x(r.n))},${num(y(best))}`);
  }
  if (best !== null) steps.push(`${num(x(lastN))},${num(y(best))}`);
  if (steps.length) parts.push(`<polyline points="${steps.join(' ')}" fill="none" stroke="#1a7f37" stroke-width="2"/>`);

  for (const r of measured) {
    const kept = r.status === 'keep';
    parts.push(`<circle cx="${num(x(r.n))}" cy="${num(y(r.metric!))}" r="${kept ? 5 : 3.5}" fill="${kept ? '#1a7f37' : '#8c959f'}"><title>${esc(`#${r.n} ${r.status} ${r.metric}: ${r.description ?? ''}`)}</title></circle>`);
  }
  for (const r of results.filter((x) => x.metric === null)) {
    const cx = x(r.n);
    parts.push(`<path d="M${num(cx - 4)},${PAD.top + 4} l8,8 m0,-8 l-8,8" stroke="#cf222e" stroke-width="2"><title>${esc(`#${r.n} ${r.status}: ${r.description ?? ''}`)}</title></path>`);
  }
  const legend = [
    ['#1a7f37', 'kept'],
    ['#8c959f', 'discarded'],
    ['#cf222e', 'crashed (no metric)'],
  ];
  legend.forEach(([color, label], i) => {
    const lx = PAD.left + i * 90;
    parts.push(`<circle cx="${lx}" cy="${H - 12}" r="4" fill="${color}"/><text x="${lx + 8}" y="${H - 8}" font-size="11">${label}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">\n${parts.join('\n')}\n</svg>\n`;
}
