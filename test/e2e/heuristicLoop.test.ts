import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunEvent } from '../../src/shared/trace/events';
import { isAlive } from '../../src/core/process/processGroup';
import { cli, cliAsync, git, onlyRunTag, readTraceEvents, tinyGptRepo, waitFor } from '../support/tinyGptRepo';

const types = (events: RunEvent[]) => events.map((e) => e.type);

test('three real training iterations with the offline heuristic proposer', { timeout: 300_000 }, () => {
  const dir = tinyGptRepo();
  const mainBefore = git(dir, 'rev-parse', 'main');
  const r = cli(dir, ['run', '--iterations', '3']);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /#0 baseline/);
  assert.match(r.stdout, /run completed/);

  const tag = onlyRunTag(dir);
  const events = readTraceEvents(dir, tag);
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), 'trace seq is contiguous');
  assert.equal(events[0].type, 'run.started');
  assert.equal(events[events.length - 1].type, 'run.stopped');
  const decided = events.filter((e): e is Extract<RunEvent, { type: 'experiment.decided' }> => e.type === 'experiment.decided');
  assert.equal(decided.length, 4, 'baseline + 3 experiments');
  assert.equal(decided[0].status, 'keep');
  assert.ok(decided.every((d) => d.status === 'crash' || (d.metric !== null && d.metric > 0 && d.metric < 9)), 'real val_bpb values');
  assert.ok(!types(events).includes('training.output'), 'output lines live in logs, not the trace');

  // Branch and refs: user branch untouched, run branch at the best commit, every experiment's commit kept.
  assert.equal(git(dir, 'rev-parse', 'main'), mainBefore);
  const kept = decided.filter((d) => d.status === 'keep');
  assert.equal(git(dir, 'rev-parse', `autoresearch/${tag}`), kept[kept.length - 1].commit);
  assert.equal(git(dir, 'symbolic-ref', '--short', 'HEAD'), `autoresearch/${tag}`);
  for (const d of decided.slice(1)) assert.equal(git(dir, 'rev-parse', `refs/autoresearch/${tag}/tried/${d.n}`), d.commit);
  assert.equal(git(dir, 'status', '--porcelain', '--untracked-files=no'), '', 'working tree clean on the best commit');
  assert.equal(git(dir, 'status', '--porcelain'), '', 'run state is excluded from git');

  // results.tsv matches the decisions.
  const rows = readFileSync(join(dir, '.autoresearch/runs', tag, 'results.tsv'), 'utf8').trim().split('\n');
  assert.equal(rows[0], 'commit\tval_bpb\tmemory_gb\tstatus\tdescription');
  assert.equal(rows.length, 5);
  for (const [i, d] of decided.entries()) assert.ok(rows[i + 1].startsWith(`${d.commit.slice(0, 7)}\t`), rows[i + 1]);
  for (const d of decided) assert.ok(existsSync(join(dir, '.autoresearch/runs', tag, 'logs', `${d.n}.log`)));

  // Running it again with the same budget resumes and has nothing left to do.
  const again = cli(dir, ['run', '--iterations', '3']);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /resumed/);
  assert.equal(readTraceEvents(dir, tag).filter((e) => e.type === 'experiment.decided').length, 4);

  const status = cli(dir, ['status']);
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /best val_bpb \d\.\d{6}/);
  assert.match(status.stdout, /trace .*trace\.jsonl/);
});

test('a dirty working tree is refused before anything is created', { timeout: 60_000 }, () => {
  const dir = tinyGptRepo();
  writeFileSync(join(dir, 'train.py'), readFileSync(join(dir, 'train.py'), 'utf8') + '\n# local edit\n');
  const r = cli(dir, ['run', '--iterations', '1']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /uncommitted changes \(train\.py\)/);
  assert.match(r.stderr, /git stash/);
  assert.equal(git(dir, 'branch', '--list', 'autoresearch/*'), '');
  assert.match(readFileSync(join(dir, 'train.py'), 'utf8'), /# local edit/, 'the user’s change is still there');
});

test('kill -9 during training, then run again: the experiment is interrupted, not counted, and the run completes', { timeout: 300_000 }, async () => {
  const dir = tinyGptRepo({ timeBudget: 6 });
  const child = cliAsync(dir, ['run', '--iterations', '2']);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const tag = await waitFor('the run branch', () => {
    try {
      return onlyRunTag(dir);
    } catch {
      return null;
    }
  });
  // Wait until experiment #1 (after the baseline) is training, then kill the CLI outright.
  const started = await waitFor('experiment #1 training', () => {
    try {
      return readTraceEvents(dir, tag).find((e): e is Extract<RunEvent, { type: 'training.started' }> => e.type === 'training.started' && e.n === 1);
    } catch {
      return undefined;
    }
  }, 200_000);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.ok(started.pid && isAlive(started.pid), 'the orphaned training run is still alive after kill -9 of the CLI');

  const r = cli(dir, ['run', '--iterations', '2'], {});
  assert.equal(r.status, 0, r.stderr + r.stdout + stderr);
  assert.match(r.stdout, /#1 +interrupted/);
  assert.ok(!isAlive(started.pid!), 'resume killed the orphaned training process group');

  const events = readTraceEvents(dir, tag);
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), 'no trace event lost or duplicated');
  const interrupted = events.filter((e) => e.type === 'experiment.interrupted');
  assert.equal(interrupted.length, 1);
  assert.equal((interrupted[0] as any).n, 1);
  const decided = events.filter((e): e is Extract<RunEvent, { type: 'experiment.decided' }> => e.type === 'experiment.decided');
  assert.ok(!decided.some((d) => d.n === 1), 'the interrupted experiment is not a result');
  assert.equal(decided.length, 3, 'baseline + 2 counted experiments');
  const rows = readFileSync(join(dir, '.autoresearch/runs', tag, 'results.tsv'), 'utf8').trim().split('\n');
  assert.equal(rows.length, 4);
  const kept = decided.filter((d) => d.status === 'keep');
  assert.equal(git(dir, 'rev-parse', 'HEAD'), kept[kept.length - 1].commit, 'working tree back on the best commit');
  assert.equal(git(dir, 'status', '--porcelain'), '');
  assert.equal(git(dir, 'rev-parse', `refs/autoresearch/${tag}/tried/1`), started.commit, 'the interrupted commit is kept for review');
});
