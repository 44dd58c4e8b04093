import type { PythonParam } from './pythonParams';

/**
 * The constants that set the training time budget (TIME_BUDGET, time_budget, TIME_BUDGET_S…).
 * Every experiment trains for the same wall-clock budget, which is what makes results comparable:
 * a proposal that raises it "wins" by training longer. `bilevel init` freezes these, and the config
 * freezes them even when `parameters.frozen` does not list them, unless `parameters.searchTimeBudget`
 * says otherwise. Pure.
 */
export function timeBudgetParams(params: PythonParam[]): PythonParam[] {
  return params.filter((p) => /TIME_BUDGET/i.test(p.name) && typeof p.value === 'number');
}
