import { h } from '../dom';
import { deltaClass, fmtDelta } from '../format';
import type { ParamImportance } from '../model/parameterImportance';
import { summaryTable } from './summaryTable';

const ARROW = { up: '↑', down: '↓', set: '→' } as const;
const SHOWN = 12;

/**
 * Parameter importance: per parameter and direction of change, the mean Δ of the experiments that
 * made it, best first; the bar is the mean gain against the largest one. The changes that paid off
 * on average at the top, the ones that hurt at the bottom.
 */
export class ImportancePanel {
  private readonly table = summaryTable({ class: 'importance', testid: 'importance', summaryTestid: 'importance-summary' }, [
    { label: 'change', title: 'the parameter and the way it was moved (↑ up, ↓ down, → set)' },
    { label: 'mean Δ', title: 'mean change of the metric against the incumbent, over the experiments that made this change', num: true },
    { label: 'n', title: 'experiments with a result that made this change', num: true },
    { label: 'kept', title: 'of those, kept', num: true },
  ]);
  readonly el = this.table.el;

  update(items: readonly ParamImportance[], goal: 'minimize' | 'maximize'): void {
    const shown = items.length > SHOWN ? [...items.slice(0, SHOWN - 3), ...items.slice(-3)] : items;
    const scale = Math.max(1e-12, ...shown.map((i) => Math.abs(i.meanGain)));
    this.table.tbody.replaceChildren(
      ...shown.map((i) => {
        const bar = h('span', { class: `gain-bar-fill ${i.meanGain >= 0 ? 'better' : 'worse'}` });
        bar.style.width = `${(50 * Math.abs(i.meanGain)) / scale}%`;
        bar.style[i.meanGain >= 0 ? 'left' : 'right'] = '50%';
        return h(
          'tr',
          { 'data-param': i.name, 'data-direction': i.direction, title: i.shared ? `${i.shared} of ${i.count} also changed other parameters` : '' },
          h('td', { class: 'mono' }, `${i.name} ${ARROW[i.direction]}`),
          h('td', { class: `num ${deltaClass(i.meanDelta, goal)}`, 'data-col': 'meanDelta' }, h('span', { class: 'gain-bar' }, bar), fmtDelta(i.meanDelta)),
          h('td', { class: 'num', 'data-col': 'count' }, String(i.count)),
          h('td', { class: 'num', 'data-col': 'kept' }, String(i.kept)),
        );
      }),
    );
    const top = items[0];
    if (!top) this.table.summary.textContent = 'No measured change yet.';
    else this.table.summary.textContent = top.meanGain > 0 ? `Paid off most on average: ${top.name} ${ARROW[top.direction]} (${top.count} experiment${top.count === 1 ? '' : 's'}). Changes of several parameters count for each.` : 'No change has improved the metric on average yet.';
  }
}
