/**
 * Part 2, the loop's own cost per iteration, excluding training and LLM time: proposing
 * (heuristic), validating, applying, git add/write-tree/commit/reset/update-ref, metric parsing,
 * trace append with fsync, results.tsv. Training is a near-instant shell command.
 */
import { rmSync } from 'node:fs';
import { HeuristicProposer } from '../src/core/proposers/heuristicProposer';
import { applyLevelsFlag, parseTargetConfig } from '../src/core/target/targetConfig';
import { countSpawns, median, quantile, round, scratchRepo, timeLoop } from './loopTiming';

// Enough parameters that the heuristic never runs out of untried neighbours.
const PARAMS = Array.from({ length: 40 }, (_, i) => `P${i} = ${2 ** (4 + (i % 6))}  # knob ${i}`).join('\n');

const config = parseTargetConfig({
  editable: ['train.py'],
  parameters: { file: 'train.py' },
  // The metric varies so that keeps and discards both happen (a keep skips the reset).
  run: { command: 'echo "val_bpb: 1.$(od -An -N2 -tu2 /dev/urandom | tr -d \' \')"', timeBudgetSeconds: 1 },
  metric: { name: 'val_bpb' },
});

/** `levels`: `1` is the inner loop the issue's figure is about; `1,1.5,2` adds the outer levels' cost. */
export async function loopOverheadBench(opts: { iterations: number; levels: string }) {
  applyLevelsFlag(config, opts.levels);
  const dir = scratchRepo('bench-loop-', { 'train.py': `${PARAMS}\nLR = 3e-4\n` });
  const { result, spawns } = await countSpawns(() => timeLoop({ repoDir: dir, config, proposer: new HeuristicProposer(1), iterations: opts.iterations, tag: 'bench' }));
  const { overheadMs, trainingMs, wallMs, cpuMs, state } = result;
  rmSync(dir, { recursive: true, force: true });
  const results = ['keep', 'discard', 'crash', 'cached', 'rejected', 'proposal-failed'] as const;
  return {
    levels: opts.levels,
    iterations: overheadMs.length,
    stopped: state.stopped,
    results: Object.fromEntries(results.map((r) => [r, state.experiments.filter((x) => x.result === r).length])),
    overheadMs: { median: round(median(overheadMs)), p95: round(quantile(overheadMs, 0.95)), max: round(quantile(overheadMs, 1)) },
    trainingCommandMs: { median: round(median(trainingMs)) },
    // Loop and training command together (the command is a shell running od and tr): steadier than wall time under load.
    cpuMsPerIteration: cpuMs === null ? null : round(cpuMs / overheadMs.length),
    wallSeconds: round(wallMs / 1000),
    // Run start included (a handful of git calls), hence not a whole number.
    processesPerIteration: Object.fromEntries(Object.entries(spawns).map(([k, v]) => [k, round(v / overheadMs.length, 2)])),
  };
}
