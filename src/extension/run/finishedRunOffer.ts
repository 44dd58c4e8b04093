import type { RunState } from '../../shared/trace/runState';
import { formatMetric } from '../views/experimentPresentation';

/**
 * Start Run or Continue on a run that already did all its iterations would resume it and stop at
 * once ("resumed … run completed" in 200 ms, nothing visible). Instead the person is told so and
 * offered more iterations on it or a new run. Plain data, no `vscode` import.
 */
export interface FinishedRunOffer {
  message: string;
  /** How many more iterations "Run N More" adds. */
  more: number;
}

export function finishedRunOffer(
  state: RunState | null,
  mode: { resume?: boolean; iterations?: (s: RunState | null) => number; levelsNow?: readonly string[] },
  settings: { iterations: number; resumeLatestRun: boolean },
): FinishedRunOffer | null {
  if (!state || state.stopped !== 'completed' || mode.levelsNow?.length) return null;
  if (!(mode.resume || settings.resumeLatestRun)) return null;
  const target = mode.iterations?.(state) ?? settings.iterations;
  if (target > state.iterationsDone) return null;
  const best = state.best ? `, best ${state.metricName} ${formatMetric(state.best.metric)} at #${state.best.n}` : '';
  return {
    message: `Autoresearch run ${state.tag} is complete: ${state.iterationsDone} iteration${state.iterationsDone === 1 ? '' : 's'} done${best}. Run more on it, or start a new run?`,
    more: Math.max(1, settings.iterations),
  };
}
