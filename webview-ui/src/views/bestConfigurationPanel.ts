import { h } from '../dom';
import { deltaClass, fmtDelta, fmtMetric, fmtValue } from '../format';
import type { BestConfiguration } from '../model/dashboardModel';
import { summaryTable } from './summaryTable';

/**
 * The best configuration against the baseline's: the parameters the best result changed first
 * (highlighted), then the ones it kept, and the metric of both. What `bilevel finalize` takes home.
 */
export class BestConfigurationPanel {
  private readonly table = summaryTable({ class: 'best-config', testid: 'best-config', summaryTestid: 'best-config-summary' }, [
    { label: 'parameter', title: 'module-level constant of the training script' },
    { label: 'baseline', title: 'its value in the baseline' },
    { label: 'best', title: 'its value in the best result' },
  ]);
  readonly el = this.table.el;

  update(config: BestConfiguration | null, metricName: string, goal: 'minimize' | 'maximize'): void {
    if (!config) {
      this.table.summary.textContent = 'No result yet: the baseline has not finished.';
      this.table.tbody.replaceChildren();
      return;
    }
    const { best, baseline, params } = config;
    const changed = params.filter((p) => p.changed).length;
    const delta = baseline?.metric != null ? best.metric - baseline.metric : null;
    this.table.summary.replaceChildren(
      `Best ${metricName} ${fmtMetric(best.metric)} at #${best.n}`,
      delta !== null && best.n !== baseline?.n ? h('span', { class: deltaClass(delta, goal) }, ` (${fmtDelta(delta)} from the baseline #${baseline!.n})`) : '',
      best.n === baseline?.n ? ': the baseline is still the best.' : `: ${changed} parameter${changed === 1 ? '' : 's'} changed.`,
    );
    this.table.tbody.replaceChildren(
      ...params.map((p) =>
        h('tr', { class: p.changed ? 'changed' : '', 'data-param': p.name }, h('td', { class: 'mono' }, p.name), h('td', { class: 'mono', 'data-col': 'baseline' }, fmtValue(p.baseline)), h('td', { class: 'mono', 'data-col': 'best' }, fmtValue(p.best))),
      ),
    );
  }
}
