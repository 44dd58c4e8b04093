import { h } from '../dom';

/** A column heading: its label, the tooltip that says what it holds, and whether it holds numbers (right-aligned). */
export interface Column {
  label: string;
  title: string;
  num?: boolean;
}

/** The parts of a panel that is a one-line summary over a table, for the panel to fill in. */
export interface SummaryTable {
  el: HTMLElement;
  summary: HTMLElement;
  tbody: HTMLTableSectionElement;
}

/** The shape the side panels share: a summary paragraph over a grid table with explained headings. */
export function summaryTable(panel: { class: string; testid: string; summaryTestid?: string }, columns: readonly Column[]): SummaryTable {
  const summary = h('p', { class: 'panel-summary', 'data-testid': panel.summaryTestid });
  const tbody = h('tbody');
  const head = h('tr', null, ...columns.map((c) => h('th', { scope: 'col', title: c.title, class: c.num ? 'num' : '' }, c.label)));
  const el = h('div', { class: panel.class, 'data-testid': panel.testid }, summary, h('table', { class: 'grid-table' }, h('thead', null, head), tbody));
  return { el, summary, tbody };
}
