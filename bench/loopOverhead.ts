/**
 * The loop's own cost per iteration, excluding training and LLM time: proposing (heuristic),
 * validating, applying, git add/write-tree/commit/reset/update-ref, metric parsing, trace append
 * with fsync, results.tsv. Training is a near-instant shell command.
 *
 *   node --import tsx bench/loopOverhead.ts [--iterations 200]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ResearchRun } from '../src/core/levels/researchRun';
import { HeuristicProposer } from '../src/core/proposers/heuristicProposer';
import { parseTargetConfig } from '../src/core/target/targetConfig';

const iterations = Number(process.argv[process.argv.indexOf('--iterations') + 1]) || 200;

// Enough parameters that the heuristic never runs out of untried neighbours.
const params = Array.from({ length: 40 }, (_, i) => `P${i} = ${2 ** (4 + (i % 6))}  # knob ${i}`).join('\n');
const dir = mkdtempSync(join(tmpdir(), 'bench-loop-'));
writeFileSync(join(dir, 'train.py'), `${params}\nLR = 3e-4\n`);
const git = (...a: string[]) => execFileSync('git', a, { cwd: dir });
git('init', '-q', '-b', 'main');
git('add', '-A');
git('-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-q', '-m', 'init');

const config = parseTargetConfig({
  editable: ['train.py'],
  parameters: { file: 'train.py' },
  // The metric varies so that keeps and discards both happen (a keep skips the reset).
  run: { command: 'echo "val_bpb: 1.$(od -An -N2 -tu2 /dev/urandom | tr -d \' \')"', timeBudgetSeconds: 1 },
  metric: { name: 'val_bpb' },
});

const started = new Map<number, number>();
const trainingMs = new Map<number, number>();
const trainingStart = new Map<number, number>();
const overhead: number[] = [];
const run = new ResearchRun({
  repoDir: dir,
  config,
  proposer: new HeuristicProposer(1),
  iterations,
  tag: 'bench',
  onEvent: (e) => {
    const now = performance.now();
    if (e.type === 'iteration.started') started.set(e.n, now);
    if (e.type === 'training.started') trainingStart.set(e.n, now);
    if (e.type === 'training.finished') trainingMs.set(e.n, now - (trainingStart.get(e.n) ?? now));
    if (e.type === 'iteration.finished' && e.n > 0) overhead.push(now - started.get(e.n)! - (trainingMs.get(e.n) ?? 0));
  },
});
async function main() {
const t0 = performance.now();
const summary = await run.run();
const wall = performance.now() - t0;
const stopped = summary.state.stopped;
rmSync(dir, { recursive: true, force: true });

overhead.sort((a, b) => a - b);
const q = (p: number) => overhead[Math.min(overhead.length - 1, Math.floor(p * overhead.length))];
const train = [...trainingMs.values()].sort((a, b) => a - b);
console.log(JSON.stringify({
  iterations: overhead.length,
  stopped,
  results: Object.fromEntries(["keep", "discard", "crash", "cached", "rejected", "proposal-failed"].map((r) => [r, summary.state.experiments.filter((x) => x.result === r).length])),
  overheadMs: { median: +q(0.5).toFixed(1), p95: +q(0.95).toFixed(1), max: +q(1).toFixed(1) },
  trainingCommandMs: { median: +train[Math.floor(train.length / 2)].toFixed(1) },
  wallSeconds: +(wall / 1000).toFixed(1),
}, null, 2));
}

void main();
