import type { WorkerSpec } from '../target/targetConfig';
import type { Executor } from './executor';
import { LocalExecutor } from './localExecutor';
import { SlurmExecutor } from './slurmExecutor';
import { SshExecutor } from './sshExecutor';
import type { Worker } from './worker';

/** The workers a config describes, each with the executor for its kind. The config's checks (targetConfig) have passed. */
export function createWorkers(specs: WorkerSpec[]): Worker[] {
  return specs.map((spec) => {
    const env = { ...spec.env, ...(spec.gpu !== undefined ? { CUDA_VISIBLE_DEVICES: String(spec.gpu) } : {}) };
    return { executor: executorFor(spec), env };
  });
}

function executorFor(spec: WorkerSpec): Executor {
  switch (spec.kind) {
    case 'local':
      return new LocalExecutor();
    case 'ssh':
      return new SshExecutor({ host: spec.host!, remoteDir: spec.remoteDir!, sshConfigFile: spec.sshConfigFile });
    case 'slurm':
      return new SlurmExecutor({
        partition: spec.partition,
        gpus: spec.gpus,
        timeLimitMinutes: spec.timeLimitMinutes,
        directives: spec.directives,
        maxQueueMinutes: spec.maxQueueMinutes,
      });
  }
}
