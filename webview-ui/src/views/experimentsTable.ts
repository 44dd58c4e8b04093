import { h } from '../dom';
import { deltaClass, fmtChanges, fmtDelta, fmtMetric, STATUS_LABEL } from '../format';
import { confidenceLabel, noiseMultiple } from '../model/parameterImportance';
import type { ExperimentRow } from '../model/dashboardModel';
import type { Sort, SortKey } from '../model/filters';

/**
 * The experiments table: virtualized (only the rows in view exist in the DOM, so 10,000 rows cost
 * what 20 do), sortable by clicking a header, click or Enter on a row asks for its diff.
 */

const ROW_H = 24;
const OVERSCAN = 8;

const COLUMNS: { key: SortKey; label: string; title: string; cls: string }[] = [
  { key: 'n', label: '#', title: 'experiment number', cls: 'c-n' },
  { key: 'status', label: 'status', title: 'kept, discarded, crashed, cached, rejected…', cls: 'c-status' },
  { key: 'metric', label: 'metric', title: 'the metric (sorted best first)', cls: 'c-metric' },
  { key: 'delta', label: 'Δ', title: 'change against the best before it', cls: 'c-delta' },
  { key: 'description', label: 'description', title: "the proposer's one line", cls: 'c-desc' },
  { key: 'touched', label: 'parameters', title: 'parameters changed (edit: free-form edits)', cls: 'c-params' },
  { key: 'origin', label: 'level', title: "level of origin: the baseline, L1 the inner loop's proposer, L2 a mechanism's propose hook", cls: 'c-origin' },
  { key: 'mechanisms', label: 'mechanisms', title: 'mechanisms whose hooks shaped it', cls: 'c-mech' },
];

export interface TableCallbacks {
  onOpen(n: number): void;
  onLog(n: number): void;
  onSort(sort: Sort): void;
}

export class ExperimentsTable {
  readonly el: HTMLElement;
  private readonly head: HTMLElement;
  private readonly body: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly empty: HTMLElement;
  private rows: readonly ExperimentRow[] = [];
  private goal: 'minimize' | 'maximize' = 'minimize';
  private noiseFloor: number | null = null;
  private sort: Sort = { key: 'n', dir: 1 };
  private selected: number | null = null;
  private frame = 0;

  constructor(private readonly cb: TableCallbacks) {
    this.head = h('div', { class: 'vt-row vt-head', role: 'row', 'aria-rowindex': 1 });
    this.spacer = h('div', { class: 'vt-spacer', role: 'presentation' });
    this.empty = h('div', { class: 'vt-empty', hidden: true }, 'No experiment matches the filters.');
    this.body = h('div', { class: 'vt-body', role: 'rowgroup', tabindex: -1 }, this.spacer, this.empty);
    this.el = h('div', { class: 'vt', role: 'grid', 'aria-label': 'Experiments', 'data-testid': 'experiments-table' }, this.head, this.body);
    this.body.addEventListener('scroll', () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.schedule()).observe(this.body);
    this.renderHead();
  }

  /** `noiseFloor`: each keep's Δ is labelled with how many noise floors it is. */
  setRows(rows: readonly ExperimentRow[], sort: Sort, goal: 'minimize' | 'maximize', noiseFloor: number | null = null): void {
    this.rows = rows;
    this.goal = goal;
    this.noiseFloor = noiseFloor;
    if (sort.key !== this.sort.key || sort.dir !== this.sort.dir) {
      this.sort = sort;
      this.renderHead();
    }
    this.el.setAttribute('aria-rowcount', String(rows.length + 1));
    this.el.dataset.total = String(rows.length);
    this.spacer.style.height = `${rows.length * ROW_H}px`;
    this.empty.hidden = rows.length > 0;
    this.renderRows();
  }

  /** Highlights experiment n and scrolls it into view. */
  select(n: number | null): void {
    this.selected = n;
    const i = n === null ? -1 : this.rows.findIndex((r) => r.n === n);
    if (i >= 0) {
      const top = i * ROW_H;
      if (top < this.body.scrollTop || top + ROW_H > this.body.scrollTop + this.body.clientHeight) this.body.scrollTop = Math.max(0, top - this.body.clientHeight / 2);
    }
    this.renderRows();
  }

  private renderHead(): void {
    this.head.replaceChildren(
      ...COLUMNS.map((c) => {
        const active = this.sort.key === c.key;
        const sortState = active ? (this.sort.dir === 1 ? 'ascending' : 'descending') : 'none';
        return h(
          'div',
          { class: `vt-cell ${c.cls}`, role: 'columnheader', 'aria-sort': sortState },
          h(
            'button',
            {
              class: 'vt-sort',
              title: `${c.title} — click to sort`,
              'data-sort': c.key,
              onclick: () => this.cb.onSort({ key: c.key, dir: active ? (this.sort.dir === 1 ? -1 : 1) : 1 }),
            },
            c.label,
            h('span', { class: 'vt-arrow', 'aria-hidden': 'true' }, active ? (this.sort.dir === 1 ? '▲' : '▼') : ''),
          ),
        );
      }),
      h('div', { class: 'vt-cell c-actions', role: 'columnheader' }, ''),
    );
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.renderRows();
    });
  }

  private renderRows(): void {
    const top = this.body.scrollTop;
    const height = this.body.clientHeight || 400;
    const first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
    const last = Math.min(this.rows.length, Math.ceil((top + height) / ROW_H) + OVERSCAN);
    const els: HTMLElement[] = [];
    for (let i = first; i < last; i++) els.push(this.renderRow(this.rows[i], i));
    this.spacer.replaceChildren(...els);
  }

  private confidence(r: ExperimentRow): HTMLElement | null {
    if (r.status !== 'keep' || r.baseline) return null;
    const m = noiseMultiple(r.delta, this.noiseFloor, this.goal);
    return m === null ? null : h('span', { class: `confidence${m < 1 ? ' weak' : ''}`, 'data-testid': 'confidence', title: `the gain is ${m.toFixed(2)} times the noise floor (${fmtMetric(this.noiseFloor)}: the largest spread of repeated runs of one configuration)` }, confidenceLabel(m));
  }

  private renderRow(r: ExperimentRow, i: number): HTMLElement {
    const changes = fmtChanges(r.changes);
    const row = h(
      'div',
      {
        class: `vt-row${r.n === this.selected ? ' selected' : ''}`,
        role: 'row',
        tabindex: 0,
        'aria-rowindex': i + 2,
        'data-n': r.n,
        'data-status': r.status,
        title: `#${r.n}: ${r.description}${changes ? `\n${changes}` : ''}${r.note ? `\n${r.note}` : ''}\nclick to open the diff`,
        onclick: () => {
          this.select(r.n);
          this.cb.onOpen(r.n);
        },
        onkeydown: (e: Event) => {
          const k = (e as KeyboardEvent).key;
          if (k === 'Enter') this.cb.onOpen(r.n);
          else if (k === 'ArrowDown' || k === 'ArrowUp') {
            e.preventDefault();
            this.focusIndex(i + (k === 'ArrowDown' ? 1 : -1));
          }
        },
      },
      h('div', { class: 'vt-cell c-n', role: 'gridcell' }, String(r.n)),
      h('div', { class: 'vt-cell c-status', role: 'gridcell' }, h('span', { class: `status-dot ${r.status}` }), STATUS_LABEL[r.status]),
      h('div', { class: 'vt-cell c-metric', role: 'gridcell' }, fmtMetric(r.metric)),
      h('div', { class: `vt-cell c-delta ${deltaClass(r.delta, this.goal)}`, role: 'gridcell' }, r.status === 'cached' ? `= #${r.sameAs}` : fmtDelta(r.delta), this.confidence(r)),
      h('div', { class: 'vt-cell c-desc', role: 'gridcell' }, r.description),
      h('div', { class: 'vt-cell c-params', role: 'gridcell' }, r.touched.join(', ')),
      h('div', { class: 'vt-cell c-origin', role: 'gridcell' }, r.origin),
      h('div', { class: 'vt-cell c-mech', role: 'gridcell' }, r.mechanisms.join(', ')),
      h(
        'div',
        { class: 'vt-cell c-actions', role: 'gridcell' },
        r.status !== 'cached' && r.status !== 'rejected' && r.status !== 'proposal-failed'
          ? h('button', {
              class: 'vt-log',
              title: `open the training log of #${r.n}`,
              'aria-label': `log of #${r.n}`,
              onclick: (e: Event) => {
                e.stopPropagation();
                this.cb.onLog(r.n);
              },
            }, 'log')
          : null,
      ),
    );
    row.style.transform = `translateY(${i * ROW_H}px)`;
    return row;
  }

  private focusIndex(i: number): void {
    if (i < 0 || i >= this.rows.length) return;
    const top = i * ROW_H;
    if (top < this.body.scrollTop) this.body.scrollTop = top;
    else if (top + ROW_H > this.body.scrollTop + this.body.clientHeight) this.body.scrollTop = top + ROW_H - this.body.clientHeight;
    this.renderRows();
    (this.spacer.querySelector(`[aria-rowindex="${i + 2}"]`) as HTMLElement | null)?.focus();
  }
}
