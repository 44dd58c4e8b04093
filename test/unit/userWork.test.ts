import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunRepo } from '../../src/core/git/runRepo';
import { adoptionOf, parseStatus, unexpectedChanges, UserWorkFound } from '../../src/core/git/userWork';
import { commitSubject, loopCommits } from '../../src/core/git/loopCommits';
import { GitError } from '../../src/core/git/git';
import type { RunEvent } from '../../src/shared/trace/events';

const git = (dir: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=u', '-c', 'user.email=u@u', ...args], { cwd: dir, encoding: 'utf8' }).trim();

function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'userwork-'));
  git(dir, 'init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'train.py'), 'LR = 0.1\n');
  writeFileSync(join(dir, 'README.md'), 'readme\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'init');
  return dir;
}

/** Everything git holds that the loop could move: every ref, HEAD, the index and the tracked files. */
function snapshot(dir: string) {
  return {
    refs: git(dir, 'for-each-ref', '--format=%(refname) %(objectname)'),
    head: git(dir, 'symbolic-ref', '-q', '--short', 'HEAD'),
    index: git(dir, 'write-tree'),
    status: git(dir, 'status', '--porcelain'),
    train: readFileSync(join(dir, 'train.py'), 'utf8'),
    readme: readFileSync(join(dir, 'README.md'), 'utf8'),
  };
}

async function rejectsWith(p: Promise<unknown>, check: (e: UserWorkFound) => void): Promise<void> {
  const e = await p.then(
    () => assert.fail('the user work was not detected'),
    (x: unknown) => x,
  );
  assert.ok(e instanceof UserWorkFound, String(e));
  assert.ok(e instanceof GitError, 'shown as one message by every front');
  check(e);
}

/** A run branch with a candidate applied and staged, as the loop leaves it just before its commit. */
async function applied(): Promise<{ dir: string; r: RunRepo }> {
  const dir = repo();
  const r = await RunRepo.open(dir);
  await r.createRunBranch('t');
  writeFileSync(join(dir, 'train.py'), 'LR = 0.2\n');
  await r.stageTree(['train.py']);
  return { dir, r };
}

test('parseStatus reads branch, HEAD and tracked changes (renames, spaces, detached)', () => {
  const out = ['# branch.oid abc', '# branch.head main', '1 .M N... 100644 100644 100644 x y a b.txt', '2 R. N... 100644 100644 100644 x y R100 new name', 'old name', ''].join('\0');
  assert.deepEqual(parseStatus(out), {
    branch: 'main',
    head: 'abc',
    entries: [
      { path: 'a b.txt', index: '.', worktree: 'M' },
      { path: 'new name', index: 'R', worktree: '.' },
      { path: 'old name', index: 'D', worktree: '.' },
    ],
  });
  assert.equal(parseStatus('# branch.oid (initial)\0# branch.head (detached)\0').branch, null);
});

test('unexpectedChanges: staged paths must be unchanged since staging; loose paths may be anything; the rest is the user’s', () => {
  const status = { branch: 'autoresearch/t', head: 'h', entries: [{ path: 'train.py', index: 'M', worktree: '.' }, { path: 'x.py', index: '.', worktree: 'M' }] };
  const left = (staged: string[], loose: string[] = []) => ({ head: 'h', staged: new Set(staged), loose: new Set(loose) });
  assert.deepEqual(unexpectedChanges(status, 'autoresearch/t', left(['train.py'])), { modified: ['x.py'] });
  assert.equal(unexpectedChanges(status, 'autoresearch/t', left(['train.py'], ['x.py'])), null);
  assert.deepEqual(unexpectedChanges({ ...status, entries: [{ path: 'train.py', index: 'M', worktree: 'M' }] }, 'autoresearch/t', left(['train.py'])), { modified: ['train.py'] }, 'edited after it was staged');
  assert.deepEqual(unexpectedChanges({ ...status, branch: null, entries: [] }, 'autoresearch/t', left([])), { otherBranch: null });
});

test('a checkout of another branch between apply and commit is detected, and nothing moves', async () => {
  const { dir, r } = await applied();
  git(dir, 'checkout', '-q', 'main');
  const before = snapshot(dir);
  await rejectsWith(r.commitStaged('t', 'raise LR'), (e) => {
    assert.equal(e.found.otherBranch, 'main');
    assert.match(e.message, /^Stopped before committing to autoresearch\/t, and nothing was touched: main is checked out, not the run's branch autoresearch\/t/);
  });
  await rejectsWith(r.resetTo('t', git(dir, 'rev-parse', 'main')), (e) => assert.equal(e.found.otherBranch, 'main'));
  assert.deepEqual(snapshot(dir), before, 'no ref, no file, not the index moved');
});

test('an edit of a tracked file between apply and commit is detected, and nothing moves', async () => {
  const { dir, r } = await applied();
  writeFileSync(join(dir, 'README.md'), 'my notes\n');
  const before = snapshot(dir);
  await rejectsWith(r.commitStaged('t', 'raise LR'), (e) => {
    assert.deepEqual(e.found.modified, ['README.md']);
    assert.match(e.message, /tracked files were changed outside the loop \(README\.md\)/);
  });
  await rejectsWith(r.resetTo('t', git(dir, 'rev-parse', 'main')), (e) => assert.deepEqual(e.found.modified, ['README.md']));
  assert.deepEqual(snapshot(dir), before);
  assert.equal(readFileSync(join(dir, 'README.md'), 'utf8'), 'my notes\n', 'the edit survives');
});

test('an edit of the candidate’s own file after the loop staged it is detected too', async () => {
  const { dir, r } = await applied();
  writeFileSync(join(dir, 'train.py'), 'LR = 0.2  # mine\n');
  await rejectsWith(r.commitStaged('t', 'raise LR'), (e) => assert.deepEqual(e.found.modified, ['train.py']));
  assert.equal(readFileSync(join(dir, 'train.py'), 'utf8'), 'LR = 0.2  # mine\n');
});

test('as the loop left it, the loop goes on: commit, reset of an applied candidate, reset after a commit', async () => {
  const { dir, r } = await applied();
  const base = git(dir, 'rev-parse', 'main');
  const c1 = await r.commitStaged('t', 'raise LR');
  await r.resetTo('t', base);
  writeFileSync(join(dir, 'train.py'), 'LR = 0.3\n');
  await r.stageTree(['train.py']);
  await r.resetTo('t', base); // a cached candidate: applied, staged, dropped
  assert.equal(git(dir, 'rev-parse', 'HEAD'), base);
  assert.equal(git(dir, 'status', '--porcelain'), '');
  assert.notEqual(c1, base);
});

test('the user’s commit on the run branch is detected before a reset, and survives', async () => {
  const { dir, r } = await applied();
  const base = git(dir, 'rev-parse', 'main');
  await r.commitStaged('t', 'raise LR');
  writeFileSync(join(dir, 'autoresearch.config.json'), '{}\n');
  git(dir, 'add', 'autoresearch.config.json');
  git(dir, 'commit', '-q', '-m', 'autoresearch config');
  const mine = git(dir, 'rev-parse', 'HEAD');
  await rejectsWith(r.resetTo('t', base), (e) => {
    assert.deepEqual(e.found.foreignCommits, [`${mine.slice(0, 7)} "autoresearch config"`]);
    assert.match(e.message, /autoresearch\/t has 1 commit the loop did not make .*it is kept/);
  });
  await rejectsWith(r.commitStaged('t', 'again'), (e) => assert.equal(e.found.foreignCommits?.length, 1));
  assert.equal(git(dir, 'rev-parse', 'autoresearch/t'), mine, 'the branch still points at the user’s commit');
  assert.equal(readFileSync(join(dir, 'autoresearch.config.json'), 'utf8'), '{}\n');
});

test('a run branch moved back by hand is not where the loop left it either', async () => {
  const { dir, r } = await applied();
  const c1 = await r.commitStaged('t', 'raise LR');
  git(dir, 'reset', '-q', '--hard', 'main');
  await rejectsWith(r.resetTo('t', c1), (e) => assert.match(e.found.foreignCommits![0], /was moved to/));
});

const ev = (e: Record<string, unknown>, seq = 0) => ({ seq, at: '', ...e }) as unknown as RunEvent;

test('resume: the commits the trace names are the loop’s; a user commit is found; the one a kill kept out of the trace is not taken for one', async () => {
  const dir = repo();
  const r = await RunRepo.open(dir);
  const { baseCommit } = await r.createRunBranch('t');
  writeFileSync(join(dir, 'train.py'), 'LR = 0.2\n');
  const tree = await r.stageTree(['train.py']);
  const c1 = await r.commitStaged('t', 'raise LR\n\nbecause');
  const events = [
    ev({ type: 'run.started', tag: 't', branch: 'autoresearch/t', baseCommit }),
    ev({ type: 'iteration.started', n: 1, baseCommit, baseline: false }),
    ev({ type: 'candidate.proposed', n: 1, candidate: { description: 'raise LR', hypothesis: 'because' } }),
    ev({ type: 'candidate.applied', n: 1, tree, params: {}, changed: {} }),
  ];
  // Killed after the commit, before candidate.committed: the commit is the loop's all the same.
  const loop = loopCommits(events);
  assert.ok(loop.unrecordedTrees.has(tree));
  assert.ok(loop.unrecordedSubjects.has('raise LR'));
  await (await RunRepo.open(dir)).takeUpRunBranch('t', baseCommit, loop, []);

  const recorded = loopCommits([...events, ev({ type: 'candidate.committed', n: 1, commit: c1 })]);
  writeFileSync(join(dir, 'fix.py'), 'x\n');
  git(dir, 'add', 'fix.py');
  git(dir, 'commit', '-q', '-m', 'my fix');
  const fresh = await RunRepo.open(dir);
  await rejectsWith(fresh.takeUpRunBranch('t', baseCommit, recorded, []), (e) => {
    assert.deepEqual(e.found.foreignCommits, [`${git(dir, 'rev-parse', '--short=7', 'HEAD')} "my fix"`]);
    assert.match(e.message, /^Stopped before resuming run t/);
  });
  assert.equal(git(dir, 'log', '-1', '--format=%s', 'autoresearch/t'), 'my fix');
});

test('commitSubject is the first paragraph on one line, as git prints %s', () => {
  assert.equal(commitSubject('a\nb\n\nbody'), 'a b');
  assert.equal(commitSubject('  x  \n\n'), 'x');
});

test('adoptionOf: the run branch’s commits or the start branch’s, never both; without --adopt the start branch’s stop the resume', () => {
  const mine = [{ commit: 'a'.repeat(40), subject: 'mine' }];
  const onMain = [{ commit: 'b'.repeat(40), subject: 'fix on main' }];
  const base = { tag: 't', runBranch: 'autoresearch/t', startBranch: 'main', leftAt: 'c'.repeat(40), onRunBranch: [], onStartBranch: [], adopt: true };
  assert.equal(adoptionOf(base), null);
  assert.deepEqual(adoptionOf({ ...base, onRunBranch: mine }), { from: 'run-branch', branch: 'autoresearch/t', commits: mine });
  assert.deepEqual(adoptionOf({ ...base, onStartBranch: onMain }), { from: 'start-branch', branch: 'main', commits: onMain });
  assert.throws(() => adoptionOf({ ...base, onStartBranch: onMain, adopt: false }), (e: unknown) => e instanceof UserWorkFound && /main, the branch the run started from, has 1 new commit \(bbbbbbb "fix on main"\)\. To build on bbbbbbb, run `bilevel run --adopt`/.test(e.message));
  assert.throws(() => adoptionOf({ ...base, onRunBranch: mine, onStartBranch: onMain }), (e: unknown) => e instanceof UserWorkFound && /only one can be the run's new starting point: merge one into the other first \(git checkout autoresearch\/t && git merge main\)/.test(e.message));
});
