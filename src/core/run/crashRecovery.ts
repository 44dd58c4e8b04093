import type { Experiment } from '../../shared/trace/runState';
import { SlurmExecutor } from '../executors/slurmExecutor';
import { isAlive, killProcessGroup, processStartTime } from '../process/processGroup';
import type { RunSession } from '../session/runSession';

/**
 * On resume: closes an experiment the trace left open (the run was killed). Its training, if still
 * running, is ended: our process group killed (not a reused pid), a Slurm job cancelled, since nobody
 * would read its result. It is recorded as interrupted; a decided one only lost its bookkeeping.
 */
export async function closeOpenExperiment(session: RunSession, x: Experiment): Promise<void> {
  if (x.status) {
    // Decided but not finished: only the bookkeeping after the decision was lost.
    session.emit({ type: 'iteration.finished', n: x.n, result: x.status });
    return;
  }
  const pid = x.training?.pid;
  if (pid && !x.training?.outcome && isOurTraining(pid, x.training!.startedAt)) await killProcessGroup(pid, 3000);
  // A batch job outlives the process that submitted it: nobody would read its result.
  const job = x.training?.slurmJobId;
  if (job && !x.training?.outcome) await new SlurmExecutor().cancelJob(job);
  if (x.commit && !x.baseline) await session.repo.recordTried(session.tag, x.n, x.commit);
  session.emit({ type: 'experiment.interrupted', n: x.n, commit: x.commit, reason: pid || job ? 'the run stopped while training' : 'the run stopped mid-iteration' });
  session.emit({ type: 'iteration.finished', n: x.n, result: 'interrupted' });
}

/** The pid is alive and started within seconds of the trace's training.started (not a reused pid). */
function isOurTraining(pid: number, startedAt: string | undefined): boolean {
  if (!isAlive(pid)) return false;
  const started = processStartTime(pid);
  if (started === undefined || !startedAt) return true;
  return Math.abs(started - Date.parse(startedAt)) < 10_000;
}
