import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { holderIsLive, liveRepoWriter, removeIfUnchanged, RepoBusy, RepoLock, type LockHolder } from '../../src/core/session/repoLock';
import { processStartTime } from '../../src/core/process/processGroup';

const git = (dir: string, ...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();

function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lock-'));
  git(dir, 'init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'train.py'), 'LR = 0.1\n');
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'init');
  return dir;
}

/** A pid that has just exited (so no process holds it now). */
function deadPid(): number {
  return spawnSync('true').pid!;
}

const holder = (h: Partial<LockHolder>): string => JSON.stringify({ pid: 1, startedAt: null, host: hostname(), since: '2026-01-01T00:00:00Z', ...h });

test('the lock lives in the git common dir, and a second taker is refused with the pid and how to stop it', async () => {
  const dir = repo();
  const lock = await RepoLock.take(dir, { tag: 'a' });
  assert.equal(lock.path, join(dir, '.git', 'autoresearch.lock'));
  const err = await RepoLock.take(dir, { tag: 'b' }).then(
    () => assert.fail('a second writer was let in'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof RepoBusy);
  assert.match(err.message, new RegExp(`pid ${process.pid}, run a,`));
  assert.match(err.message, new RegExp(`kill ${process.pid}`));
  assert.equal((await liveRepoWriter(dir))?.tag, 'a');
  lock.release();
  assert.ok(!existsSync(lock.path));
  assert.equal(await liveRepoWriter(dir), null);
  (await RepoLock.take(dir)).release();
  assert.deepEqual(readdirSync(join(dir, '.git')).filter((f) => f.startsWith('autoresearch.lock')), [], 'no temporary files are left');
});

test('a linked worktree shares the lock of its repository', async () => {
  const dir = repo();
  const wt = join(mkdtempSync(join(tmpdir(), 'wt-')), 'w');
  git(dir, 'worktree', 'add', '-q', '--detach', wt);
  const lock = await RepoLock.take(dir);
  await assert.rejects(RepoLock.take(wt), RepoBusy);
  lock.release();
});

test('a lock whose process is gone is taken over', async () => {
  const dir = repo();
  writeFileSync(join(dir, '.git', 'autoresearch.lock'), holder({ pid: deadPid(), tag: 'old' }));
  const lock = await RepoLock.take(dir, { tag: 'new' });
  assert.equal(JSON.parse(readFileSync(lock.path, 'utf8')).pid, process.pid);
  lock.release();
});

test('a lock whose pid was reused by another process (start time differs) is taken over', async () => {
  const dir = repo();
  const started = processStartTime(process.pid);
  if (started === undefined) return; // no /proc: the start time cannot be checked
  writeFileSync(join(dir, '.git', 'autoresearch.lock'), holder({ pid: process.pid, startedAt: started - 60_000 }));
  const lock = await RepoLock.take(dir);
  assert.equal(JSON.parse(readFileSync(lock.path, 'utf8')).startedAt, started);
  lock.release();
});

test('release never removes a lock that another process holds now', async () => {
  const dir = repo();
  const lock = await RepoLock.take(dir);
  const other = holder({ pid: process.ppid });
  writeFileSync(lock.path, other);
  lock.release();
  assert.equal(readFileSync(lock.path, 'utf8'), other);
});

test('liveness: another host counts as live; a dead pid, or a live pid with another start time, does not', () => {
  const probe = { host: 'here', alive: (pid: number) => pid === 7, startTime: () => 1000 };
  const h = (x: Partial<LockHolder>): LockHolder => ({ pid: 7, startedAt: 1000, host: 'here', since: '', ...x });
  assert.equal(holderIsLive(h({}), probe), true);
  assert.equal(holderIsLive(h({ pid: 8 }), probe), false);
  assert.equal(holderIsLive(h({ startedAt: 5000 }), probe), false);
  assert.equal(holderIsLive(h({ startedAt: null }), probe), true);
  assert.equal(holderIsLive(h({ pid: 8, host: 'there' }), probe), true);
});

test('of eight processes taking over one stale lock at once, exactly one gets it', { timeout: 60_000 }, async () => {
  const dir = repo();
  writeFileSync(join(dir, '.git', 'autoresearch.lock'), holder({ pid: deadPid() }));
  const go = join(dir, 'go');
  const done = join(dir, 'done');
  const lockModule = resolve(__dirname, '../../src/core/session/repoLock.ts');
  // Each taker says it is ready, waits for the same moment, tries once, and holds what it got until
  // every taker has answered (so no late starter can take a lock given back meanwhile).
  const script = `
    const { existsSync, writeFileSync } = require('node:fs');
    (async () => {
      const m = await import(${JSON.stringify(lockModule)}); const { RepoLock } = m.RepoLock ? m : m.default;
      writeFileSync(${JSON.stringify(dir)} + '/ready.' + process.pid, '');
      while (!existsSync(${JSON.stringify(go)})) await new Promise((r) => setTimeout(r, 2));
      try { const l = await RepoLock.take(${JSON.stringify(dir)}); console.log('took'); while (!existsSync(${JSON.stringify(done)})) await new Promise((r) => setTimeout(r, 10)); l.release(); }
      catch (e) { console.log(e.name === 'RepoBusy' ? e.name : String(e)); }
    })();`;
  const children = Array.from({ length: 8 }, () => spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const answered: string[] = [];
  const outputs = children.map((c) => new Promise<string>((res) => {
    let out = '';
    c.stdout!.on('data', (d) => {
      out += d;
      if (out.endsWith('\n') && !answered.includes(String(c.pid))) answered.push(String(c.pid));
      if (answered.length === children.length) writeFileSync(done, '');
    });
    c.on('close', () => res(out.trim()));
  }));
  while (readdirSync(dir).filter((f) => f.startsWith('ready.')).length < children.length) await new Promise((r) => setTimeout(r, 20));
  writeFileSync(go, '');
  const results = await Promise.all(outputs);
  assert.equal(results.filter((r) => r === 'took').length, 1, results.join(' '));
  assert.equal(results.filter((r) => r === 'RepoBusy').length, 7, results.join(' '));
});

test('a taker that read the stale lock late never removes the lock a faster taker put in its place', async () => {
  const dir = repo();
  const path = join(dir, '.git', 'autoresearch.lock');
  const stale = holder({ pid: deadPid() });
  writeFileSync(path, stale);
  // The faster taker removes the stale lock and takes its place...
  const winner = await RepoLock.take(dir);
  const taken = readFileSync(path, 'utf8');
  // ...then the slower one, which had read the stale lock before, goes on to remove what it read.
  await removeIfUnchanged(path, stale);
  assert.equal(readFileSync(path, 'utf8'), taken, 'the winner still holds the lock');
  await assert.rejects(RepoLock.take(dir), (e: Error) => e.name === 'RepoBusy');
  winner.release();
});
