import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitError } from '../../src/core/git/git';
import { RunRepo, triedRef } from '../../src/core/git/runRepo';

const git = (dir: string, ...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();

function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'repo-'));
  git(dir, 'init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'train.py'), 'LR = 0.1\n');
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'init');
  return dir;
}

test('a repo without commits or outside git gets a clear error', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'norepo-'));
  await assert.rejects(RunRepo.open(empty), /not a git repository/);
  git(empty, 'init', '-q');
  await assert.rejects(RunRepo.open(empty), /no commits yet/);
});

test('a dirty working tree is refused with what to do', async () => {
  const dir = repo();
  writeFileSync(join(dir, 'train.py'), 'LR = 0.2\n');
  const r = await RunRepo.open(dir);
  await assert.rejects(r.assertClean(), /uncommitted changes \(train\.py\).*commit them .* or stash them/);
});

test('untracked files do not make the tree dirty', async () => {
  const dir = repo();
  writeFileSync(join(dir, 'notes.txt'), 'x');
  await (await RunRepo.open(dir)).assertClean();
});

test('run branch, commits, tried refs and resets never touch the user branch', async () => {
  const dir = repo();
  const mainBefore = git(dir, 'rev-parse', 'main');
  const r = await RunRepo.open(dir);
  await r.excludeRunState();
  await r.excludeRunState();
  assert.equal(readFileSync(join(dir, '.git/info/exclude'), 'utf8').split('\n').filter((l) => l === '/.autoresearch/runs/').length, 1);
  const { branch, baseCommit } = await r.createRunBranch('t1');
  assert.equal(branch, 'autoresearch/t1');
  assert.equal(baseCommit, mainBefore);
  writeFileSync(join(dir, 'train.py'), 'LR = 0.2\n');
  const tree = await r.stageTree(['train.py']);
  assert.match(tree, /^[0-9a-f]{40}$/);
  const c1 = await r.commitStaged('t1', 'raise LR');
  await r.recordTried('t1', 1, c1);
  await r.resetTo('t1', baseCommit);
  assert.equal(readFileSync(join(dir, 'train.py'), 'utf8'), 'LR = 0.1\n');
  assert.equal(git(dir, 'rev-parse', triedRef('t1', 1)), c1);
  assert.equal(git(dir, 'rev-parse', 'main'), mainBefore, 'main is untouched');
  git(dir, 'checkout', '-q', 'main');
  await assert.rejects(r.resetTo('t1', c1), /only ever rewrites autoresearch\/t1/);
  assert.equal(git(dir, 'rev-parse', 'main'), mainBefore);
});

test('commits work without a configured git identity', async () => {
  const dir = repo();
  const r = await RunRepo.open(dir);
  await r.createRunBranch('t2');
  writeFileSync(join(dir, 'train.py'), 'LR = 0.3\n');
  const env = { ...process.env, HOME: mkdtempSync(join(tmpdir(), 'home-')), GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
  const saved = process.env;
  process.env = env;
  try {
    const r2 = await RunRepo.open(dir);
    await r2.stageTree(['train.py']);
    const c = await r2.commitStaged('t2', 'x');
    assert.equal(git(dir, 'log', '-1', '--format=%an', c), 'Bilevel Autoresearch');
  } finally {
    process.env = saved;
  }
});

test('commit messages go through stdin: 200 KB and a NUL byte commit whole, and the tree is clean', async () => {
  const dir = repo();
  const r = await RunRepo.open(dir);
  await r.createRunBranch('t3');
  // Over Linux's 128 KB limit on one argument: as `-m <message>` this failed with spawn E2BIG.
  const long = `raise LR\n\n${Array.from({ length: 4000 }, (_, i) => `hypothesis line ${i}: ${'why '.repeat(10)}`.trimEnd()).join('\n')}`;
  assert.ok(long.length > 200_000);
  writeFileSync(join(dir, 'train.py'), 'LR = 0.2\n');
  await r.stageTree(['train.py']);
  const c1 = await r.commitStaged('t3', long);
  assert.equal(git(dir, 'log', '-1', '--format=%B', c1), long);

  writeFileSync(join(dir, 'train.py'), 'LR = 0.3\n');
  await r.stageTree(['train.py']);
  const c2 = await r.commitStaged('t3', 'lower\0 LR after the NUL');
  assert.equal(git(dir, 'log', '-1', '--format=%B', c2), 'lower\uFFFD LR after the NUL');
  assert.equal(git(dir, 'status', '--porcelain'), '');

  const worktree = join(mkdtempSync(join(tmpdir(), 'wt-')), 'w');
  await r.prepareWorktree(worktree, c2);
  writeFileSync(join(worktree, 'train.py'), 'LR = 0.4\n');
  await r.stageTree(['train.py'], worktree);
  const c3 = await r.commitDetached(worktree, `${long}\0`);
  assert.equal(git(dir, 'log', '-1', '--format=%B', c3), `${long}\uFFFD`);
  assert.equal(git(worktree, 'status', '--porcelain'), '');

  const c4 = await r.commitFilesOnto(c2, { 'notes.md': 'n\n' }, `mechanism: x\0\n\n${long}`);
  assert.equal(git(dir, 'log', '-1', '--format=%B', c4), `mechanism: x\uFFFD\n\n${long}`);
  assert.equal(await r.readFileAt(c4, 'notes.md'), 'n\n');
  assert.equal(git(dir, 'status', '--porcelain'), '');
});

test('readFileAt: null only for a file or commit that is not there; a damaged repo throws git’s message', async () => {
  const dir = repo();
  const r = await RunRepo.open(dir);
  const head = await r.head();
  assert.equal(await r.readFileAt(head, 'train.py'), 'LR = 0.1\n');
  assert.equal(await r.readFileAt(head, 'missing.py'), null);
  assert.equal(await r.readFileAt(`${head}^`, 'train.py'), null);
  await assert.rejects(r.requireFileAt(head, 'missing.py'), (e: unknown) => e instanceof GitError && /missing\.py is missing from commit [0-9a-f]{7}/.test(e.message));

  const blob = git(dir, 'rev-parse', 'HEAD:train.py');
  rmSync(join(dir, '.git', 'objects', blob.slice(0, 2), blob.slice(2)));
  for (const read of [() => r.readFileAt(head, 'train.py'), () => r.requireFileAt(head, 'train.py')]) {
    await assert.rejects(read(), (e: unknown) => e instanceof GitError && /train\.py at [0-9a-f]+ .*cannot be read \(the repository is damaged\): fatal: /.test(e.message));
  }

  rmSync(join(dir, '.git'), { recursive: true });
  await assert.rejects(r.readFileAt(head, 'train.py'), (e: unknown) => e instanceof GitError && e.exitCode === 128 && /not a git repository/.test(e.message));
});

test('files the run edits must be committed before it starts', async () => {
  const dir = repo();
  writeFileSync(join(dir, 'model.py'), 'DEPTH = 2\n');
  const r = await RunRepo.open(dir);
  await r.assertCommitted(['train.py']);
  await assert.rejects(r.assertCommitted(['train.py', 'model.py']), /^GitError: model\.py is not committed\. .*commit it first \(git add model\.py && git commit\)/);
  assert.equal(readFileSync(join(dir, 'model.py'), 'utf8'), 'DEPTH = 2\n', 'the untracked file is left alone');
});
