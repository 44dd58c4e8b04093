import { h } from '../dom';
import { fmtInt, fmtMetric, STATUS_LABEL } from '../format';
import type { RunModel } from '../model/dashboardModel';

/** The top bar: which run, how it stands, and the chart export buttons. */

interface SelectEl extends HTMLElement {
  value: string;
  options: { label: string; value: string; description?: string; selected?: boolean; disabled?: boolean }[];
}

export class Header {
  readonly el: HTMLElement;
  private readonly picker: SelectEl;
  private readonly summary: HTMLElement;
  private pickerKey = '';

  constructor(cb: { onSelect(tag: string): void; onExport(format: 'png' | 'svg'): void }) {
    this.picker = document.createElement('vscode-single-select') as SelectEl;
    this.picker.setAttribute('data-testid', 'run-select');
    this.picker.setAttribute('aria-label', 'run');
    this.picker.addEventListener('change', () => cb.onSelect(this.picker.value));
    this.summary = h('div', { class: 'run-summary', 'data-testid': 'run-summary', 'aria-live': 'polite' });
    const button = (format: 'png' | 'svg') => {
      const b = document.createElement('vscode-button');
      b.setAttribute('secondary', '');
      b.setAttribute('data-action', `export-${format}`);
      b.setAttribute('title', `save the progress chart as ${format.toUpperCase()}`);
      b.textContent = `Export ${format.toUpperCase()}`;
      b.addEventListener('click', () => cb.onExport(format));
      return b;
    };
    this.el = h(
      'header',
      { class: 'topbar' },
      h('label', { class: 'run-picker' }, h('span', { class: 'filter-label' }, 'Run'), this.picker),
      this.summary,
      h('div', { class: 'actions' }, button('png'), button('svg')),
    );
  }

  setRuns(runs: readonly RunModel[], selected: string): void {
    const options = runs.map((r) => ({ value: r.meta.tag, label: r.meta.group ? `${r.meta.tag} (${r.meta.group})` : r.meta.tag }));
    const key = JSON.stringify(options);
    if (key !== this.pickerKey) {
      this.pickerKey = key;
      this.picker.options = options.map((o) => ({ ...o, description: '', selected: o.value === selected, disabled: false }));
    }
    if (this.picker.value !== selected) this.picker.value = selected;
  }

  update(run: RunModel): void {
    const s = run.summary();
    const { meta } = run;
    const rel = s.best && s.baseline ? (s.best.metric - s.baseline) / Math.abs(s.baseline) : null;
    const results = s.counts.keep + s.counts.discard + s.counts.crash + s.counts.cached;
    const state = s.running.length
      ? h('span', { class: 'state running', 'data-state': 'running' }, `● running #${s.running.join(', #')}`)
      : meta.stopped
        ? h('span', { class: `state ${meta.stopped}`, 'data-state': meta.stopped, title: meta.stopMessage }, meta.stopped === 'paused' ? 'paused' : `stopped (${meta.stopped})`)
        : h('span', { class: 'state idle', 'data-state': 'idle' }, 'idle');
    this.summary.replaceChildren(
      h('span', { class: 'metric-name' }, `${meta.metricName} · ${meta.goal === 'minimize' ? 'lower' : 'higher'} is better`),
      h(
        'span',
        { class: 'best', 'data-testid': 'best' },
        s.best ? `best ${fmtMetric(s.best.metric)} at #${s.best.n}` : 'no result yet',
        rel !== null && rel !== 0 ? h('span', { class: 'delta better' }, ` (${rel > 0 ? '+' : '−'}${Math.abs(rel * 100).toFixed(2)}% vs baseline)`) : null,
      ),
      // A mechanism kept a worse result: the search goes on from it while the best stays.
      ...(s.incumbent
        ? [h('span', { class: 'incumbent', 'data-testid': 'incumbent', title: 'a mechanism kept a worse result; the next experiments start from it' }, `continuing from #${s.incumbent.n} ${fmtMetric(s.incumbent.metric)}`)]
        : []),
      h(
        'span',
        { class: 'counts' },
        `${fmtInt(results)} results: `,
        ...(['keep', 'discard', 'crash', 'cached'] as const).flatMap((k, i) => [i ? ' · ' : '', h('span', { class: `count ${k}`, 'data-count': k }, `${fmtInt(s.counts[k])} ${STATUS_LABEL[k]}`)]),
      ),
      state,
    );
  }
}
