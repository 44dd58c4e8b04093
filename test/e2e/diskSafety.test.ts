import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunEvent } from '../../src/shared/trace/events';
import { readTrace } from '../../src/core/store/traceStore';
import { cliScriptRepo } from '../support/scriptRepo';
import { CLI, git } from '../support/tinyGptRepo';

/** With BIG set, a training writes ~250 KB of output: enough to fill the small disks below. */
const TRAIN = `import os
A = 8
TIME_BUDGET = 1
if os.environ.get("BIG"):
    for i in range(4000):
        print("step %d " % i + "x" * 60)
print(f"val_bpb: {1.0 + abs(A - 4) / 10:.6f}")
`;

const CONFIG = { run: { command: 'python3 train.py', timeBudgetSeconds: 1, hardTimeoutSeconds: 60 }, levels: { strategy: { enabled: false }, mechanisms: { enabled: false } } };

function bilevel(cwd: string, args: string[], extra: Record<string, string> = {}) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  const env = { ...process.env, ...extra };
  delete env.OPENAI_API_KEY;
  delete env.OPENAI_BASE_URL;
  return spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8', timeout: 120_000 });
}

/** Mounts a tmpfs at `dir` (unmounted after the test); false, with the reason shown, where mounting is not allowed. */
function mountTmpfs(t: TestContext, dir: string, options: string): boolean {
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    t.skip(`cannot mount a tmpfs here (${(r.stderr || r.error?.message || '').trim()}): not tested`);
    return false;
  }
  t.after(() => void spawnSync('umount', ['-l', dir]));
  return true;
}

const events = (dir: string, tag: string): RunEvent[] => readTrace(readFileSync(join(dir, '.autoresearch/runs', tag, 'trace.jsonl'))).events;

function assertContiguous(evs: RunEvent[]): void {
  assert.deepEqual(evs.map((e) => e.seq), evs.map((_, i) => i + 1), 'seq numbers are contiguous, none repeated');
}

function assertNoStack(stderr: string): void {
  assert.match(stderr, /^bilevel: /);
  assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace');
  assert.doesNotMatch(stderr, /bilevel -v/, 'a known failure, not an unexpected one');
}

test('a read-only .autoresearch/ is one clear error, and nothing is created: the next run works once it is writable', { timeout: 120_000 }, (t) => {
  const dir = cliScriptRepo(TRAIN, CONFIG);
  if (!mountTmpfs(t, join(dir, '.autoresearch'), 'ro,size=1m')) return;
  const r = bilevel(dir, ['run', '--iterations', '1']);
  assert.equal(r.status, 2, r.stderr + r.stdout);
  assertNoStack(r.stderr);
  assert.match(r.stderr, /The run keeps its trace in \.autoresearch\/runs\/\S+, and it is not writable \(EROFS\)/);
  assert.equal(git(dir, 'for-each-ref', 'refs/heads/autoresearch/', 'refs/autoresearch/'), '', 'no branch or ref left behind');
  assert.equal(git(dir, 'symbolic-ref', '--short', 'HEAD'), 'main');
  assert.ok(!existsSync(join(dir, '.git/autoresearch.lock')), 'the lock is given back');

  spawnSync('umount', [join(dir, '.autoresearch')]);
  const again = bilevel(dir, ['run', '--new', '--iterations', '1']);
  assert.equal(again.status, 0, again.stderr);
});

test('a failing log write (ENOSPC) never fails a run: said once per log, the run trains on and completes', { timeout: 120_000 }, (t) => {
  const dir = cliScriptRepo(TRAIN, CONFIG);
  if (!mountTmpfs(t, join(dir, '.autoresearch/runs/t/logs'), 'size=32k')) return;
  const r = bilevel(dir, ['run', '--tag', 't', '--iterations', '2'], { BIG: '1' });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const evs = events(dir, 't');
  assertContiguous(evs);
  const finished = evs.filter((e): e is Extract<RunEvent, { type: 'training.finished' }> => e.type === 'training.finished');
  assert.deepEqual(finished.map((e) => e.outcome), ['ok', 'ok', 'ok']);
  for (const e of finished) assert.match(e.logProblem ?? '', /logs\/\d+\.log could not be written \(.*ENOSPC.*\); training goes on/);
  assert.equal((r.stdout.match(/could not be written/g) ?? []).length, 3, `once per training:\n${r.stdout}`);
  assert.equal(evs.filter((e) => e.type === 'experiment.decided').length, 3);
  assert.deepEqual([evs.at(-1)!.type, (evs.at(-1) as { reason?: string }).reason], ['run.stopped', 'completed']);
});

test('a full disk stops the run cleanly with the trace consistent; once space is freed the run resumes and ends clean', { timeout: 120_000 }, (t) => {
  const dir = cliScriptRepo(TRAIN, CONFIG);
  const runs = join(dir, '.autoresearch/runs');
  if (!mountTmpfs(t, runs, 'size=64k')) return;
  const r = bilevel(dir, ['run', '--tag', 't', '--iterations', '2'], { BIG: '1' });
  assert.equal(r.status, 1, r.stderr + r.stdout);
  assertNoStack(r.stderr);
  // Whichever write meets the full disk first (the trace, or results.tsv made from it) stops the run.
  assert.match(r.stderr, /cannot write (the trace )?\S+\/(trace\.jsonl|results\.tsv): ENOSPC: no space left on device.*free space .* and run again to resume/);
  const table = join(runs, 't/results.tsv');
  if (existsSync(table)) assert.match(readFileSync(table, 'utf8'), /^commit\tval_bpb\t[^]*\n$/, 'results.tsv is whole or absent, never cut');
  assert.deepEqual(readdirSync(join(runs, 't')).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left');
  const raw = readFileSync(join(runs, 't/trace.jsonl'), 'utf8');
  assert.ok(raw.endsWith('\n'), 'no torn line');
  assertContiguous(events(dir, 't'));
  assert.ok(!existsSync(join(dir, '.git/autoresearch.lock')), 'the lock is given back');

  // Free the space (the logs took it), and resume without the big output.
  for (const f of readdirSync(join(runs, 't/logs'))) rmSync(join(runs, 't/logs', f));
  const resumed = bilevel(dir, ['run', '--tag', 't', '--iterations', '2']);
  assert.equal(resumed.status, 0, resumed.stderr + resumed.stdout);
  const evs = events(dir, 't');
  assertContiguous(evs);
  assert.ok(evs.some((e) => e.type === 'run.resumed'));
  const decided = evs.filter((e): e is Extract<RunEvent, { type: 'experiment.decided' }> => e.type === 'experiment.decided');
  assert.equal(new Set(decided.map((e) => e.n)).size, decided.length, 'every experiment is decided once');
  assert.equal(git(dir, 'status', '--porcelain', '--untracked-files=no'), '', 'the tree is clean');
  const best = decided.filter((e) => e.status === 'keep').at(-1)!;
  assert.equal(git(dir, 'rev-parse', 'autoresearch/t'), best.commit, 'the branch is at the best kept commit: discarded ones were reset');
});
