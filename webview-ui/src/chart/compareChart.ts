import uPlot from 'uplot';
import { h } from '../dom';
import { fmtMetric } from '../format';
import type { Palette } from '../theme';
import { themedAxis } from './themedAxis';
import { buildCompareData, EXPERIMENT_INCRS } from './progressData';
import type { ExperimentRow } from '../model/dashboardModel';

/** Run comparison: the best-so-far curves of several runs (e.g. ablation groups) on one chart. */

export interface CompareRun {
  tag: string;
  label: string;
  /** Stable color index (the run's position among all runs). */
  color: number;
  rows: readonly ExperimentRow[];
  goal: 'minimize' | 'maximize';
  metricName: string;
}

export class CompareChart {
  readonly el: HTMLElement;
  private readonly plotEl: HTMLElement;
  private readonly note: HTMLElement;
  private u: uPlot | null = null;
  private key = '';
  private palette: Palette;
  private runs: readonly CompareRun[] = [];
  private width = 0;

  constructor(palette: Palette) {
    this.palette = palette;
    this.plotEl = h('div', { class: 'chart-plot' });
    this.note = h('p', { class: 'panel-summary' });
    this.el = h('div', { class: 'compare-chart', 'data-testid': 'compare-chart' }, this.note, this.plotEl);
    new ResizeObserver(() => {
      const w = Math.floor(this.el.clientWidth);
      if (w && w !== this.width && this.u) {
        this.width = w;
        this.u.setSize({ width: w, height: 260 });
      }
    }).observe(this.el);
  }

  setPalette(p: Palette): void {
    this.palette = p;
    this.key = '';
    this.update(this.runs);
  }

  update(runs: readonly CompareRun[]): void {
    this.runs = runs;
    const { x, curves } = buildCompareData(runs);
    this.el.dataset.series = String(runs.length);
    this.el.dataset.runs = runs.map((r) => r.tag).join(',');
    const metrics = new Set(runs.map((r) => r.metricName));
    if (runs.length < 2) this.note.textContent = 'Tick two or more runs to overlay their best-so-far curves.';
    else if (metrics.size > 1) this.note.textContent = `These runs measure different metrics (${[...metrics].join(', ')}): the curves are not comparable.`;
    else {
      const bestOf = (r: CompareRun, i: number) => curves[i].filter((v): v is number => v !== null).pop() ?? null;
      const ranked = runs.map((r, i) => ({ r, b: bestOf(r, i) })).filter((x) => x.b !== null);
      const sign = runs[0].goal === 'minimize' ? 1 : -1;
      ranked.sort((a, b) => sign * (a.b! - b.b!));
      this.note.textContent = ranked.length ? `Best: ${ranked[0].r.label} (${fmtMetric(ranked[0].b)}).` : '';
    }
    const key = `${runs.map((r) => r.tag).join('\0')}|${[...metrics].join()}`;
    const data: uPlot.AlignedData = [x, ...curves];
    if (this.u && key === this.key) {
      this.u.setData(data);
      return;
    }
    this.key = key;
    this.u?.destroy();
    this.u = null;
    if (!runs.length) return;
    const p = () => this.palette;
    this.width = Math.max(200, Math.floor(this.el.clientWidth) || 800);
    const axis = (label: string, size?: number) => themedAxis(p, label, size);
    this.u = new uPlot(
      {
        width: this.width,
        height: 260,
        legend: { show: true, live: true },
        cursor: { y: false, points: { show: false }, drag: { x: true, y: false } },
        scales: { x: { time: false } },
        axes: [{ ...axis('experiment'), incrs: EXPERIMENT_INCRS }, axis(`best ${runs[0].metricName} so far`, 64)],
        series: [
          { label: 'experiment', value: (_u, v) => (v === null || v === undefined ? '—' : `#${v}`) },
          ...runs.map(
            (r): uPlot.Series => ({
              label: r.label,
              stroke: () => p().runs[r.color % p().runs.length],
              width: 2,
              spanGaps: true,
              paths: uPlot.paths.stepped!({ align: 1 }),
              points: { show: false },
              value: (_u, v) => fmtMetric(v),
            }),
          ),
        ],
      },
      data,
      this.plotEl,
    );
  }
}
