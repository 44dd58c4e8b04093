import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '../../src/core/process/processGroup';
import { git, GitError } from '../../src/core/git/git';

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('every git process in src goes through the funnel', () => {
  const funnel = join('src', 'core', 'git', 'git.ts');
  const files = tsFiles('src');
  assert.ok(files.includes(funnel));
  // A call whose program is git (spawn('git', …), execFile("git", …), capture('git', …)), or simple-git.
  const startsGit = /\(\s*['"`]git['"`]\s*,|['"]simple-git['"]/;
  const offenders = files.filter((f) => f !== funnel && startsGit.test(readFileSync(f, 'utf8')));
  assert.deepEqual(offenders, []);
  assert.match(readFileSync(funnel, 'utf8'), startsGit, 'the check itself sees the funnel start git');
});

test('a failure is a GitError with git’s message and exit status', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'norepo-'));
  const e = await git(['rev-parse', 'HEAD'], { cwd: dir }).then(
    () => assert.fail('rev-parse outside a repository succeeded'),
    (x: unknown) => x,
  );
  assert.ok(e instanceof GitError);
  assert.equal(e.exitCode, 128);
  assert.match(e.stderr, /not a git repository/);
  assert.match(e.message, /^git rev-parse HEAD failed: fatal: not a git repository/);
});

test('identity overrides are left out of the error, the command is not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'norepo-'));
  await assert.rejects(git(['-c', 'user.name=x', '-c', 'user.email=y', 'log'], { cwd: dir }), (e: unknown) => {
    assert.ok(e instanceof GitError);
    assert.match(e.message, /^git log failed: /);
    return true;
  });
});

test('stdin reaches git byte for byte and the environment adds to the process’s', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'repo-'));
  await git(['init', '-q'], { cwd: dir });
  const content = 'a\0b\n' + 'x'.repeat(300_000);
  const blob = (await git(['hash-object', '-w', '--stdin'], { cwd: dir, input: content })).trim();
  assert.equal(await git(['cat-file', 'blob', blob], { cwd: dir }), content);
  assert.equal((await git(['var', 'GIT_AUTHOR_IDENT'], { cwd: dir, env: { GIT_AUTHOR_NAME: 'Funnel Test', GIT_AUTHOR_EMAIL: 'f@t' } })).split(' <')[0], 'Funnel Test');
});

test('git that cannot be started is a GitError without an exit status', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nogit-'));
  await assert.rejects(git(['version'], { cwd: dir, env: { PATH: join(dir, 'nothing-here') } }), (e: unknown) => {
    assert.ok(e instanceof GitError);
    assert.equal(e.exitCode, null);
    assert.match(e.message, /cannot run git .*ENOENT/);
    return true;
  });
});

test('a stop ends git and what it started', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stop-'));
  const pidFile = join(dir, 'child.pid');
  // An alias starting with ! runs a shell: the sleep is git's grandchild, as ssh is under git push.
  const alias = `alias.hang=!sleep 60 & echo $! > '${pidFile}'; wait`;
  const stop = new AbortController();
  const running = git(['-c', alias, 'hang'], { cwd: dir, signal: stop.signal });
  while (!existsSync(pidFile) || !readFileSync(pidFile, 'utf8').trim()) await sleep(10);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  stop.abort();
  await assert.rejects(running, (e: unknown) => e instanceof GitError && /was stopped/.test(e.message));
  assert.equal(isAlive(pid), false, 'the grandchild is gone');
});
