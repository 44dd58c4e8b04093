import type { Executor } from './executor';

/** A place where one experiment at a time can train: a GPU index, an SSH host, a Slurm job slot. */
export interface Worker {
  executor: Executor;
  /** Extra environment for this worker's runs, e.g. CUDA_VISIBLE_DEVICES. */
  env?: Record<string, string>;
}
