import { RESULT_STATUSES, type ResultStatus } from '../../../src/shared/trace/events';
import { STATUS_LABEL } from '../format';
import type { Palette } from '../theme';
import type { MechanismSpan, ProgressInput } from './progressChart';
import { niceTicks } from './progressData';

/**
 * Exports of the progress chart. SVG is rebuilt from the data (vector, every point an element with
 * its data-n, zoom respected), PNG is the live canvas composed onto the theme's background with a
 * title and legend. The SVG builder is pure (a string), so it is unit-testable without a DOM.
 */

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const r2 = (v: number) => Math.round(v * 100) / 100;

export interface SvgOptions {
  width: number;
  height: number;
  title: string;
  /** The visible x range (the zoom); defaults to all experiments. */
  xMin?: number;
  xMax?: number;
}

type Colors = Pick<Palette, 'background' | 'foreground' | 'muted' | 'grid' | 'keep' | 'discard' | 'crash' | 'cached' | 'best' | 'strategy' | 'mechanism' | 'spans' | 'fontFamily'>;

export function progressSvg(input: ProgressInput, colors: Colors, o: SvgOptions): string {
  const d = input.data;
  const W = o.width;
  const H = o.height;
  const m = { l: 72, r: 16, t: 48, b: 44 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const x0 = o.xMin ?? (d.x.length ? d.x[0] - 0.5 : 0);
  const x1 = o.xMax ?? (d.x.length ? d.x[d.x.length - 1] + 0.5 : 1);
  const sx = (v: number) => r2(m.l + ((v - x0) / (x1 - x0 || 1)) * pw);
  const sy = (v: number) => r2(m.t + (1 - (v - d.yMin) / (d.yMax - d.yMin || 1)) * ph);
  const inX = (v: number) => v >= x0 && v <= x1;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${esc(colors.fontFamily)}" font-size="11">`);
  out.push(`<rect class="background" width="${W}" height="${H}" fill="${esc(colors.background)}"/>`);
  out.push(`<text x="${m.l}" y="18" font-size="13" font-weight="600" fill="${esc(colors.foreground)}">${esc(o.title)}</text>`);
  out.push(`<defs><clipPath id="plot"><rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}"/></clipPath></defs>`);

  // Legend.
  let lx = m.l;
  const legend: [string, string][] = [...RESULT_STATUSES.map((s): [string, string] => [STATUS_LABEL[s], colors[s]]), ['best so far', colors.best]];
  for (const [label, color] of legend) {
    out.push(`<circle cx="${lx + 4}" cy="33" r="4" fill="${esc(color)}"/><text x="${lx + 12}" y="37" fill="${esc(colors.muted)}">${esc(label)}</text>`);
    lx += 18 + label.length * 6.5;
  }

  // Spans, grid, axes.
  out.push(`<g class="spans" clip-path="url(#plot)">`);
  for (const s of input.spans) out.push(spanRect(s, sx, m.t, ph, colors));
  out.push('</g><g class="grid" stroke="' + esc(colors.grid) + '" stroke-width="0.5">');
  const yt = niceTicks(d.yMin, d.yMax, 6).filter((v) => v >= d.yMin && v <= d.yMax);
  const xt = niceTicks(x0, x1, 8).filter((v) => v >= x0 && v <= x1 && Number.isInteger(v));
  for (const v of yt) out.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${sy(v)}" y2="${sy(v)}"/>`);
  for (const v of xt) out.push(`<line x1="${sx(v)}" x2="${sx(v)}" y1="${m.t}" y2="${m.t + ph}"/>`);
  out.push('</g><g class="axes" fill="' + esc(colors.muted) + '">');
  for (const v of yt) out.push(`<text x="${m.l - 6}" y="${sy(v) + 4}" text-anchor="end">${esc(String(v))}</text>`);
  for (const v of xt) out.push(`<text x="${sx(v)}" y="${m.t + ph + 16}" text-anchor="middle">${v}</text>`);
  out.push(`<text x="${m.l + pw / 2}" y="${H - 8}" text-anchor="middle">experiment</text>`);
  out.push(`<text transform="translate(14 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(`${input.metricName} (${input.goal === 'minimize' ? 'lower' : 'higher'} is better)`)}</text>`);
  out.push('</g>');

  // Points, beneath the best line except kept ones.
  const points = (s: ResultStatus) => {
    const ys = d.series[s];
    const g: string[] = [];
    const color = esc(colors[s]);
    const attrs = s === 'discard' ? `fill="${color}" fill-opacity="0.55"` : s === 'keep' ? `fill="${color}" stroke="${esc(colors.background)}"` : s === 'cached' ? `fill="none" stroke="${color}" stroke-width="1.5"` : `stroke="${color}" stroke-width="1.5"`;
    g.push(`<g class="points ${s}" ${attrs}>`);
    for (let i = 0; i < ys.length; i++) {
      const y = ys[i];
      if (y === null || !inX(d.x[i])) continue;
      const cx = sx(d.x[i]);
      const cy = sy(y);
      if (s === 'crash') g.push(`<path data-n="${d.x[i]}" d="M${r2(cx - 3.5)} ${r2(cy - 3.5)}l7 7m0 -7l-7 7"/>`);
      else g.push(`<circle data-n="${d.x[i]}" cx="${cx}" cy="${cy}" r="${s === 'keep' ? 4 : s === 'cached' ? 3.5 : 2.5}"/>`);
    }
    g.push('</g>');
    return g.join('');
  };
  out.push(`<g clip-path="url(#plot)">`);
  for (const s of ['discard', 'cached', 'crash'] as const) out.push(points(s));
  // Best so far: a step line (the value holds until the next experiment).
  let path = '';
  let prev: { x: number; y: number } | null = null;
  for (let i = 0; i < d.x.length; i++) {
    const v = d.best[i];
    if (v === null) continue;
    const px = sx(d.x[i]);
    const py = sy(v);
    path += prev ? `H${px}V${py}` : `M${px} ${py}`;
    prev = { x: px, y: py };
  }
  if (path) out.push(`<path class="best" d="${path}" fill="none" stroke="${esc(colors.best)}" stroke-width="2"/>`);
  out.push(points('keep'));
  out.push('</g>');

  // Markers.
  out.push('<g class="markers" stroke-width="1.5" stroke-dasharray="4 3">');
  for (const mk of input.markers) {
    if (!inX(mk.x)) continue;
    const x = sx(mk.x);
    out.push(`<line class="marker ${mk.kind}" x1="${x}" x2="${x}" y1="${m.t}" y2="${m.t + ph}" stroke="${esc(mk.kind === 'strategy' ? colors.strategy : colors.mechanism)}"><title>${esc(`${mk.label}: ${mk.detail}`)}</title></line>`);
  }
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n');
}

function spanRect(s: MechanismSpan, sx: (v: number) => number, top: number, ph: number, colors: Colors): string {
  const a = sx(s.from);
  const b = sx(s.to);
  const color = esc(colors.spans[s.color % colors.spans.length]);
  return `<rect class="span" data-mechanism="${esc(s.name)}" x="${a}" y="${top}" width="${r2(Math.max(0, b - a))}" height="${ph}" fill="${color}" fill-opacity="0.12"><title>${esc(s.name)} active</title></rect>`;
}

/** The live chart canvas on the theme's background, with a title and legend strip above it. */
export function progressPng(plotCanvas: HTMLCanvasElement, palette: Palette, title: string, legend: { label: string; color: string }[]): string {
  const pr = window.devicePixelRatio || 1;
  const head = Math.round(44 * pr);
  const c = document.createElement('canvas');
  c.width = plotCanvas.width;
  c.height = plotCanvas.height + head;
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = palette.background;
  ctx.fillRect(0, 0, c.width, c.height);
  ctx.fillStyle = palette.foreground;
  ctx.font = `600 ${Math.round(13 * pr)}px ${palette.fontFamily}`;
  ctx.fillText(title, 8 * pr, 17 * pr);
  ctx.font = `${Math.round(11 * pr)}px ${palette.fontFamily}`;
  let x = 8 * pr;
  for (const item of legend) {
    ctx.fillStyle = item.color;
    ctx.beginPath();
    ctx.arc(x + 4 * pr, 33 * pr, 4 * pr, 0, 2 * Math.PI);
    ctx.fill();
    ctx.fillStyle = palette.muted;
    ctx.fillText(item.label, x + 12 * pr, 37 * pr);
    x += 20 * pr + ctx.measureText(item.label).width;
  }
  ctx.drawImage(plotCanvas, 0, head);
  return c.toDataURL('image/png');
}
