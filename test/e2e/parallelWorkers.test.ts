import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { RunEvent } from '../../src/shared/trace/events';
import { LocalExecutor } from '../../src/core/executors/localExecutor';
import { ResearchRun } from '../../src/core/run/researchRun';
import { HeuristicProposer } from '../../src/core/proposers/heuristicProposer';
import { parseTargetConfig } from '../../src/core/target/targetConfig';
import { candidate, ListProposer } from '../support/listProposer';
import { git } from '../support/tinyGptRepo';

/** Training that takes a fixed 1.5 s (sleeping, so two runs really overlap on any machine). */
const TRAIN = `import time
A = 8
B = 8
C = 0.5
time.sleep(1.5)
print(f"val_bpb: {1.0 + abs(A - 4) / 10 + abs(B - 2) / 20 + abs(C - 0.25):.6f}")
`;

function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parallel-'));
  writeFileSync(join(dir, 'train.py'), TRAIN);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'init');
  return dir;
}

const config = () =>
  parseTargetConfig({ editable: ['train.py'], parameters: { file: 'train.py' }, run: { command: 'python3 train.py', timeBudgetSeconds: 2 }, metric: { name: 'val_bpb' } });

async function timedRun(workers: number) {
  const dir = repo();
  const events: RunEvent[] = [];
  const t0 = performance.now();
  const { state } = await new ResearchRun({
    repoDir: dir,
    config: config(),
    proposer: new HeuristicProposer(3),
    iterations: 6,
    tag: 'p',
    workers: Array.from({ length: workers }, (_, i) => ({ executor: new LocalExecutor(), env: { CUDA_VISIBLE_DEVICES: String(i) } })),
    onEvent: (e) => events.push(e),
  }).run();
  return { dir, events, state, seconds: (performance.now() - t0) / 1000 };
}

test('two local workers: 6 iterations in clearly less wall time, with a linear history on the run branch', { timeout: 120_000 }, async () => {
  const one = await timedRun(1);
  const two = await timedRun(2);
  const ratio = two.seconds / one.seconds;
  console.log(`parallel: 1 worker ${one.seconds.toFixed(1)} s, 2 workers ${two.seconds.toFixed(1)} s, ratio ${ratio.toFixed(2)}`);
  assert.equal(one.state.iterationsDone, 6);
  assert.equal(two.state.iterationsDone, 6);
  assert.ok(ratio < 0.8, `2 workers took ${ratio.toFixed(2)} of the time of 1`);

  const { dir, events } = two;
  // Two experiments really were in flight at once, each in its own working copy with its own GPU.
  const starts = events.filter((e): e is Extract<RunEvent, { type: 'training.started' }> => e.type === 'training.started');
  let maxInFlight = 0;
  let inFlight = 0;
  for (const e of events) {
    if (e.type === 'training.started') inFlight++;
    if (e.type === 'training.finished') inFlight--;
    maxInFlight = Math.max(maxInFlight, inFlight);
  }
  assert.equal(maxInFlight, 2);
  assert.equal(starts.length, 7);

  // No two experiments trained the same configuration.
  const trees = events.filter((e): e is Extract<RunEvent, { type: 'candidate.applied' }> => e.type === 'candidate.applied').map((e) => e.tree);
  assert.equal(new Set(trees).size, trees.length);

  // Linear history: the run branch is exactly base + kept commits, each the child of the previous keep.
  const decided = events.filter((e): e is Extract<RunEvent, { type: 'experiment.decided' }> => e.type === 'experiment.decided');
  const kept = decided.filter((d) => d.status === 'keep').map((d) => d.commit);
  const chain = git(dir, 'rev-list', '--reverse', '--parents', 'autoresearch/p').split('\n').map((l) => l.split(' '));
  assert.ok(chain.every((c) => c.length <= 2), 'no merge commits');
  assert.deepEqual(chain.map((c) => c[0]), kept, 'the branch is the baseline and each kept experiment, in order');
  for (const d of decided.slice(1)) assert.equal(git(dir, 'rev-parse', `refs/autoresearch/p/tried/${d.n}`), d.commit);
  // Every keep ran on the best of its time: its parent is the previous kept commit.
  for (let i = 1; i < chain.length; i++) assert.equal(chain[i][1], chain[i - 1][0]);
  // A result that beat the best on a stale base was not kept, and says so.
  for (const d of decided.filter((x) => x.note)) assert.equal(d.status, 'discard');
  assert.equal(git(dir, 'status', '--porcelain'), '');
  assert.equal(git(dir, 'rev-parse', 'HEAD'), kept[kept.length - 1]);
});

test('a result that beat the best on a stale base is not kept, and is re-run on the new best', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stale-'));
  writeFileSync(join(dir, 'train.py'), `import time
A = 8
B = 8
SLEEP = 1.5
time.sleep(SLEEP)
print(f"val_bpb: {1.0 + abs(A - 4) / 10 + abs(B - 2) / 20:.6f}")
`);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'init');
  const events: RunEvent[] = [];
  // #1 (A) is slow; #2 (B, fast) finishes first and is kept; #3 (worse) is discarded; #1 then beats
  // the best, but ran without #2's change: not kept, re-queued; #4 (worse) is discarded; #5 re-runs #1.
  await new ResearchRun({
    repoDir: dir,
    config: config(),
    proposer: new ListProposer([
      candidate({ A: 4 }, 'A to 4'),
      candidate({ B: 2, SLEEP: 0.2 }, 'B to 2'),
      candidate({ B: 1 }, 'B to 1'),
      // A slow answer, so that #1 has finished and been re-queued before the next slot is filled.
      () => new Promise((resolve) => setTimeout(() => resolve(candidate({ B: 3 }, 'B to 3')), 2500)),
    ]),
    iterations: 5,
    tag: 's',
    workers: [{ executor: new LocalExecutor() }, { executor: new LocalExecutor() }],
    onEvent: (e) => events.push(e),
  }).run();
  const decided = events.filter((e): e is Extract<RunEvent, { type: 'experiment.decided' }> => e.type === 'experiment.decided');
  assert.deepEqual(decided.map((d) => [d.n, d.status]), [[0, 'keep'], [2, 'keep'], [3, 'discard'], [1, 'discard'], [4, 'discard'], [5, 'keep']]);
  assert.match(decided[3].note!, /beat the best but ran on .* re-queued/);
  assert.equal(decided[2].note, undefined);
  const rerun = events.find((e): e is Extract<RunEvent, { type: 'candidate.proposed' }> => e.type === 'candidate.proposed' && e.n === 5)!;
  assert.equal(rerun.proposer, 'rerun');
  assert.match(rerun.candidate.description, /A to 4 \(re-run of #1 on the new best\)/);
  assert.match(readFileSync(join(dir, 'train.py'), 'utf8'), /^A = 4\nB = 2\n/m, 'the re-run carries both changes');
  assert.equal(decided[5].metric, 1.0);
  const chain = git(dir, 'rev-list', '--reverse', 'autoresearch/s').split('\n');
  assert.deepEqual(chain, [decided[0].commit, decided[1].commit, decided[5].commit]);
});
