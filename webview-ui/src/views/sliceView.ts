import { niceTicks } from '../chart/progressData';
import { h } from '../dom';
import { fmtMetric, STATUS_LABEL } from '../format';
import type { RunModel } from '../model/dashboardModel';
import { parameterSlice, sliceParameters, type ParameterSlice, type SlicePoint } from '../model/parameterSlice';

/**
 * The slice view: for the chosen parameter, the metric of every trained experiment against the
 * value it trained with, kept / discarded / crashed styled as the progress chart draws them and
 * the best ringed. SVG with theme CSS classes, so a theme switch needs no redraw. Hover a point
 * for its experiment, click it for its diff.
 */

interface SelectEl extends HTMLElement {
  value: string;
  options: { label: string; value: string; description?: string; selected?: boolean; disabled?: boolean }[];
}

const SVG = 'http://www.w3.org/2000/svg';
const H = 260;
const M = { left: 56, right: 12, top: 10, bottom: 40 };
const RADIUS = { keep: 4, discard: 3, crash: 3.5 } as const;
const HIT_RADIUS = 8;

function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Tick positions on the slice's x scale: nice numbers, decades (with 2 and 5 inside one or two), or every category. */
function xTicks(s: ParameterSlice): { at: number; label: string }[] {
  if (s.scale === 'category') return s.categories.map((label, at) => ({ at, label }));
  if (s.scale === 'linear') return niceTicks(s.xMin, s.xMax).map((v) => ({ at: v, label: String(v) }));
  const decades = Math.ceil(s.xMax) - Math.floor(s.xMin);
  const steps = decades <= 2 ? [1, 2, 5] : [1];
  const out: { at: number; label: string }[] = [];
  for (let e = Math.floor(s.xMin); e <= Math.ceil(s.xMax); e++)
    for (const m of steps) {
      const at = e + Math.log10(m);
      if (at >= s.xMin && at <= s.xMax) out.push({ at, label: String(Number((m * 10 ** e).toPrecision(6))) });
    }
  return out;
}

export class SliceView {
  readonly el: HTMLElement;
  private readonly select: SelectEl;
  private readonly plot: SVGSVGElement;
  private readonly caption: HTMLElement;
  private chosen = '';
  private optionsKey = '';
  private run: RunModel | null = null;
  private bestN: number | null = null;
  private slice: ParameterSlice | null = null;
  /** The plot's width in css px: the viewBox follows it, so points stay round and text stays its size. */
  private width = 640;
  /** Each point where it is drawn, for hover and click. */
  private screen: { x: number; y: number; point: SlicePoint }[] = [];
  private hover: SVGElement | null = null;

  constructor(private readonly onOpen: (n: number) => void) {
    this.select = document.createElement('vscode-single-select') as SelectEl;
    this.select.setAttribute('data-testid', 'slice-param');
    this.select.setAttribute('aria-label', 'parameter to slice by');
    this.select.addEventListener('change', () => {
      if (!this.select.value || this.select.value === this.chosen) return;
      this.chosen = this.select.value;
      this.draw();
    });
    this.plot = svg('svg', { class: 'slice-plot', role: 'img', height: H }) as SVGSVGElement;
    this.caption = h('p', { class: 'panel-summary', 'data-testid': 'slice-caption', 'aria-live': 'polite' });
    this.plot.addEventListener('click', (e) => {
      const p = this.pointAt(e);
      if (p) this.onOpen(p.n);
    });
    this.plot.addEventListener('mousemove', (e) => this.setHover(this.pointAt(e)));
    this.plot.addEventListener('mouseleave', () => this.setHover(null));
    this.el = h('div', { class: 'slice', 'data-testid': 'slice' }, h('label', { class: 'filter-field' }, h('span', { class: 'filter-label' }, 'Parameter'), this.select), this.plot, this.caption);
    new ResizeObserver(() => {
      const w = Math.floor(this.el.clientWidth);
      if (w && w !== this.width) {
        this.width = w;
        this.draw();
      }
    }).observe(this.el);
  }

  /** `bestN`: the best result, ringed when it is among the points. */
  update(run: RunModel, bestN: number | null): void {
    this.run = run;
    this.bestN = bestN;
    const params = sliceParameters(run.rows);
    if (!params.includes(this.chosen)) this.chosen = params[0] ?? '';
    const key = `${params.join()}|${this.chosen}`;
    if (key !== this.optionsKey) {
      this.optionsKey = key;
      this.select.options = params.map((p) => ({ label: p, value: p, description: '', selected: p === this.chosen, disabled: false }));
    }
    // The select keeps its selected index over new options: set the value too.
    if (this.select.value !== this.chosen) this.select.value = this.chosen;
    this.draw();
  }

  /** The point nearest the mouse within HIT_RADIUS css px (the viewBox is in css px). */
  private pointAt(e: MouseEvent): SlicePoint | null {
    const box = this.plot.getBoundingClientRect();
    const [mx, my] = [e.clientX - box.left, e.clientY - box.top];
    let best: SlicePoint | null = null;
    let bestD = HIT_RADIUS * HIT_RADIUS;
    // Kept points are drawn on top: on a tie they win, as they would under the mouse.
    for (const q of this.screen) {
      const dist = (q.x - mx) ** 2 + (q.y - my) ** 2;
      if (dist < bestD || (dist === bestD && q.point.status === 'keep')) [best, bestD] = [q.point, dist];
    }
    return best;
  }

  private setHover(p: SlicePoint | null): void {
    this.plot.classList.toggle('has-hit', !!p);
    const q = p && this.screen.find((s) => s.point === p);
    if (!q || !this.hover) {
      this.hover?.setAttribute('visibility', 'hidden');
      return;
    }
    Object.entries({ cx: q.x, cy: q.y, visibility: 'visible' }).forEach(([k, v]) => this.hover!.setAttribute(k, String(v)));
    this.caption.textContent = this.describe(p);
  }

  private describe(p: SlicePoint): string {
    const metric = p.metric === null ? 'no metric' : `${this.run?.meta.metricName ?? 'metric'} ${fmtMetric(p.metric)}`;
    return `#${p.n} · ${STATUS_LABEL[p.status]} · ${this.chosen} = ${p.label} · ${metric}${p.n === this.slice?.best?.n ? ' · the best' : ''}`;
  }

  private draw(): void {
    const run = this.run;
    if (!run || !this.chosen) {
      this.slice = null;
      this.screen = [];
      this.plot.replaceChildren();
      this.el.dataset.points = '0';
      this.caption.textContent = 'No trained experiment has changed a parameter yet.';
      return;
    }
    const { metricName, goal } = run.meta;
    // Read now rather than wait for the observer: a redraw right after the first would double its cost.
    this.width = Math.floor(this.el.clientWidth) || this.width;
    const W = this.width;
    this.plot.setAttribute('viewBox', `0 0 ${W} ${H}`);
    const s = (this.slice = parameterSlice(run.rows, this.chosen, goal, this.bestN, (r) => run.paramsOf(r)));
    const px = (x: number) => M.left + ((x - s.xMin) / (s.xMax - s.xMin || 1)) * (W - M.left - M.right);
    const py = (y: number) => M.top + ((s.yMax - y) / (s.yMax - s.yMin || 1)) * (H - M.top - M.bottom);
    const axes: SVGElement[] = [];
    for (const t of xTicks(s)) {
      const x = px(t.at);
      axes.push(svg('line', { class: 'slice-grid', x1: x, x2: x, y1: M.top, y2: H - M.bottom }), svg('text', { class: 'slice-tick', x, y: H - M.bottom + 14, 'text-anchor': 'middle' }, t.label));
    }
    for (const v of niceTicks(s.yMin, s.yMax, 5)) {
      const y = py(v);
      axes.push(svg('line', { class: 'slice-grid', x1: M.left, x2: W - M.right, y1: y, y2: y }), svg('text', { class: 'slice-tick', x: M.left - 4, y: y + 3, 'text-anchor': 'end' }, fmtMetric(v)));
    }
    const scaleNote = s.scale === 'log' ? ' (log scale)' : '';
    axes.push(svg('text', { class: 'slice-label', x: (M.left + W - M.right) / 2, y: H - 6, 'text-anchor': 'middle' }, `${s.name}${scaleNote}`));
    axes.push(svg('text', { class: 'slice-label', x: 12, y: (M.top + H - M.bottom) / 2, 'text-anchor': 'middle', transform: `rotate(-90 12 ${(M.top + H - M.bottom) / 2})` }, `${metricName} (${goal === 'minimize' ? 'lower' : 'higher'} is better)`));

    // One path per status, drawn as the progress chart's: discarded beneath, crashes, kept on top.
    // Paths rather than an element per point: 10,000 elements more than doubled the first render's own time.
    const d = { discard: [] as string[], crash: [] as string[], keep: [] as string[] };
    this.screen = s.points.map((p) => {
      const x = px(p.x);
      const y = py(p.y);
      const r = RADIUS[p.status];
      const [a, b] = [x.toFixed(1), y.toFixed(1)];
      d[p.status].push(p.status === 'crash' ? `M${(x - r).toFixed(1)},${(y - r).toFixed(1)}l${2 * r},${2 * r}m0,${-2 * r}l${-2 * r},${2 * r}` : `M${(x - r).toFixed(1)},${b}a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0`);
      return { x: +a, y: +b, point: p };
    });
    const layers = (['discard', 'crash', 'keep'] as const).map((st) => svg('path', { class: `slice-pt ${st}`, 'data-status': st, d: d[st].join('') }));
    this.hover = svg('circle', { class: 'slice-hover', r: 6, visibility: 'hidden' });
    const best = s.best ? [svg('circle', { class: 'slice-best', 'data-testid': 'slice-best', 'data-n': s.best.n, cx: px(s.best.x).toFixed(1), cy: py(s.best.y).toFixed(1), r: 8 })] : [];
    this.plot.replaceChildren(...axes, ...layers, ...best, this.hover);
    this.plot.setAttribute('aria-label', `${metricName} against ${s.name}, ${s.points.length} experiments`);
    Object.assign(this.el.dataset, { param: s.name, scale: s.scale, points: String(s.points.length), best: s.best ? String(s.best.n) : '' });
    const pinned = s.points.filter((p) => p.pinned).length;
    this.caption.textContent = `${s.points.length} trained experiment${s.points.length === 1 ? '' : 's'} by ${s.name}${s.best ? `; the best, #${s.best.n}, ringed` : ''}${pinned ? `; ${pinned} crashed or far off, pinned to the edge` : ''}. Hover a point for it, click for its diff.`;
  }
}
