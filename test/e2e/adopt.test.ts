import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent } from '../../src/shared/trace/events';
import { isAlive } from '../../src/core/process/processGroup';
import { CLI, cliAsync, git, readTraceEvents, waitFor } from '../support/tinyGptRepo';

/**
 * `bilevel run --adopt` as a user meets it (the built dist/cli.js, real git, real training
 * processes): the user's commit, on the run branch or on the branch the run started from, survives
 * a resume untouched, and with --adopt becomes the run's new starting point, trained as a baseline,
 * with the config it holds.
 */
const TRAIN = `import sys
A = 8
TIME_BUDGET = 1
CRASH = False
if CRASH:
    sys.exit("boom")
print(f"val_bpb: {1.0 + abs(A - 4) / 10:.6f}")
`;

const CONFIG = {
  editable: ['train.py'],
  parameters: { file: 'train.py', frozen: ['TIME_BUDGET', 'CRASH'] },
  run: { command: 'python3 train.py', timeBudgetSeconds: 1, hardTimeoutSeconds: 20 },
  metric: { name: 'val_bpb' },
  levels: { strategy: { enabled: false }, mechanisms: { enabled: false } },
};

function repo(train = TRAIN, config: (c: typeof CONFIG) => void = () => {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'adopt-'));
  writeFileSync(join(dir, 'train.py'), train);
  const c = structuredClone(CONFIG);
  config(c);
  writeConfig(dir, c);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'init');
  return dir;
}

const writeConfig = (dir: string, c: unknown) => writeFileSync(join(dir, 'autoresearch.config.json'), `${JSON.stringify(c, null, 2)}\n`);
const userGit = (dir: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=me', '-c', 'user.email=me@x', ...args], { cwd: dir, encoding: 'utf8' }).trim();
const edit = (dir: string, file: string, from: string | RegExp, to: string) => writeFileSync(join(dir, file), readFileSync(join(dir, file), 'utf8').replace(from, to));

function bilevel(cwd: string, ...args: string[]) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  const env = { ...process.env };
  delete env.OPENAI_API_KEY;
  delete env.OPENAI_BASE_URL;
  return spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8', timeout: 120_000 });
}

const ofType = <T extends RunEvent['type']>(events: RunEvent[], type: T) => events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type);

/** A resume that must stop: one message, exit 2, and the branches, HEAD and trace as they were. */
function assertStoppedUntouched(dir: string, args: string[], message: RegExp) {
  const where = () => ({ head: git(dir, 'symbolic-ref', '--short', 'HEAD'), run: git(dir, 'rev-parse', 'autoresearch/t'), main: git(dir, 'rev-parse', 'main') });
  const before = where();
  const length = readTraceEvents(dir, 't').length;
  const r = bilevel(dir, ...args);
  assert.equal(r.status, 2, r.stderr + r.stdout);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  assert.deepEqual(where(), before, 'nothing moved');
  assert.equal(readTraceEvents(dir, 't').length, length, 'nothing was appended to the trace');
  assert.equal(git(dir, 'status', '--porcelain', '--untracked-files=no'), '');
}

/** The adopted commit's baseline: the first iteration after run.adopted, on that commit, kept. */
function adoptedBaseline(events: RunEvent[], commit: string) {
  const adopted = ofType(events, 'run.adopted');
  assert.equal(adopted.length, 1, 'one run.adopted event');
  assert.equal(adopted[0].commit, commit);
  assert.equal(adopted[0].by, 'user');
  const after = events.slice(events.indexOf(adopted[0]));
  const started = ofType(after, 'iteration.started')[0];
  assert.deepEqual([started.baseline, started.baseCommit], [true, commit], 'a new baseline, on the adopted commit');
  const decided = ofType(after, 'experiment.decided').find((e) => e.n === started.n)!;
  assert.deepEqual([decided.status, decided.commit, decided.previousBest], ['keep', commit, null], 'kept as the new baseline, compared with nothing before it');
  return { adopted: adopted[0], n: started.n, metric: decided.metric, training: ofType(after, 'training.started').find((e) => e.n === started.n)! };
}

test('the user’s commit on the run branch survives a resume; --adopt trains it as the new baseline, with its config, and the run builds on it', { timeout: 120_000 }, () => {
  const dir = repo();
  const first = bilevel(dir, 'run', '--iterations', '1', '--tag', 't');
  assert.equal(first.status, 0, first.stderr + first.stdout);
  const loopBest = git(dir, 'rev-parse', 'autoresearch/t');

  // On the run branch (checked out), the user changes the code and the training command, and commits.
  edit(dir, 'train.py', /^A = .*$/m, 'A = 5');
  const config = structuredClone(CONFIG);
  config.run.command = 'python3 train.py --adopted';
  writeConfig(dir, config);
  userGit(dir, 'commit', '-q', '-am', 'my change');
  const mine = git(dir, 'rev-parse', 'HEAD');

  assertStoppedUntouched(dir, ['run', '--iterations', '2'], /autoresearch\/t has 1 commit the loop did not make \([0-9a-f]{7} "my change"\); it is kept\. To build on it, run `bilevel run --adopt`/);
  assert.equal(git(dir, 'rev-parse', 'HEAD'), mine, 'the user’s commit is where they left it');

  const adopted = bilevel(dir, 'run', '--iterations', '2', '--adopt');
  assert.equal(adopted.status, 0, adopted.stderr + adopted.stdout);
  assert.match(adopted.stdout, /adopted [0-9a-f]{7} "my change" \(your commit on autoresearch\/t\): trained as the new baseline/);
  const events = readTraceEvents(dir, 't');
  const base = adoptedBaseline(events, mine);
  assert.equal(base.adopted.from, 'run-branch');
  assert.equal(base.metric, 1.1, 'trained on the user’s code (A = 5)');
  assert.equal(base.training.command, 'python3 train.py --adopted', 'with the adopted commit’s training command');
  // Every later experiment starts from the adopted commit or from what was kept on top of it.
  for (const s of ofType(events.slice(events.indexOf(base.adopted)), 'iteration.started')) {
    assert.ok(s.baseCommit === mine || git(dir, 'merge-base', '--is-ancestor', mine, s.baseCommit) === '', `#${s.n} builds on the adopted commit`);
  }
  assert.equal(git(dir, 'merge-base', '--is-ancestor', mine, 'autoresearch/t'), '', 'the branch continues from the user’s commit');
  assert.equal(git(dir, 'merge-base', '--is-ancestor', loopBest, 'autoresearch/t'), '');
  assert.equal(ofType(events, 'run.stopped').at(-1)!.reason, 'completed');

  const status = bilevel(dir, 'status', '--json');
  const state = JSON.parse(status.stdout);
  assert.ok(state.best.n >= base.n, 'the best is measured from the adopted baseline on');
  assert.deepEqual([state.adopted.commit, state.adopted.from, state.adopted.n], [mine, 'run-branch', base.n]);
  const text = bilevel(dir, 'status').stdout;
  assert.match(text, new RegExp(`adopted ${mine.slice(0, 7)} \\(your commit on autoresearch/t\\) as the new baseline, from #${base.n} on`));
  assert.match(text, /Δ -?\d\.\d+ from baseline|at #\d+ \([0-9a-f]{7}\)$/m);

  // Adopted once: the next resume goes on without asking again.
  const again = bilevel(dir, 'run', '--iterations', '3');
  assert.equal(again.status, 0, again.stderr + again.stdout);
  assert.equal(ofType(readTraceEvents(dir, 't'), 'run.adopted').length, 1);
});

test('after a failed baseline, a fix committed on the run branch is picked up with --adopt', { timeout: 120_000 }, () => {
  const dir = repo(TRAIN.replace('CRASH = False', 'CRASH = True'));
  const failed = bilevel(dir, 'run', '--iterations', '1', '--tag', 't');
  assert.equal(failed.status, 1, failed.stderr + failed.stdout);
  assert.match(failed.stdout, /The baseline run failed \(.*\); see .*\. Fix it and commit the fix on autoresearch\/t \(checked out now\) or on main, then run `bilevel run --adopt`.*Or start a fresh run with `bilevel run --new`/);

  edit(dir, 'train.py', 'CRASH = True', 'CRASH = False');
  userGit(dir, 'commit', '-q', '-am', 'fix the crash');
  const fix = git(dir, 'rev-parse', 'HEAD');

  assertStoppedUntouched(dir, ['run', '--iterations', '1'], /1 commit the loop did not make \([0-9a-f]{7} "fix the crash"\).*bilevel run --adopt/);

  const adopted = bilevel(dir, 'run', '--iterations', '1', '--adopt');
  assert.equal(adopted.status, 0, adopted.stderr + adopted.stdout);
  const events = readTraceEvents(dir, 't');
  const base = adoptedBaseline(events, fix);
  assert.equal(base.metric, 1.4);
  assert.equal(ofType(events, 'run.stopped').at(-1)!.reason, 'completed');
  assert.equal(ofType(events, 'experiment.decided').filter((e) => e.n > base.n).length, 1, 'and the iteration budget is trained on it');
});

test('after a failed baseline, a config fix committed on main is picked up with --adopt, and main is not moved', { timeout: 120_000 }, () => {
  const dir = repo(TRAIN, (c) => (c.run.command = 'python3 trian.py'));
  const failed = bilevel(dir, 'run', '--iterations', '1', '--tag', 't');
  assert.equal(failed.status, 1, failed.stderr + failed.stdout);

  // The user goes back to main, fixes the training command there and commits.
  userGit(dir, 'checkout', '-q', 'main');
  writeConfig(dir, CONFIG);
  userGit(dir, 'commit', '-q', '-am', 'fix the command');
  const fix = git(dir, 'rev-parse', 'HEAD');

  assertStoppedUntouched(dir, ['run', '--iterations', '1'], /main, the branch the run started from, has 1 new commit \([0-9a-f]{7} "fix the command"\)\. To build on [0-9a-f]{7}, run `bilevel run --adopt`/);
  assert.equal(git(dir, 'symbolic-ref', '--short', 'HEAD'), 'main', 'not even checked out');

  // From the run branch, whose working tree still has the broken config: the adopted commit's is used.
  userGit(dir, 'checkout', '-q', 'autoresearch/t');
  const adopted = bilevel(dir, 'run', '--iterations', '1', '--adopt');
  assert.equal(adopted.status, 0, adopted.stderr + adopted.stdout);
  const events = readTraceEvents(dir, 't');
  const base = adoptedBaseline(events, fix);
  assert.deepEqual([base.adopted.from, base.adopted.branch, base.adopted.configChanged], ['start-branch', 'main', true]);
  assert.equal(base.training.command, 'python3 train.py');
  assert.equal(git(dir, 'rev-parse', 'main'), fix, 'main is where the user left it');
  assert.equal(git(dir, 'merge-base', '--is-ancestor', fix, 'autoresearch/t'), '', 'the run branch now builds on main’s fix');
  assert.equal(ofType(events, 'run.stopped').at(-1)!.reason, 'completed');
});

test('a bad config in the commit to adopt is one clear error, and nothing moves', { timeout: 120_000 }, () => {
  const dir = repo();
  assert.equal(bilevel(dir, 'run', '--iterations', '1', '--tag', 't').status, 0);
  userGit(dir, 'checkout', '-q', 'main');
  const bad = structuredClone(CONFIG);
  bad.parameters.frozen = ['TIME_BUDGT'];
  writeConfig(dir, bad);
  userGit(dir, 'commit', '-q', '-am', 'typo');
  userGit(dir, 'checkout', '-q', 'autoresearch/t');
  assertStoppedUntouched(dir, ['run', '--iterations', '2', '--adopt'], /^bilevel: autoresearch\.config\.json at [0-9a-f]{7} is invalid:\n {2}- parameters\.frozen: "TIME_BUDGT" is not a parameter of train\.py.*\nNothing was adopted/);
});

test('kill -9 while a candidate trains, then the user edits train.py: the resume stops, and the edit is kept', { timeout: 120_000 }, async () => {
  // Candidates (A is not 8) train until killed; the baseline is instant.
  const dir = repo(TRAIN.replace('if CRASH:', 'import time\nif A != 8:\n    time.sleep(60)\nif CRASH:'));
  const child = cliAsync(dir, ['run', '--iterations', '2', '--tag', 't']);
  const training = await waitFor('experiment #1 training', () => {
    try {
      return ofType(readTraceEvents(dir, 't'), 'training.started').find((e) => e.n === 1);
    } catch {
      return undefined;
    }
  }, 60_000);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  try {
    const commit = git(dir, 'rev-parse', 'HEAD');
    edit(dir, 'train.py', /^TIME_BUDGET = 1$/m, 'TIME_BUDGET = 1  # my note');
    const mine = readFileSync(join(dir, 'train.py'), 'utf8');
    const r = bilevel(dir, 'run', '--iterations', '2');
    assert.equal(r.status, 2, r.stderr + r.stdout);
    assert.match(r.stderr, /uncommitted changes \(train\.py\)/);
    assert.equal(readFileSync(join(dir, 'train.py'), 'utf8'), mine, 'the user’s edit is where they left it');
    assert.equal(git(dir, 'rev-parse', 'HEAD'), commit, 'nothing was reset');
  } finally {
    if (training.pid && isAlive(training.pid)) process.kill(-training.pid, 'SIGKILL');
  }
});

test('a kill between applying and committing: the files as applied are dropped on resume, an edit of them since is the user’s and stops it', { timeout: 120_000 }, () => {
  const dir = repo();
  assert.equal(bilevel(dir, 'run', '--iterations', '1', '--tag', 't').status, 0);
  const trace = join(dir, '.autoresearch/runs/t/trace.jsonl');
  /** What the loop writes and records when it applies a candidate, and then the kill. */
  const killedAfterApplying = (value: number) => {
    edit(dir, 'train.py', /^A = .*$/m, `A = ${value}`);
    const index = join(mkdtempSync(join(tmpdir(), 'adopt-index-')), 'index');
    const env = { ...process.env, GIT_INDEX_FILE: index };
    execFileSync('git', ['read-tree', 'HEAD'], { cwd: dir, env });
    execFileSync('git', ['add', 'train.py'], { cwd: dir, env });
    const tree = execFileSync('git', ['write-tree'], { cwd: dir, env, encoding: 'utf8' }).trim();
    const events = readTraceEvents(dir, 't');
    const n = Math.max(...ofType(events, 'iteration.started').map((e) => e.n)) + 1;
    const seq = events.at(-1)!.seq;
    const at = new Date().toISOString();
    appendFileSync(trace, [
      { seq: seq + 1, at, type: 'iteration.started', n, baseCommit: git(dir, 'rev-parse', 'HEAD'), baseline: false },
      { seq: seq + 2, at, type: 'candidate.applied', n, params: { A: value }, changed: {}, tree },
    ].map((e) => JSON.stringify(e) + '\n').join(''));
  };

  killedAfterApplying(7);
  const dropped = bilevel(dir, 'run', '--iterations', '1');
  assert.equal(dropped.status, 0, dropped.stderr + dropped.stdout);
  assert.match(dropped.stdout, /interrupted/);
  assert.equal(git(dir, 'status', '--porcelain', '--untracked-files=no'), '', 'the loop’s own leftover was dropped');

  killedAfterApplying(6);
  edit(dir, 'train.py', 'A = 6', 'A = 6  # mine');
  const r = bilevel(dir, 'run', '--iterations', '1');
  assert.equal(r.status, 2, r.stderr + r.stdout);
  assert.match(r.stderr, /uncommitted changes \(train\.py\)/);
  assert.match(readFileSync(join(dir, 'train.py'), 'utf8'), /^A = 6 {2}# mine$/m, 'the user’s edit is kept');
});
