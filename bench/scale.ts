/**
 * Part 4, scale: a synthetic run of 10,000 experiments. Cold load of the trace (TraceStore.open),
 * replay (deriveRunState), results.tsv, memory — each in a fresh process; `bilevel status` end to
 * end; and a real resume of the run by the loop followed by a few more iterations, to see what the
 * loop's own cost per iteration becomes when the trace is that long.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { HeuristicProposer } from '../src/core/proposers/heuristicProposer';
import { applyLevelsFlag, parseTargetConfig } from '../src/core/target/targetConfig';
import { median, quantile, round, scratchRepo, timeLoop } from './loopTiming';
import { syntheticTrace } from './syntheticTrace';

const ROOT = resolve(__dirname, '..');

const TRAIN_PY = `DEPTH = 2
N_EMBD = 64
N_HEAD = 4
SEQ_LEN = 64
BATCH_SIZE = 128
LEARNING_RATE = 0.001
WEIGHT_DECAY = 0.1
WARMUP_STEPS = 10
ADAM_BETAS = (0.9, 0.95)
ACTIVATION = "gelu"
TIE_WEIGHTS = True
DROPOUT = 0.0
TIME_BUDGET = 300
SEED = 1337
`;

/** A repo holding a finished synthetic run `scale` of this many experiments, resumable by the loop. */
function repoWithRun(experiments: number): { dir: string; trace: string } {
  const dir = scratchRepo('bench-scale-', { 'train.py': TRAIN_PY });
  const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
  execFileSync('git', ['branch', 'autoresearch/scale'], { cwd: dir });
  const runDir = join(dir, '.autoresearch/runs/scale');
  mkdirSync(runDir, { recursive: true });
  const trace = join(runDir, 'trace.jsonl');
  const fd = openSync(trace, 'w');
  let chunk = '';
  for (const e of syntheticTrace({ experiments, commit: head, llm: true, strategyEvery: 10 })) {
    chunk += JSON.stringify(e) + '\n';
    if (chunk.length > 1 << 20) {
      writeSync(fd, chunk);
      chunk = '';
    }
  }
  writeSync(fd, chunk);
  closeSync(fd);
  return { dir, trace };
}

const config = parseTargetConfig({
  editable: ['train.py'],
  parameters: { file: 'train.py', frozen: ['TIME_BUDGET', 'SEED'] },
  run: { command: 'echo "val_bpb: 1.$(od -An -N2 -tu2 /dev/urandom | tr -d \' \')"', timeBudgetSeconds: 1 },
  metric: { name: 'val_bpb' },
});
// The inner loop's cost at scale; the outer levels would add their own reviews to the few iterations measured.
applyLevelsFlag(config, '1');

export async function scaleBench(opts: { experiments: number; runs: number; moreIterations: number }) {
  const { dir, trace } = repoWithRun(opts.experiments);
  const bytes = statSync(trace).size;

  const probes = Array.from({ length: opts.runs }, () => {
    const out = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(__dirname, 'scaleProbe.ts'), trace], { cwd: ROOT, encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`scale probe failed: ${out.stderr}`);
    return JSON.parse(out.stdout) as Record<string, number>;
  });
  const med = (k: string) => round(median(probes.map((p) => p[k])));

  const cli = join(ROOT, 'dist/cli.js');
  if (!existsSync(cli)) execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  const statusMs = Array.from({ length: opts.runs }, () => {
    const t0 = performance.now();
    const out = spawnSync(process.execPath, [cli, '-C', dir, 'status', '--tag', 'scale'], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`bilevel status failed: ${out.stderr}`);
    return performance.now() - t0;
  });
  const noopMs = Array.from({ length: opts.runs }, () => {
    const t0 = performance.now();
    spawnSync(process.execPath, [cli, '--version'], { encoding: 'utf8' });
    return performance.now() - t0;
  });

  // The loop resumes the 10,000-experiment run and goes on: resume cost, then per-iteration cost.
  const loop = await timeLoop({ repoDir: dir, config, proposer: new HeuristicProposer(1), iterations: opts.experiments + opts.moreIterations, tag: 'scale' });
  rmSync(dir, { recursive: true, force: true });

  return {
    experiments: opts.experiments,
    traceEvents: probes[0].events,
    traceMb: round(bytes / 2 ** 20),
    runs: opts.runs,
    coldLoad: {
      openMs: med('openMs'),
      deriveRunStateMs: med('deriveMs'),
      resultsTsvMs: med('resultsTsvMs'),
      heapHeldMb: med('heapHeldMb'),
      rssMb: med('rssMb'),
      peakRssMb: med('peakRssMb'),
    },
    cliStatusMs: { median: round(median(statusMs)), processStartupMs: round(median(noopMs)) },
    loopResume: {
      resumeMs: round(loop.startupMs),
      moreIterations: loop.overheadMs.length,
      overheadMs: { median: round(median(loop.overheadMs)), p95: round(quantile(loop.overheadMs, 0.95)) },
      iterationsDone: loop.state.iterationsDone,
    },
  };
}
