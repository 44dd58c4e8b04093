import { incumbentBehindBest, type RunState } from '../../shared/trace/runState';

export interface ResumeOffer {
  tag: string;
  /** What to say: why the run is not going on, where it stands. */
  message: string;
  /** The button: a paused run continues, an interrupted one resumes. */
  action: 'Resume' | 'Continue';
}

/**
 * On activation: is the latest run one the person may want to pick up? A run stopped on purpose
 * (Stop, a window reload, a crash of the host) or paused is; a finished or failed one is not, and
 * neither is one whose training process is still alive (a CLI run going on right now).
 * `trainingAlive` tells whether an open experiment's training process still runs. Pure.
 */
export function resumeOffer(state: RunState | null, trainingAlive: (pid: number, startedAt: string | undefined) => boolean): ResumeOffer | null {
  if (!state) return null;
  const behind = incumbentBehindBest(state);
  const where = `${state.iterationsDone} iteration${state.iterationsDone === 1 ? '' : 's'} done${state.best ? `, best ${state.metricName} ${state.best.metric.toFixed(6)}` : ''}${behind ? `, continuing from #${behind.n} ${behind.metric.toFixed(6)}` : ''}`;
  if (state.stopped === 'paused') return { tag: state.tag, message: `Autoresearch run ${state.tag} is paused (${where}).`, action: 'Continue' };
  if (state.stopped === 'interrupted') return { tag: state.tag, message: `Autoresearch run ${state.tag} was interrupted (${where}).`, action: 'Resume' };
  if (state.stopped !== null) return null;
  const open = [...state.open.values()];
  if (open.some((x) => x.training?.pid && !x.training.outcome && trainingAlive(x.training.pid, x.training.startedAt))) return null;
  const during = open.length ? ` during #${open.map((x) => x.n).join(', #')}` : '';
  return { tag: state.tag, message: `Autoresearch run ${state.tag} ended without finishing${during} (${where}).`, action: 'Resume' };
}
