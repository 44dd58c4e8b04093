import type { RunEvent } from '../../shared/trace/events';
import type { RunState } from '../../shared/trace/runState';

/**
 * What the training terminal and Stop say about an experiment in training. Plain data, no `vscode`
 * import.
 */

type TrainingStarted = Extract<RunEvent, { type: 'training.started' }>;

/** Where it trains, as training.started says: the worker (local, an ssh host, Slurm), and its job or process. */
export function whereItTrains(e: TrainingStarted): string {
  const what = e.slurmJobId !== undefined ? `Slurm job ${e.slurmJobId}` : e.pid !== undefined ? `pid ${e.pid}` : 'process';
  return e.where && !e.where.startsWith('slurm') ? `${e.where} · ${what}` : what;
}

/** The line a reused terminal starts each experiment with: number, what it is, where it trains. */
export function trainingHeader(e: TrainingStarted, title: string): string {
  return `── #${e.n} ${title} · ${whereItTrains(e)} · commit ${e.commit.slice(0, 7)} ──`;
}

/** Stop kills training; a run that has trained this long is worth a question first. */
export const CONFIRM_STOP_AFTER_MS = 60_000;

/** The question Stop asks while an experiment has been training for over a minute, else null. */
export function stopQuestion(state: RunState | null, now: number): string | null {
  const training = [...(state?.open.values() ?? [])].filter((x) => x.training?.startedAt && x.training.outcome === undefined);
  const longest = training.map((x) => ({ n: x.n, ms: now - Date.parse(x.training!.startedAt!) })).sort((a, b) => b.ms - a.ms)[0];
  if (!longest || !(longest.ms > CONFIRM_STOP_AFTER_MS)) return null;
  const minutes = Math.floor(longest.ms / 60_000);
  return `Stop the run? #${longest.n} has been training for ${minutes} min; its training is killed and it is recorded as interrupted.`;
}
