import uPlot from 'uplot';
import { h } from '../dom';
import { deltaClass, fmtChanges, fmtDelta, fmtMetric, STATUS_LABEL } from '../format';
import { RESULT_STATUSES, type ResultStatus } from '../../../src/shared/trace/events';
import type { ExperimentRow } from '../model/dashboardModel';
import type { ChartMarker } from '../model/levelEvents';
import { confidenceLabel, noiseMultiple } from '../model/parameterImportance';
import type { Palette } from '../theme';
import { themedAxis } from './themedAxis';
import { EXPERIMENT_INCRS } from './progressData';
import type { ProgressData } from './progressData';

/**
 * The progress chart: autoresearch's progress.png, live. uPlot draws on one canvas (10,000 points
 * redraw in a few ms); each status is its own point series with its own marker, the best-so-far a
 * step line, mechanism spans shaded beneath and review/research markers drawn over. Hover finds
 * the nearest point in screen space; click asks to open its diff. Drag zooms x, double-click resets.
 */

export interface MechanismSpan {
  name: string;
  /** Index into the palette's span colors (stable per mechanism). */
  color: number;
  from: number;
  to: number;
}

export interface ProgressInput {
  data: ProgressData;
  markers: readonly ChartMarker[];
  spans: readonly MechanismSpan[];
  metricName: string;
  goal: 'minimize' | 'maximize';
  /** How much the metric moves when nothing changes: drawn as a band on the worse side of the best-so-far line. */
  noiseFloor?: number | null;
}

export interface Hit {
  idx: number;
  status: ResultStatus;
}

/** Series order = draw order: discarded beneath, kept on top. */
const ORDER: readonly ResultStatus[] = ['discard', 'cached', 'crash', 'keep'];
type Shape = 'dot' | 'ring' | 'cross' | 'disc';
const SHAPE: Record<ResultStatus, { shape: Shape; size: number }> = {
  discard: { shape: 'dot', size: 6 },
  cached: { shape: 'ring', size: 7 },
  crash: { shape: 'cross', size: 7 },
  keep: { shape: 'disc', size: 8 },
};
const HIT_RADIUS = 8;

export class ProgressChart {
  readonly el: HTMLElement;
  private readonly plotEl: HTMLElement;
  private readonly tooltip: HTMLElement;
  private readonly ring: HTMLElement;
  private u: uPlot | null = null;
  private input: ProgressInput | null = null;
  private palette: Palette;
  private hit: Hit | null = null;
  private zoomed = false;
  private down: { x: number; y: number } | null = null;
  private width = 0;
  private readonly height: number;

  constructor(
    palette: Palette,
    private readonly onOpen: (n: number) => void,
    opts: { height?: number } = {},
  ) {
    this.palette = palette;
    this.height = opts.height ?? 320;
    this.plotEl = h('div', { class: 'chart-plot' });
    this.tooltip = h('div', { class: 'chart-tooltip', role: 'tooltip', hidden: true });
    this.ring = h('div', { class: 'chart-ring', hidden: true });
    this.el = h('div', { class: 'progress-chart', 'data-testid': 'progress-chart' }, this.plotEl, this.ring, this.tooltip);
    new ResizeObserver(() => this.resize()).observe(this.el);
  }

  /** The uPlot instance (for exports). */
  get plot(): uPlot | null {
    return this.u;
  }

  get current(): ProgressInput | null {
    return this.input;
  }

  setPalette(p: Palette): void {
    this.palette = p;
    // Fonts are fixed at creation in uPlot: rebuild (theme switches are rare).
    this.u?.destroy();
    this.u = null;
    if (this.input) this.update(this.input);
  }

  update(input: ProgressInput): void {
    const metricChanged = this.input?.metricName !== input.metricName || this.input?.goal !== input.goal;
    this.input = input;
    const d = input.data;
    const aligned: uPlot.AlignedData = [d.x, ...ORDER.map((s) => d.series[s]), d.best];
    const c = this.el.dataset;
    for (const s of RESULT_STATUSES) c[`points${s[0].toUpperCase()}${s.slice(1)}`] = String(d.counts[s]);
    c.bestPoints = String(d.best.filter((v) => v !== null).length);
    c.bestSteps = String(new Set(d.best.filter((v) => v !== null)).size);
    c.markers = String(input.markers.length);
    c.spans = String(input.spans.length);
    c.pinned = String(d.pinned);
    if (!this.u || metricChanged) {
      this.u?.destroy();
      this.u = this.create(aligned);
    } else {
      this.u.setData(aligned, !this.zoomed);
      if (this.zoomed) this.u.setScale('y', { min: d.yMin, max: d.yMax });
    }
    this.setHit(null);
  }

  private resize(): void {
    const w = Math.floor(this.el.clientWidth);
    if (!w || w === this.width) return;
    this.width = w;
    this.u?.setSize({ width: w, height: this.height });
  }

  private create(data: uPlot.AlignedData): uPlot {
    const p = () => this.palette;
    const input = this.input!;
    this.width = Math.max(200, Math.floor(this.el.clientWidth) || 800);
    const axis = (label: string, size?: number) => themedAxis(p, label, size);
    const pointSeries = (s: ResultStatus): uPlot.Series => {
      const color = () => p()[s];
      return {
        label: STATUS_LABEL[s],
        paths: () => null,
        stroke: color,
        points: {
          show: true,
          size: SHAPE[s].size,
          width: s === 'keep' ? 1 : s === 'discard' ? 0 : 1.5,
          stroke: s === 'keep' ? () => p().background : color,
          fill: color,
          paths: markerPaths(SHAPE[s].shape, SHAPE[s].size),
        },
        // Muted, yet readable on dark and high-contrast backgrounds (the color is descriptionForeground there).
        alpha: s === 'discard' ? 0.8 : 1,
      };
    };
    const opts: uPlot.Options = {
      width: this.width,
      height: this.height,
      pxAlign: false,
      legend: { show: false },
      cursor: { x: false, y: false, points: { show: false }, drag: { x: true, y: false, setScale: true, dist: 5 } },
      scales: {
        x: { time: false, range: (_u, min, max) => [min - 0.5, Math.max(max + 0.5, min + 1)] },
        y: { range: () => [this.input!.data.yMin, this.input!.data.yMax] },
      },
      axes: [{ ...axis('experiment'), incrs: EXPERIMENT_INCRS }, axis(`${input.metricName} (${input.goal === 'minimize' ? 'lower' : 'higher'} is better)`, 64)],
      series: [
        {},
        ...ORDER.map(pointSeries),
        {
          label: 'best so far',
          stroke: () => p().best,
          width: 2,
          spanGaps: true,
          paths: uPlot.paths.stepped!({ align: 1 }),
          points: { show: false },
        },
      ],
      hooks: {
        drawClear: [(u) => this.drawSpans(u), (u) => this.drawNoiseBand(u)],
        draw: [(u) => this.drawMarkers(u)],
        setCursor: [(u) => this.onCursor(u)],
        setScale: [(u, key) => {
          if (key !== 'x') return;
          // Zoomed: the x range no longer covers every experiment (drag zooms, double-click resets).
          const xs = this.input?.data.x ?? [];
          const min = u.scales.x.min ?? 0;
          const max = u.scales.x.max ?? 0;
          this.zoomed = xs.length > 0 && (min > xs[0] - 0.5 + 1e-6 || max < xs[xs.length - 1] + 0.5 - 1e-6);
          this.el.dataset.zoomed = String(this.zoomed);
          this.el.dataset.xRange = `${Math.round(min * 10) / 10},${Math.round(max * 10) / 10}`;
        }],
      },
    };
    const u = new uPlot(opts, data, this.plotEl);
    u.over.addEventListener('mousedown', (e) => (this.down = { x: e.clientX, y: e.clientY }));
    u.over.addEventListener('click', (e) => {
      const moved = this.down && Math.hypot(e.clientX - this.down.x, e.clientY - this.down.y) > 4;
      this.down = null;
      if (moved || !this.hit) return;
      this.onOpen(this.input!.data.x[this.hit.idx]);
    });
    u.over.addEventListener('mouseleave', () => this.setHit(null));
    return u;
  }

  private drawSpans(u: uPlot): void {
    const input = this.input;
    if (!input?.spans.length) return;
    const ctx = clippedToPlot(u);
    const { top, height } = u.bbox;
    const lanes = new Map<string, number>();
    for (const s of input.spans) {
      if (!lanes.has(s.name)) lanes.set(s.name, lanes.size);
      const x0 = u.valToPos(s.from, 'x', true);
      const x1 = u.valToPos(s.to, 'x', true);
      const color = this.palette.spans[s.color % this.palette.spans.length];
      ctx.fillStyle = color;
      ctx.globalAlpha = this.palette.kind.startsWith('high-contrast') ? 0.22 : 0.12;
      ctx.fillRect(x0, top, x1 - x0, height);
      // A solid strip per mechanism along the top edge tells overlapping spans apart.
      ctx.globalAlpha = 0.9;
      const lane = lanes.get(s.name)!;
      const strip = 3 * uPlot.pxRatio;
      ctx.fillRect(x0, top + lane * (strip + uPlot.pxRatio), x1 - x0, strip);
    }
    ctx.restore();
  }

  /**
   * The noise floor as a band from the best-so-far line one floor towards worse: a result inside it
   * is no better than the best by more than chance.
   */
  private drawNoiseBand(u: uPlot): void {
    const input = this.input;
    const floor = input?.noiseFloor;
    if (!input || !floor || !(floor > 0)) return;
    const { x, best } = input.data;
    const worse = input.goal === 'minimize' ? floor : -floor;
    const ctx = clippedToPlot(u);
    ctx.fillStyle = this.palette.best;
    ctx.globalAlpha = this.palette.kind.startsWith('high-contrast') ? 0.28 : 0.14;
    // One rectangle per step of the best line (the line steps at each new best).
    let i = 0;
    while (i < x.length) {
      const b = best[i];
      let j = i + 1;
      while (j < x.length && best[j] === b) j++;
      if (b !== null) {
        const x0 = u.valToPos(x[i] - 0.5, 'x', true);
        const x1 = u.valToPos((j < x.length ? x[j] : x[x.length - 1] + 1) - 0.5, 'x', true);
        const y0 = u.valToPos(b, 'y', true);
        const y1 = u.valToPos(b + worse, 'y', true);
        ctx.fillRect(x0, Math.min(y0, y1), x1 - x0, Math.abs(y1 - y0));
      }
      i = j;
    }
    ctx.restore();
    this.el.dataset.noiseFloor = String(floor);
  }

  private drawMarkers(u: uPlot): void {
    const input = this.input;
    if (!input?.markers.length) return;
    const { ctx } = u;
    const { top, height, left, width } = u.bbox;
    const pr = uPlot.pxRatio;
    ctx.save();
    ctx.lineWidth = 1.5 * pr;
    ctx.setLineDash([4 * pr, 3 * pr]);
    // Mechanism markers first, strategy reviews over them with their flag at the bottom edge and a
    // dash offset: at the same x (a review and research after one iteration) both stay visible.
    const ordered = [...input.markers].sort((a, b) => Number(a.kind === 'strategy') - Number(b.kind === 'strategy'));
    for (const m of ordered) {
      const x = Math.round(u.valToPos(m.x, 'x', true)) + 0.5;
      ctx.lineDashOffset = m.kind === 'strategy' ? 3.5 * pr : 0;
      if (x < left || x > left + width) continue;
      ctx.strokeStyle = m.kind === 'strategy' ? this.palette.strategy : this.palette.mechanism;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      // A small flag: ▲ at the bottom for a strategy review, ◆ on top for mechanism research.
      ctx.fillStyle = ctx.strokeStyle;
      ctx.beginPath();
      const s = 5 * pr;
      if (m.kind === 'strategy') {
        ctx.moveTo(x - s, top + height);
        ctx.lineTo(x + s, top + height);
        ctx.lineTo(x, top + height - s * 1.4);
      } else {
        ctx.moveTo(x, top);
        ctx.lineTo(x + s, top + s);
        ctx.lineTo(x, top + 2 * s);
        ctx.lineTo(x - s, top + s);
      }
      ctx.closePath();
      ctx.fill();
    }
    ctx.restore();
  }

  /** Nearest visible point to the cursor in screen space, within HIT_RADIUS css px. */
  private findHit(u: uPlot, left: number, top: number): Hit | null {
    const d = this.input?.data;
    if (!d || !d.x.length) return null;
    const xs = d.x;
    const v0 = u.posToVal(left - HIT_RADIUS, 'x');
    const v1 = u.posToVal(left + HIT_RADIUS, 'x');
    let i = lowerBound(xs, v0);
    let bestD = HIT_RADIUS * HIT_RADIUS;
    let hit: Hit | null = null;
    for (; i < xs.length && xs[i] <= v1; i++) {
      const px = u.valToPos(xs[i], 'x');
      for (let k = ORDER.length - 1; k >= 0; k--) {
        const s = ORDER[k];
        const y = d.series[s][i];
        if (y === null) continue;
        const py = u.valToPos(y, 'y');
        const dist = (px - left) ** 2 + (py - top) ** 2;
        if (dist < bestD) {
          bestD = dist;
          hit = { idx: i, status: s };
        }
      }
    }
    return hit;
  }

  /** The markers under the cursor: a strategy review and mechanism research can share an x. */
  private markersAt(u: uPlot, left: number): ChartMarker[] {
    return (this.input?.markers ?? []).filter((m) => Math.abs(u.valToPos(m.x, 'x') - left) <= 3);
  }

  private onCursor(u: uPlot): void {
    const { left, top } = u.cursor;
    if (left === undefined || top === undefined || left < 0 || top < 0) return this.setHit(null);
    const hit = this.findHit(u, left, top);
    if (hit) return this.setHit(hit);
    const ms = this.markersAt(u, left);
    if (ms.length) return this.showTip(left, top, ms.flatMap((m) => [h('div', { class: 'tip-title' }, m.label), m.detail && h('div', { class: 'tip-detail' }, m.detail)]));
    this.setHit(null);
  }

  private setHit(hit: Hit | null): void {
    this.hit = hit;
    const u = this.u;
    const input = this.input;
    this.el.classList.toggle('has-hit', !!hit);
    if (!hit || !u || !input) {
      this.ring.hidden = true;
      this.tooltip.hidden = true;
      return;
    }
    const row = input.data.rows[hit.idx];
    const y = input.data.series[hit.status][hit.idx]!;
    const off = this.overOffset(u);
    const px = u.valToPos(row.n, 'x');
    const py = u.valToPos(y, 'y');
    this.ring.hidden = false;
    this.ring.style.transform = `translate(${off.x + px}px, ${off.y + py}px)`;
    this.showTip(px, py, tooltipContent(row, input.goal, input.noiseFloor ?? null));
  }

  private showTip(px: number, py: number, content: (Node | string | null | false | '')[]): void {
    const u = this.u!;
    const off = this.overOffset(u);
    this.tooltip.replaceChildren(...content.filter((c): c is Node | string => !!c));
    this.tooltip.hidden = false;
    const tw = this.tooltip.offsetWidth;
    const th = this.tooltip.offsetHeight;
    const W = this.el.clientWidth;
    let x = off.x + px + 14;
    if (x + tw > W - 4) x = off.x + px - 14 - tw;
    let y = off.y + py - th - 10;
    if (y < 0) y = off.y + py + 14;
    this.tooltip.style.transform = `translate(${Math.max(0, x)}px, ${y}px)`;
  }

  private overOffset(u: uPlot): { x: number; y: number } {
    const a = u.over.getBoundingClientRect();
    const b = this.el.getBoundingClientRect();
    return { x: a.left - b.left, y: a.top - b.top };
  }

  /** Where experiment n's point is on the page (client px), or null when it is not drawn. */
  pointPosition(n: number): { x: number; y: number; status: ResultStatus } | null {
    const u = this.u;
    const d = this.input?.data;
    if (!u || !d) return null;
    const i = lowerBound(d.x, n);
    if (d.x[i] !== n) return null;
    for (const s of ORDER) {
      const y = d.series[s][i];
      if (y === null) continue;
      const r = u.over.getBoundingClientRect();
      return { x: r.left + u.valToPos(n, 'x'), y: r.top + u.valToPos(y, 'y'), status: s };
    }
    return null;
  }

  resetZoom(): void {
    this.zoomed = false;
    if (this.u && this.input) this.u.setData(this.u.data, true);
  }
}

function tooltipContent(row: ExperimentRow, goal: 'minimize' | 'maximize', noiseFloor: number | null): (Node | string | null | false | '')[] {
  const changes = fmtChanges(row.changes);
  const confidence = row.status === 'keep' && !row.baseline ? confidenceLabel(noiseMultiple(row.delta, noiseFloor, goal)) : '';
  return [
    h('div', { class: 'tip-title' }, h('span', { class: `status-dot ${row.status}` }), `#${row.n} · ${STATUS_LABEL[row.status]}`),
    h('div', { class: 'tip-desc' }, row.description || '(no description)'),
    h(
      'div',
      { class: 'tip-metric' },
      `metric ${fmtMetric(row.metric)}`,
      row.delta !== null && h('span', { class: `delta ${deltaClass(row.delta, goal)}` }, ` Δ ${fmtDelta(row.delta)}`),
      confidence && ` · ${confidence}`,
    ),
    changes && h('div', { class: 'tip-detail' }, changes),
    row.proposedBy && h('div', { class: 'tip-detail' }, `proposed by ${row.proposedBy} (level 2)`),
    row.mechanisms.length > 0 && h('div', { class: 'tip-detail' }, `shaped by ${row.mechanisms.join(', ')}`),
    row.note && h('div', { class: 'tip-detail' }, row.note),
    h('div', { class: 'tip-hint' }, 'click to open the diff'),
  ];
}

/** The canvas context, saved and clipped to the plot area (the caller restores it). */
function clippedToPlot(u: uPlot): CanvasRenderingContext2D {
  const { ctx } = u;
  const { left, top, width, height } = u.bbox;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  return ctx;
}

function lowerBound(xs: readonly number[], v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A uPlot points path builder drawing one marker shape, in canvas pixels, clipped to the plot. */
function markerPaths(shape: Shape, sizeCss: number): uPlot.Series.Points.PathBuilder {
  return (u, seriesIdx, idx0, idx1) => {
    const pr = uPlot.pxRatio;
    const r = (sizeCss * pr) / 2;
    const xs = u.data[0];
    const ys = u.data[seriesIdx];
    const path = new Path2D();
    for (let i = idx0; i <= idx1; i++) {
      const y = ys[i];
      if (y === null || y === undefined) continue;
      const cx = u.valToPos(xs[i], 'x', true);
      const cy = u.valToPos(y, 'y', true);
      if (shape === 'cross') {
        path.moveTo(cx - r, cy - r);
        path.lineTo(cx + r, cy + r);
        path.moveTo(cx + r, cy - r);
        path.lineTo(cx - r, cy + r);
      } else {
        path.moveTo(cx + r, cy);
        path.arc(cx, cy, r, 0, 2 * Math.PI);
      }
    }
    const { left, top, width, height } = u.bbox;
    const clip = new Path2D();
    clip.rect(left - r, top - r, width + 2 * r, height + 2 * r);
    const fill = shape === 'cross' || shape === 'ring' ? null : path;
    const stroke = shape === 'dot' ? null : path;
    return { fill, stroke, clip, flags: 0 };
  };
}
