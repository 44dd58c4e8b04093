import { h } from '../dom';
import { fmtInt, STATUS_LABEL } from '../format';
import { EXPERIMENT_STATUSES, type ExperimentStatus } from '../../../src/shared/trace/events';
import { ALL, isFiltered, type Filter } from '../model/filters';

/**
 * The experiments filters (status, parameter touched, level of origin, mechanism, text), shared
 * by the table and the chart. vscode-elements controls, so they look like VS Code's own.
 */

interface SelectEl extends HTMLElement {
  value: string;
  options: { label: string; value: string; description?: string; selected?: boolean; disabled?: boolean }[];
  disabled: boolean;
}
interface TextEl extends HTMLElement {
  value: string;
}

type SelectKey = 'status' | 'param' | 'origin' | 'mechanism';

export interface FilterChoices {
  counts: Record<ExperimentStatus, number>;
  params: string[];
  origins: string[];
  mechanisms: string[];
}

export class FilterBar {
  readonly el: HTMLElement;
  private readonly selects: Record<SelectKey, SelectEl>;
  private readonly text: TextEl;
  private readonly clearBtn: HTMLElement & { disabled: boolean };
  private readonly count: HTMLElement;
  private readonly optionKeys: Partial<Record<SelectKey, string>> = {};
  private filter: Filter;
  private textTimer = 0;

  constructor(initial: Filter, private readonly onChange: (f: Filter) => void) {
    this.filter = initial;
    const select = (key: SelectKey, label: string) => {
      const el = document.createElement('vscode-single-select') as SelectEl;
      el.setAttribute('data-filter', key);
      el.setAttribute('aria-label', label);
      el.addEventListener('change', () => this.set({ [key]: el.value || ALL } as Partial<Filter>));
      return el;
    };
    this.selects = {
      status: select('status', 'status'),
      param: select('param', 'parameter touched'),
      origin: select('origin', 'level of origin'),
      mechanism: select('mechanism', 'mechanism that shaped it'),
    };
    this.text = document.createElement('vscode-textfield') as TextEl;
    this.text.setAttribute('placeholder', 'search descriptions');
    this.text.setAttribute('data-filter', 'text');
    this.text.setAttribute('aria-label', 'search descriptions');
    this.text.addEventListener('input', () => {
      clearTimeout(this.textTimer);
      this.textTimer = window.setTimeout(() => this.set({ text: this.text.value }), 150);
    });
    this.clearBtn = document.createElement('vscode-button') as HTMLElement & { disabled: boolean };
    this.clearBtn.setAttribute('secondary', '');
    this.clearBtn.setAttribute('data-action', 'clear-filters');
    this.clearBtn.textContent = 'Clear';
    this.clearBtn.addEventListener('click', () => {
      this.text.value = '';
      this.set({ status: ALL, param: ALL, origin: ALL, mechanism: ALL, text: '' });
    });
    this.count = h('span', { class: 'filter-count', 'data-testid': 'filter-count', 'aria-live': 'polite' });
    const field = (label: string, el: HTMLElement) => h('label', { class: 'filter-field' }, h('span', { class: 'filter-label' }, label), el);
    this.el = h(
      'div',
      { class: 'filter-bar', role: 'search', 'data-testid': 'filter-bar' },
      field('Status', this.selects.status),
      field('Parameter', this.selects.param),
      field('Level', this.selects.origin),
      field('Mechanism', this.selects.mechanism),
      field('Search', this.text),
      this.clearBtn,
      this.count,
    );
  }

  get value(): Filter {
    return this.filter;
  }

  /** Applies a change as if the user made it (e.g. a click in the parameters panel). */
  set(patch: Partial<Filter>): void {
    const next = { ...this.filter, ...patch };
    if (JSON.stringify(next) === JSON.stringify(this.filter)) return;
    this.filter = next;
    this.sync();
    this.onChange(next);
  }

  update(choices: FilterChoices, shown: number, total: number): void {
    const opt = (value: string, label: string) => ({ value, label });
    this.setOptions('status', [
      opt(ALL, `all (${fmtInt(total)})`),
      opt('results', 'results (kept, discarded, crashed, cached)'),
      ...EXPERIMENT_STATUSES.filter((s) => choices.counts[s] > 0 || s === this.filter.status).map((s) => opt(s, `${STATUS_LABEL[s]} (${fmtInt(choices.counts[s])})`)),
    ]);
    this.setOptions('param', [opt(ALL, 'any'), ...withCurrent(choices.params, this.filter.param).map((p) => opt(p, p))]);
    this.setOptions('origin', [opt(ALL, 'any'), ...withCurrent(choices.origins, this.filter.origin).map((o) => opt(o, o))]);
    this.setOptions('mechanism', [opt(ALL, choices.mechanisms.length ? 'any' : 'none in this run'), ...withCurrent(choices.mechanisms, this.filter.mechanism).map((m) => opt(m, m))]);
    this.selects.mechanism.disabled = choices.mechanisms.length === 0 && this.filter.mechanism === ALL;
    this.count.textContent = isFiltered(this.filter) ? `showing ${fmtInt(shown)} of ${fmtInt(total)}` : `${fmtInt(total)} experiments`;
    this.count.dataset.shown = String(shown);
    this.count.dataset.total = String(total);
    this.sync();
  }

  private setOptions(key: SelectKey, options: { value: string; label: string }[]): void {
    const k = JSON.stringify(options);
    if (this.optionKeys[key] === k) return;
    this.optionKeys[key] = k;
    this.selects[key].options = options.map((o) => ({ ...o, description: '', selected: o.value === this.filter[key], disabled: false }));
  }

  private sync(): void {
    for (const key of Object.keys(this.selects) as SelectKey[]) {
      if (this.selects[key].value !== this.filter[key]) this.selects[key].value = this.filter[key];
    }
    if (this.text.value !== this.filter.text) this.text.value = this.filter.text;
    this.clearBtn.disabled = !isFiltered(this.filter);
  }
}

const withCurrent = (values: string[], current: string) => (current === ALL || values.includes(current) ? values : [...values, current]);
