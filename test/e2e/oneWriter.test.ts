import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { TraceStore } from '../../src/core/store/traceStore';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent } from '../../src/shared/trace/events';
import { cliScriptRepo } from '../support/scriptRepo';
import { CLI, git, readTraceEvents } from '../support/tinyGptRepo';

/** Each training waits for GO_FILE, so the first run is surely training when the second one starts. */
const TRAIN = `import os, time
A = 8
TIME_BUDGET = 1
go = os.environ.get("GO_FILE")
while go and not os.path.exists(go):
    time.sleep(0.02)
print(f"val_bpb: {1.0 + abs(A - 4) / 10:.6f}")
`;

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const e = { ...process.env, ...extra };
  delete e.OPENAI_API_KEY;
  delete e.OPENAI_BASE_URL;
  return e;
}

async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a second `bilevel run` in the same repo, with another tag, is refused at once; the first goes on unharmed', { timeout: 120_000 }, async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  const dir = cliScriptRepo(TRAIN, { run: { command: 'python3 train.py', timeBudgetSeconds: 1, hardTimeoutSeconds: 60 }, levels: { strategy: { enabled: false }, mechanisms: { enabled: false } } });
  const go = join(mkdtempSync(join(tmpdir(), 'go-')), 'go');
  const first = spawn(process.execPath, [CLI, 'run', '--tag', 'first', '--iterations', '2'], { cwd: dir, env: env({ GO_FILE: go }), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  first.stdout.on('data', (d) => (out += d));
  first.stderr.on('data', (d) => (out += d));
  const firstDone = new Promise<number | null>((resolve) => first.once('close', resolve));
  const trace = join(dir, '.autoresearch/runs/first/trace.jsonl');
  await until('the first run to train', () => existsSync(trace) && readFileSync(trace, 'utf8').includes('"training.started"'));

  const t0 = Date.now();
  const second = spawnSync(process.execPath, [CLI, 'run', '--tag', 'second', '--iterations', '2'], { cwd: dir, env: env({ GO_FILE: go }), encoding: 'utf8', timeout: 60_000 });
  assert.ok(Date.now() - t0 < 10_000, 'refused at once, not after waiting');
  assert.equal(second.status, 2, second.stderr + second.stdout);
  assert.match(second.stderr, new RegExp(`^bilevel: Another run is already writing to this repository \\(pid ${first.pid}, run first,`));
  assert.match(second.stderr, new RegExp(`kill ${first.pid}`));
  assert.doesNotMatch(second.stderr, /^\s+at /m, 'no stack trace');
  assert.equal(git(dir, 'branch', '--list', 'autoresearch/second'), '', 'the refused run created no branch');
  assert.ok(!existsSync(join(dir, '.autoresearch/runs/second')), 'nor any run state');
  assert.equal(git(dir, 'symbolic-ref', '--short', 'HEAD'), 'autoresearch/first');

  writeFileSync(go, '');
  assert.equal(await firstDone, 0, out);
  const events = readTraceEvents(dir, 'first');
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), 'seq numbers are contiguous');
  const trained = events.filter((e): e is Extract<RunEvent, { type: 'training.finished' }> => e.type === 'training.finished');
  assert.deepEqual(trained.map((e) => e.outcome), ['ok', 'ok', 'ok'], 'the baseline and both experiments trained to the end');
  assert.deepEqual([events.at(-1)!.type, (events.at(-1) as { reason?: string }).reason], ['run.stopped', 'completed']);
  assert.ok(!existsSync(join(dir, '.git/autoresearch.lock')), 'the lock is given back when the run stops');

  // Once the first has stopped, the second tag may run.
  const again = spawnSync(process.execPath, [CLI, 'run', '--tag', 'second', '--iterations', '1'], { cwd: dir, env: env({ GO_FILE: go }), encoding: 'utf8', timeout: 60_000 });
  assert.equal(again.status, 0, again.stderr);
});

test('a lock left by a killed run does not block the next one', { timeout: 120_000 }, async () => {
  const dir = cliScriptRepo(TRAIN, { run: { command: 'python3 train.py', timeBudgetSeconds: 1, hardTimeoutSeconds: 60 }, levels: { strategy: { enabled: false }, mechanisms: { enabled: false } } });
  const go = join(mkdtempSync(join(tmpdir(), 'go-')), 'go');
  const first = spawn(process.execPath, [CLI, 'run', '--tag', 'a', '--iterations', '1'], { cwd: dir, env: env({ GO_FILE: go }), stdio: 'ignore' });
  await until('the lock', () => existsSync(join(dir, '.git/autoresearch.lock')));
  const closed = new Promise((resolve) => first.once('close', resolve));
  first.kill('SIGKILL');
  await closed;
  assert.ok(existsSync(join(dir, '.git/autoresearch.lock')), 'kill -9 leaves the lock behind');
  writeFileSync(go, '');
  const next = spawnSync(process.execPath, [CLI, 'run', '--tag', 'a', '--iterations', '1'], { cwd: dir, env: env({ GO_FILE: go }), encoding: 'utf8', timeout: 60_000 });
  assert.equal(next.status, 0, next.stderr);
});

test('a run killed between recording run.started and creating its branch resumes and creates the branch', { timeout: 120_000 }, () => {
  const dir = cliScriptRepo(TRAIN, { run: { command: 'python3 train.py', timeBudgetSeconds: 1, hardTimeoutSeconds: 60 }, levels: { strategy: { enabled: false }, mechanisms: { enabled: false } } });
  const base = git(dir, 'rev-parse', 'HEAD');
  // What such a kill leaves: a trace holding only run.started, no branch, HEAD still on the user's branch.
  mkdirSync(join(dir, '.autoresearch/runs/k'), { recursive: true });
  const { store } = TraceStore.open(join(dir, '.autoresearch/runs/k/trace.jsonl'));
  store.append({ type: 'run.started', tag: 'k', branch: 'autoresearch/k', baseCommit: base, metric: 'val_bpb', goal: 'minimize', proposer: 'heuristic' });
  store.close();
  assert.equal(git(dir, 'branch', '--list', 'autoresearch/k'), '');
  const next = spawnSync(process.execPath, [CLI, 'run', '--tag', 'k', '--iterations', '1'], { cwd: dir, env: env({ GO_FILE: '' }), encoding: 'utf8', timeout: 60_000 });
  assert.equal(next.status, 0, next.stderr);
  assert.match(next.stdout, /resumed/);
  assert.equal(git(dir, 'symbolic-ref', '--short', 'HEAD'), 'autoresearch/k');
  assert.equal(git(dir, 'merge-base', 'autoresearch/k', base), base, 'the branch grew from where the run started');
  const events = readTraceEvents(dir, 'k');
  assert.equal(events.filter((e) => e.type === 'training.finished').length, 2, 'the baseline and one experiment trained');
});

test('a run killed as its trace was created (an empty trace, no branch) starts afresh under its tag', { timeout: 120_000 }, () => {
  const dir = cliScriptRepo(TRAIN, { run: { command: 'python3 train.py', timeBudgetSeconds: 1, hardTimeoutSeconds: 60 }, levels: { strategy: { enabled: false }, mechanisms: { enabled: false } } });
  mkdirSync(join(dir, '.autoresearch/runs/e'), { recursive: true });
  writeFileSync(join(dir, '.autoresearch/runs/e/trace.jsonl'), '');
  const next = spawnSync(process.execPath, [CLI, 'run', '--tag', 'e', '--iterations', '1'], { cwd: dir, env: env({ GO_FILE: '' }), encoding: 'utf8', timeout: 60_000 });
  assert.equal(next.status, 0, next.stderr);
  const events = readTraceEvents(dir, 'e');
  assert.equal(events[0].type, 'run.started');
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1));
  assert.equal(git(dir, 'symbolic-ref', '--short', 'HEAD'), 'autoresearch/e');
});
