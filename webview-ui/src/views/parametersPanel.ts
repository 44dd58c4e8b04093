import { h } from '../dom';
import { deltaClass, fmtDelta, fmtPercent, fmtValue } from '../format';
import { RECENT, type ParamStat } from '../model/dashboardModel';
import { summaryTable } from './summaryTable';

/**
 * Per parameter: how often tried and kept, the best Δ, its current value and frozen state. The bar
 * is its share of all tried experiments, so a loop fixated on one knob shows at a glance; the
 * "recent" column is the same share over the last RECENT results. Click a row to filter by it.
 */
export class ParametersPanel {
  private readonly table = summaryTable({ class: 'params-panel', testid: 'parameters-panel' }, [
    { label: 'parameter', title: 'module-level constant, or edit:<file> for free-form edits' },
    { label: 'current', title: 'its value in the current best configuration' },
    { label: 'state', title: 'frozen (by the config or a strategy review), or in the strategy focus' },
    { label: 'tried', title: 'experiments with a result that changed it; the bar is its share of all', num: true },
    { label: 'kept', title: 'of those, kept', num: true },
    { label: 'rej.', title: 'proposals touching it rejected before training', num: true },
    { label: 'best Δ', title: 'the most improving change it produced', num: true },
    { label: `last ${RECENT}`, title: `share of the last ${RECENT} results that changed it`, num: true },
  ]);
  readonly el = this.table.el;

  constructor(private readonly onPick: (param: string) => void) {}

  update(stats: readonly ParamStat[], goal: 'minimize' | 'maximize'): void {
    const maxShare = Math.max(0.0001, ...stats.map((s) => s.share));
    this.table.tbody.replaceChildren(
      ...stats.map((s) => {
        const bar = h('span', { class: 'share-bar-fill' });
        bar.style.width = `${(100 * s.share) / maxShare}%`;
        const state = [
          s.frozen && h('span', { class: `tag frozen by-${s.frozen}`, title: s.frozen === 'config' ? 'frozen by the config' : 'frozen by a strategy review' }, s.frozen === 'config' ? 'frozen' : 'frozen (L1.5)'),
          s.focus && h('span', { class: 'tag focus', title: 'in the strategy review’s focus' }, 'focus'),
        ];
        return h(
          'tr',
          {
            class: s.frozen ? 'is-frozen' : '',
            'data-param': s.name,
            tabindex: 0,
            title: `filter the experiments by ${s.name}`,
            onclick: () => this.onPick(s.name),
            onkeydown: (e: Event) => (e as KeyboardEvent).key === 'Enter' && this.onPick(s.name),
          },
          h('td', { class: 'mono' }, s.name),
          h('td', { class: 'mono', 'data-col': 'current' }, fmtValue(s.current)),
          h('td', { 'data-col': 'state' }, ...state),
          h('td', { class: 'num', 'data-col': 'tried' }, h('span', { class: 'share-bar', title: `${fmtPercent(s.share)} of tried experiments` }, bar), String(s.tried)),
          h('td', { class: 'num', 'data-col': 'kept' }, String(s.kept)),
          h('td', { class: 'num', 'data-col': 'rejected' }, s.rejected ? String(s.rejected) : ''),
          h('td', { class: `num ${deltaClass(s.bestDelta, goal)}`, 'data-col': 'bestDelta', title: s.bestDeltaN !== null ? `at #${s.bestDeltaN}` : '' }, fmtDelta(s.bestDelta)),
          h('td', { class: `num${s.recentShare >= 0.5 ? ' hot' : ''}`, 'data-col': 'recent' }, s.recentShare ? fmtPercent(s.recentShare) : ''),
        );
      }),
    );
    const top = [...stats].sort((a, b) => b.recentShare - a.recentShare)[0];
    const tried = stats.reduce((a, s) => a + s.tried, 0);
    if (!top || !tried) this.table.summary.textContent = 'No experiment has changed a parameter yet.';
    else if (top.recentShare >= 0.5) {
      this.table.summary.replaceChildren(h('span', { class: 'warn' }, `Fixation: ${fmtPercent(top.recentShare)} of the last ${RECENT} results changed ${top.name}.`));
    } else {
      const spread = stats.filter((s) => s.recentShare > 0).length;
      this.table.summary.textContent = `The last ${RECENT} results spread over ${spread} parameter${spread === 1 ? '' : 's'}; most often ${top.name} (${fmtPercent(top.recentShare)}).`;
    }
  }
}
