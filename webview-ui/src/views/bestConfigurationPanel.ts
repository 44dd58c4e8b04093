import { h } from '../dom';
import { deltaClass, fmtDelta, fmtMetric, fmtValue } from '../format';
import type { BestConfiguration } from '../model/dashboardModel';

/**
 * The best configuration against the baseline's: the parameters the best result changed first
 * (highlighted), then the ones it kept, and the metric of both. What `bilevel finalize` takes home.
 */
export class BestConfigurationPanel {
  readonly el: HTMLElement;
  private readonly summary: HTMLElement;
  private readonly tbody: HTMLTableSectionElement;

  constructor() {
    this.summary = h('p', { class: 'panel-summary', 'data-testid': 'best-config-summary' });
    this.tbody = h('tbody');
    const th = (label: string, title: string) => h('th', { scope: 'col', title }, label);
    this.el = h(
      'div',
      { class: 'best-config', 'data-testid': 'best-config' },
      this.summary,
      h('table', { class: 'grid-table' }, h('thead', null, h('tr', null, th('parameter', 'module-level constant of the training script'), th('baseline', 'its value in the baseline'), th('best', 'its value in the best result'))), this.tbody),
    );
  }

  update(config: BestConfiguration | null, metricName: string, goal: 'minimize' | 'maximize'): void {
    if (!config) {
      this.summary.textContent = 'No result yet: the baseline has not finished.';
      this.tbody.replaceChildren();
      return;
    }
    const { best, baseline, params } = config;
    const changed = params.filter((p) => p.changed).length;
    const delta = baseline?.metric != null ? best.metric - baseline.metric : null;
    this.summary.replaceChildren(
      `Best ${metricName} ${fmtMetric(best.metric)} at #${best.n}`,
      delta !== null && best.n !== baseline?.n ? h('span', { class: deltaClass(delta, goal) }, ` (${fmtDelta(delta)} from the baseline #${baseline!.n})`) : '',
      best.n === baseline?.n ? ': the baseline is still the best.' : `: ${changed} parameter${changed === 1 ? '' : 's'} changed.`,
    );
    this.tbody.replaceChildren(
      ...params.map((p) =>
        h('tr', { class: p.changed ? 'changed' : '', 'data-param': p.name }, h('td', { class: 'mono' }, p.name), h('td', { class: 'mono', 'data-col': 'baseline' }, fmtValue(p.baseline)), h('td', { class: 'mono', 'data-col': 'best' }, fmtValue(p.best))),
      ),
    );
  }
}
