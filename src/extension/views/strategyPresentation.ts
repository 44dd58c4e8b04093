import type { RunState } from '../../shared/trace/runState';

/** One row of the Strategy view: a heading and its value. Plain data, no `vscode` import. */
export interface StrategyRow {
  id: string;
  label: string;
  description: string;
  tooltip?: string;
  icon: string;
}

/**
 * The strategy in force (level 1.5): what is frozen (by the config and by the review), what the
 * inner loop is told to focus on, the free-text guidance, and when it last changed.
 */
export function strategyRows(state: RunState, configFrozen: readonly string[]): StrategyRow[] {
  const s = state.strategy;
  const list = (xs: readonly string[]) => (xs.length ? xs.join(', ') : 'none');
  const when = s.since === null ? 'no review yet' : `after #${s.since}, review ${state.strategyReviews} by ${s.reviewer ?? 'unknown'}`;
  const rows: StrategyRow[] = [
    { id: 'changed', label: 'Changed', description: when, icon: 'history' },
    { id: 'frozen', label: 'Frozen', description: list(s.frozen), tooltip: 'Parameters the strategy review froze: the inner loop may not change them.', icon: 'lock' },
    { id: 'focus', label: 'Focus', description: list(s.focus), tooltip: 'Parameters the inner loop is asked to explore next.', icon: 'target' },
    { id: 'guidance', label: 'Guidance', description: s.guidance || 'none', tooltip: s.guidance || undefined, icon: 'lightbulb' },
  ];
  if (configFrozen.length) rows.push({ id: 'configFrozen', label: 'Frozen by config', description: list(configFrozen), icon: 'settings-gear' });
  return rows;
}
