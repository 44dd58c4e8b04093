import type { RunPayload, ToWebview } from '../../src/shared/protocol';
import { CompareChart } from './chart/compareChart';
import { progressPng, progressSvg } from './chart/exportChart';
import { ProgressChart, type MechanismSpan, type ProgressInput } from './chart/progressChart';
import { buildProgressData } from './chart/progressData';
import { h } from './dom';
import { fmtMetric, STATUS_LABEL } from './format';
import type { Channel } from './messaging';
import { RESULT_STATUSES } from '../../src/shared/trace/events';
import { DashboardModel, type DashboardEvent, type RunModel } from './model/dashboardModel';
import { DEFAULT_SORT, filterRows, isFiltered, NO_FILTER, rowMatcher, sortRows, type Filter, type Sort } from './model/filters';
import { parseTraceJsonl } from './model/traceText';
import { readPalette, watchTheme, type Palette } from './theme';
import { ExperimentsTable } from './views/experimentsTable';
import { FilterBar } from './views/filterBar';
import { Header } from './views/header';
import { MechanismsTimeline } from './views/mechanismsTimeline';
import { ParametersPanel } from './views/parametersPanel';
import { BestConfigurationPanel } from './views/bestConfigurationPanel';
import { ImportancePanel } from './views/importancePanel';
import { SliceView } from './views/sliceView';
import { parameterImportance } from './model/parameterImportance';

/**
 * The dashboard: owns the model and the views, turns messages into model updates and model
 * updates into (coalesced, once per frame) renders. Knows the extension only through the Channel.
 */

interface SavedState {
  selected?: string;
  filter?: Filter;
  sort?: Sort;
  compare?: string[];
}

export interface RenderInfo {
  reason: string;
  /** Time spent in the render itself. */
  ms: number;
  /** From the message that caused it arriving to the render's end (model fold included). */
  sinceMessageMs: number | null;
}

export const RENDERED_EVENT = 'bilevel-dashboard:rendered';

const payloadEvents = (r: RunPayload): DashboardEvent[] => [...(r.traceJsonl ? parseTraceJsonl(r.traceJsonl) : []), ...(r.events ?? [])];

export class DashboardApp {
  private readonly model = new DashboardModel();
  private selected = '';
  private filter: Filter;
  private sort: Sort;
  private compare: Set<string> | null;
  private palette: Palette;
  private frame = 0;
  private reasons = new Set<string>();
  private messageAt: number | null = null;
  private rendered = { tag: '', version: -1, compareKey: '' };

  private readonly header: Header;
  private readonly chart: ProgressChart;
  private readonly legend: HTMLElement;
  private readonly filterBar: FilterBar;
  private readonly table: ExperimentsTable;
  private readonly params: ParametersPanel;
  private readonly bestConfig = new BestConfigurationPanel();
  private readonly importance = new ImportancePanel();
  private readonly slice: SliceView;
  private readonly mechs: MechanismsTimeline;
  private readonly compareChart: CompareChart;
  private readonly comparePicker: HTMLElement;
  private readonly main: HTMLElement;
  private readonly banner: HTMLElement;

  constructor(
    private readonly root: HTMLElement,
    private readonly channel: Channel,
  ) {
    const saved = channel.getState<SavedState>() ?? {};
    this.selected = saved.selected ?? '';
    this.filter = { ...NO_FILTER, ...saved.filter };
    this.sort = saved.sort ?? DEFAULT_SORT;
    this.compare = saved.compare ? new Set(saved.compare) : null;
    this.palette = readPalette();

    const open = (n: number) => this.selected && this.channel.post({ type: 'openDiff', tag: this.selected, n });
    this.header = new Header({ onSelect: (tag) => this.select(tag), onExport: (f) => this.exportChart(f) });
    this.chart = new ProgressChart(this.palette, (n) => {
      this.table.select(n);
      open(n);
    });
    this.legend = h('div', { class: 'legend', 'data-testid': 'chart-legend' });
    this.filterBar = new FilterBar(this.filter, (f) => {
      this.filter = f;
      this.save();
      this.schedule('filter');
    });
    this.table = new ExperimentsTable({
      onOpen: open,
      onLog: (n) => this.selected && this.channel.post({ type: 'openLog', tag: this.selected, n }),
      onSort: (s) => {
        this.sort = s;
        this.save();
        this.schedule('sort');
      },
    });
    this.params = new ParametersPanel((p) => {
      this.filterBar.set({ param: p });
      this.table.el.scrollIntoView({ block: 'nearest' });
    });
    this.slice = new SliceView(open);
    this.mechs = new MechanismsTimeline();
    this.compareChart = new CompareChart(this.palette);
    this.comparePicker = h('div', { class: 'compare-picker', 'data-testid': 'compare-picker' });
    this.banner = h('div', { class: 'banner', role: 'alert', hidden: true });

    const card = (id: string, title: string, ...body: (Node | null)[]) => h('section', { class: 'card', id, 'aria-labelledby': `${id}-title` }, h('h2', { id: `${id}-title` }, title), ...body);
    this.main = h(
      'main',
      { class: 'dashboard', hidden: true },
      this.header.el,
      this.banner,
      card('progress', 'Progress', this.legend, this.chart.el),
      h('div', { class: 'columns' }, card('best-configuration', 'Best configuration', this.bestConfig.el), card('importance', 'What works: mean Δ per change', this.importance.el)),
      card('slice', 'Slice: the metric by a parameter\'s value', this.slice.el),
      card('experiments', 'Experiments', this.filterBar.el, this.table.el),
      h(
        'div',
        { class: 'columns' },
        card('parameters', 'Parameters', this.params.el),
        card('mechanisms', 'Mechanisms', this.mechs.el),
      ),
      card('compare', 'Run comparison', this.comparePicker, this.compareChart.el),
    );
    watchTheme(() => {
      this.palette = readPalette();
      this.chart.setPalette(this.palette);
      this.compareChart.setPalette(this.palette);
    });
  }

  handle(msg: ToWebview): void {
    this.messageAt = performance.now();
    try {
      switch (msg.type) {
        case 'init':
          this.model.clear();
          for (const r of msg.runs) this.model.load(r.tag, payloadEvents(r), { frozen: r.frozen, group: r.group });
          this.pickSelected(msg.selected);
          if (msg.theme) this.applyTheme(msg.theme);
          this.schedule('init');
          break;
        case 'runs':
          for (const r of msg.runs) this.model.load(r.tag, payloadEvents(r), { frozen: r.frozen, group: r.group });
          this.pickSelected(msg.selected ?? (this.selected || undefined));
          this.schedule('runs');
          break;
        case 'events': {
          const isNew = !this.model.runs.has(msg.tag);
          this.model.append(msg.tag, msg.events);
          if (isNew || !this.selected) this.pickSelected(this.selected || msg.tag);
          this.schedule('events');
          break;
        }
        case 'select':
          if (this.model.runs.has(msg.tag)) this.select(msg.tag);
          break;
        case 'theme':
          this.applyTheme(msg.theme);
          break;
      }
    } catch (e) {
      this.fail(e);
    }
  }

  /** For tests and debugging: where experiment n's chart point is on the page. */
  pointPosition(n: number) {
    return this.chart.pointPosition(n);
  }

  private pickSelected(preferred?: string): void {
    const tags = [...this.model.runs.keys()];
    this.selected = preferred && this.model.runs.has(preferred) ? preferred : this.model.runs.has(this.selected) ? this.selected : (tags[tags.length - 1] ?? '');
  }

  private select(tag: string): void {
    if (tag === this.selected || !this.model.runs.has(tag)) return;
    this.selected = tag;
    this.save();
    this.chart.resetZoom();
    this.schedule('select');
  }

  private applyTheme(theme: string): void {
    const body = document.body;
    for (const c of [...body.classList]) if (c.startsWith('vscode-')) body.classList.remove(c);
    body.classList.add(`vscode-${theme}`);
    body.dataset.vscodeThemeKind = `vscode-${theme}`;
  }

  private save(): void {
    this.channel.setState<SavedState>({ selected: this.selected, filter: this.filter, sort: this.sort, compare: this.compare ? [...this.compare] : undefined });
  }

  private schedule(reason: string): void {
    this.reasons.add(reason);
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      const reason = [...this.reasons].join('+');
      this.reasons.clear();
      try {
        this.render(reason);
      } catch (e) {
        this.fail(e);
      }
    });
  }

  private fail(e: unknown): void {
    const message = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e);
    this.banner.textContent = `The dashboard hit an error: ${message.split('\n')[0]}`;
    this.banner.hidden = false;
    this.channel.post({ type: 'error', message });
  }

  private render(reason: string): void {
    const t0 = performance.now();
    const run = this.model.runs.get(this.selected);
    if (!run) return;
    if (this.main.parentElement !== this.root) {
      this.root.replaceChildren(this.main);
      this.root.removeAttribute('aria-busy');
    }
    this.main.hidden = false;
    const runs = [...this.model.runs.values()];
    this.header.setRuns(runs, this.selected);

    const runChanged = this.rendered.tag !== run.meta.tag || this.rendered.version !== run.version;
    const { goal } = run.meta;
    const filtered = filterRows(run.rows, this.filter);
    sortRows(filtered, this.sort, goal);
    const data = buildProgressData(run.rows, goal, isFiltered(this.filter) ? rowMatcher(this.filter) : undefined);
    const mechColor = this.mechColors(run);
    const spans: MechanismSpan[] = run.mechanisms().flatMap((m) => m.spans.map((s) => ({ name: m.name, color: mechColor(m.name), from: s.from, to: s.to ?? run.lastX })));
    const noiseFloor = run.noiseFloor();
    const input: ProgressInput = { data, markers: run.markers, spans, metricName: run.meta.metricName, goal, noiseFloor };
    this.chart.update(input);
    this.table.setRows(filtered, this.sort, goal, noiseFloor);
    const summary = run.summary();
    const options = run.filterOptions();
    this.filterBar.update({ counts: summary.counts, params: options.params, origins: options.origins, mechanisms: options.mechanisms }, filtered.length, run.rows.length);
    this.renderLegend(input);

    if (runChanged) {
      this.header.update(run);
      this.params.update(run.paramStats(), goal);
      this.bestConfig.update(run.bestConfiguration(), run.meta.metricName, goal);
      this.importance.update(parameterImportance(run.rows, goal), goal);
      this.slice.update(run, summary.best?.n ?? null);
      this.mechs.update(run.mechanisms(), run.markers, run.lastX, mechColor);
    }
    this.renderCompare(runs);
    this.rendered.tag = run.meta.tag;
    this.rendered.version = run.version;

    const t1 = performance.now();
    const info: RenderInfo = { reason, ms: t1 - t0, sinceMessageMs: this.messageAt === null ? null : t1 - this.messageAt };
    this.messageAt = null;
    // Tests and benches time renders with this event.
    document.dispatchEvent(new CustomEvent(RENDERED_EVENT, { detail: info }));
  }

  private mechColors(run: RunModel): (name: string) => number {
    const index = new Map(run.mechanisms().map((m, i) => [m.name, i]));
    return (name) => index.get(name) ?? 0;
  }

  private renderLegend(input: ProgressInput): void {
    const item = (cls: string, label: string, attrs: Record<string, string> = {}) => h('span', { class: 'legend-item', ...attrs }, h('span', { class: `swatch ${cls}` }), label);
    const names = [...new Map(input.spans.map((s) => [s.name, s.color])).entries()];
    const items: (HTMLElement | null)[] = [
      ...RESULT_STATUSES.map((s) => item(`pt-${s}`, `${STATUS_LABEL[s]} (${input.data.counts[s]})`, { 'data-status': s })),
      item('line-best', 'best so far'),
      input.noiseFloor ? item('band-noise', `noise floor ${fmtMetric(input.noiseFloor)}`, { title: 'the largest spread of repeated runs of one configuration, drawn from the best-so-far line towards worse' }) : null,
      input.markers.some((m) => m.kind === 'strategy') ? item('marker-strategy', 'strategy review') : null,
      input.markers.some((m) => m.kind === 'mechanism') ? item('marker-mechanism', 'mechanism research') : null,
      ...names.map(([name, color]) => item(`span mech-${color % 6}`, `${name} active`)),
      input.data.pinned ? h('span', { class: 'legend-note', title: 'crashes and far outliers are drawn at the top edge' }, `${input.data.pinned} pinned to the edge`) : null,
      h('span', { class: 'legend-note' }, 'drag to zoom · double-click to reset · click a point for its diff'),
    ];
    this.legend.replaceChildren(...items.filter((x): x is HTMLElement => x !== null));
  }

  private renderCompare(runs: RunModel[]): void {
    const chosen = this.compare ?? new Set(runs.slice(-6).map((r) => r.meta.tag));
    const picked = runs.filter((r) => chosen.has(r.meta.tag));
    const key = `${runs.map((r) => `${r.meta.tag}:${chosen.has(r.meta.tag)}`).join()}|${picked.map((r) => r.version).join()}|${this.palette.kind}`;
    if (key === this.rendered.compareKey) return;
    const pickerKey = runs.map((r) => `${r.meta.tag}:${chosen.has(r.meta.tag)}`).join();
    if (this.comparePicker.dataset.key !== pickerKey) {
      this.comparePicker.dataset.key = pickerKey;
      this.comparePicker.replaceChildren(
        ...runs.map((r, i) => {
          const box = document.createElement('vscode-checkbox') as HTMLElement & { checked: boolean };
          box.setAttribute('data-run', r.meta.tag);
          box.setAttribute('label', r.meta.group ? `${r.meta.tag} (${r.meta.group})` : r.meta.tag);
          box.className = `run-${i % 6}`;
          box.checked = chosen.has(r.meta.tag);
          box.addEventListener('change', () => {
            const next = new Set(this.compare ?? chosen);
            if (box.checked) next.add(r.meta.tag);
            else next.delete(r.meta.tag);
            this.compare = next;
            this.save();
            this.schedule('compare');
          });
          return box;
        }),
      );
    }
    this.rendered.compareKey = key;
    this.compareChart.update(
      runs.flatMap((r, i) => (chosen.has(r.meta.tag) ? [{ tag: r.meta.tag, label: r.meta.group ? `${r.meta.tag} (${r.meta.group})` : r.meta.tag, color: i, rows: r.rows, goal: r.meta.goal, metricName: r.meta.metricName }] : [])),
    );
  }

  private exportChart(format: 'png' | 'svg'): void {
    const run = this.model.runs.get(this.selected);
    const input = this.chart.current;
    const u = this.chart.plot;
    if (!run || !input || !u) return;
    const title = `${run.meta.tag}: ${run.meta.metricName} per experiment`;
    const fileName = `${run.meta.tag}-progress.${format}`;
    if (format === 'svg') {
      const data = progressSvg(input, this.palette, { width: Math.round(u.width), height: Math.round(u.height) + 48, title, xMin: u.scales.x.min, xMax: u.scales.x.max });
      this.channel.post({ type: 'exportChart', format, data, fileName });
    } else {
      const legend = [...RESULT_STATUSES.map((s) => ({ label: STATUS_LABEL[s], color: this.palette[s] })), { label: 'best so far', color: this.palette.best }];
      this.channel.post({ type: 'exportChart', format, data: progressPng(u.ctx.canvas, this.palette, title, legend), fileName });
    }
  }
}
