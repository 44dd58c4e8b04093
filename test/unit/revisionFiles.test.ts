import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitError } from '../../src/core/git/git';
import { changedFiles, fileAt, mergeBase } from '../../src/core/git/revisionFiles';

const git = (dir: string, ...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
const commit = (dir: string, message: string) => git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', message);

/** A repo with train.py and src/model.py in one commit; returns it and that commit. */
function repo(): { dir: string; root: string } {
  const dir = mkdtempSync(join(tmpdir(), 'revfiles-'));
  git(dir, 'init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'train.py'), 'LR = 0.1\n');
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'model.py'), 'DEPTH = 2\n');
  git(dir, 'add', '-A');
  commit(dir, 'init');
  return { dir, root: git(dir, 'rev-parse', 'HEAD') };
}

/** Deletes a loose object, as a damaged repository (a disk error, a bad copy) lacks it. */
function removeObject(dir: string, oid: string): void {
  rmSync(join(dir, '.git', 'objects', oid.slice(0, 2), oid.slice(2)));
}

async function gitError(p: Promise<unknown>): Promise<GitError> {
  const e = await p.then(
    () => assert.fail('expected a GitError'),
    (x: unknown) => x,
  );
  assert.ok(e instanceof GitError, `expected a GitError, got ${String(e)}`);
  return e;
}

test('a file at a revision, nested paths included', async () => {
  const { dir, root } = repo();
  assert.equal(await fileAt(dir, root, 'train.py'), 'LR = 0.1\n');
  assert.equal(await fileAt(dir, 'main', 'src/model.py'), 'DEPTH = 2\n');
});

test('absent reads as null: a path not in the tree, a revision that names nothing', async () => {
  const { dir, root } = repo();
  assert.equal(await fileAt(dir, root, 'nope.py'), null);
  assert.equal(await fileAt(dir, root, 'src/nope.py'), null);
  // The left side of a root commit's diff.
  assert.equal(await fileAt(dir, `${root}^`, 'train.py'), null);
  assert.equal(await fileAt(dir, 'no-such-branch', 'train.py'), null);
  assert.equal(await fileAt(dir, '1'.repeat(40), 'train.py'), null);
});

test('a damaged repository is an error with git’s message, never an absent file', async () => {
  const blobGone = repo();
  removeObject(blobGone.dir, git(blobGone.dir, 'rev-parse', 'HEAD:train.py'));
  let e = await gitError(fileAt(blobGone.dir, 'HEAD', 'train.py'));
  assert.match(e.message, /train\.py at HEAD .*cannot be read \(the repository is damaged\)/);
  assert.ok(e.stderr.trim() && e.message.includes(e.stderr.trim()), 'carries what git said');
  assert.equal(e.exitCode, 128);

  // git itself says "exists on disk, but not in 'HEAD'" here: the message alone would read as absent.
  const treeGone = repo();
  removeObject(treeGone.dir, git(treeGone.dir, 'rev-parse', 'HEAD^{tree}'));
  e = await gitError(fileAt(treeGone.dir, treeGone.root, 'train.py'));
  assert.match(e.message, /cannot read the files of .*damaged.*not a tree object/);

  const commitGone = repo();
  removeObject(commitGone.dir, commitGone.root);
  e = await gitError(fileAt(commitGone.dir, 'main', 'train.py'));
  assert.match(e.message, new RegExp(`main points at ${commitGone.root}, which is missing`));

  const notRepo = mkdtempSync(join(tmpdir(), 'norepo-'));
  e = await gitError(fileAt(notRepo, 'HEAD', 'train.py'));
  assert.match(e.message, /not a git repository/);
});

test('a directory where a file is expected is an error, not an absent file', async () => {
  const { dir, root } = repo();
  const e = await gitError(fileAt(dir, root, 'src'));
  assert.match(e.message, /src at .* is a tree that is not a file/);
});

test('the files a change touches, names with spaces and non-ASCII as they are', async () => {
  const { dir, root } = repo();
  writeFileSync(join(dir, 'train.py'), 'LR = 0.2\n');
  writeFileSync(join(dir, 'données à part.txt'), 'x\n');
  git(dir, 'rm', '-q', 'src/model.py');
  git(dir, 'add', '-A');
  commit(dir, 'change');
  assert.deepEqual((await changedFiles(dir, root, 'HEAD')).sort(), ['données à part.txt', 'src/model.py', 'train.py']);
  assert.deepEqual(await changedFiles(dir, 'HEAD', 'HEAD'), []);
  await gitError(changedFiles(dir, 'no-such-branch', 'HEAD'));
});

test('merge base: where two lines parted, null for unrelated histories, an error for a bad revision', async () => {
  const { dir, root } = repo();
  git(dir, 'checkout', '-q', '-b', 'side');
  writeFileSync(join(dir, 'train.py'), 'LR = 0.3\n');
  git(dir, 'add', '-A');
  commit(dir, 'side');
  assert.equal(await mergeBase(dir, 'main', 'side'), root);
  git(dir, 'checkout', '-q', '--orphan', 'other');
  commit(dir, 'unrelated');
  assert.equal(await mergeBase(dir, 'main', 'other'), null);
  await gitError(mergeBase(dir, 'main', 'no-such-branch'));
});
