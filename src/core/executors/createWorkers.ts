import type { Worker } from '../levels/researchRun';
import type { WorkerSpec } from '../target/targetConfig';
import { LocalExecutor } from './localExecutor';

/** The workers a config describes, each with the executor for its kind. */
export function createWorkers(specs: WorkerSpec[]): Worker[] {
  return specs.map((spec) => {
    const env = { ...spec.env, ...(spec.gpu !== undefined ? { CUDA_VISIBLE_DEVICES: String(spec.gpu) } : {}) };
    switch (spec.kind) {
      case 'local':
        return { executor: new LocalExecutor(), env };
      default:
        throw new Error(`workers: kind "${spec.kind}" is not available in this build`);
    }
  });
}
