import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunEvent } from '../../src/shared/trace/events';
import { ResearchRun, type ResearchRunOptions } from '../../src/core/run/researchRun';
import { UserWorkFound } from '../../src/core/git/userWork';
import { readTrace } from '../../src/core/store/traceStore';
import { candidate as c, ListProposer } from '../support/listProposer';
import { git } from '../support/tinyGptRepo';
import { scriptRepo } from '../support/scriptRepo';

/**
 * The user works in the repo while the loop runs (real git, real training processes): whatever they
 * commit or edit is found before the loop's next commit or reset, the run stops saying what it found,
 * and their work is where they left it.
 */
const TRAIN = `import time
A = 8
TIME_BUDGET = 1
time.sleep(0.3)
print(f"val_bpb: {1.0 + abs(A - 4) / 10:.6f}")
`;

const userGit = (dir: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=me', '-c', 'user.email=me@x', ...args], { cwd: dir, encoding: 'utf8' }).trim();

function fastRepo() {
  return scriptRepo(TRAIN, { run: { command: 'python3 train.py', timeBudgetSeconds: 1, hardTimeoutSeconds: 10 }, levels: { strategy: { enabled: false }, mechanisms: { enabled: false } } });
}

/** Runs the loop; `during` acts as the user once experiment #1 trains. Resolves with the error it stopped on. */
async function runUntilStopped(dir: string, config: ResearchRunOptions['config'], during: () => void): Promise<{ error: unknown; events: RunEvent[] }> {
  const events: RunEvent[] = [];
  const error = await new ResearchRun({
    repoDir: dir,
    config,
    proposer: new ListProposer([c({ A: 16 }, 'A to 16'), c({ A: 2 })]),
    iterations: 2,
    tag: 't',
    overlap: false,
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'training.started' && e.n === 1) during();
    },
  })
    .run()
    .then(
      () => null,
      (e: unknown) => e,
    );
  return { error, events };
}

const trace = (dir: string) => readTrace(readFileSync(join(dir, '.autoresearch/runs/t/trace.jsonl'))).events;

test('a commit the user makes on the run branch while it trains is found before the reset, survives it, and stops the resume too', { timeout: 60_000 }, async () => {
  const { dir, config } = fastRepo();
  const { error } = await runUntilStopped(dir, config, () => {
    writeFileSync(join(dir, 'autoresearch.config.json'), '{"editable":["train.py"]}\n');
    userGit(dir, 'add', 'autoresearch.config.json');
    userGit(dir, 'commit', '-q', '-m', 'autoresearch config');
  });
  assert.ok(error instanceof UserWorkFound, String(error));
  assert.match(error.message, /^Stopped before resetting autoresearch\/t to [0-9a-f]{7}, and nothing was touched: autoresearch\/t has 1 commit the loop did not make \([0-9a-f]{7} "autoresearch config"\); it is kept/);
  assert.equal(git(dir, 'log', '-1', '--format=%s', 'autoresearch/t'), 'autoresearch config', 'the branch still ends with the user’s commit');
  assert.ok(existsSync(join(dir, 'autoresearch.config.json')), 'and the file is on disk');
  const events = trace(dir);
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1));
  const stopped = events.at(-1) as Extract<RunEvent, { type: 'run.stopped' }>;
  assert.deepEqual([stopped.type, stopped.reason], ['run.stopped', 'error']);
  assert.match(stopped.message ?? '', /did not make/);

  // Resuming finds the same commit and stops before anything is written or moved.
  const head = git(dir, 'rev-parse', 'HEAD');
  const length = trace(dir).length;
  const again = await new ResearchRun({ repoDir: dir, config, proposer: new ListProposer([]), iterations: 2, tag: 't' }).run().then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(again instanceof UserWorkFound, String(again));
  assert.match(again.message, /^Stopped before resuming run t/);
  assert.equal(git(dir, 'rev-parse', 'HEAD'), head);
  assert.equal(trace(dir).length, length, 'nothing was appended to the trace');
  assert.ok(!existsSync(join(dir, '.git/autoresearch.lock')), 'the lock is given back');
});

test('an edit of a tracked file while the run trains is found before the reset, and survives it', { timeout: 60_000 }, async () => {
  const { dir, config } = fastRepo();
  writeFileSync(join(dir, 'notes.md'), 'first\n');
  userGit(dir, 'add', 'notes.md');
  userGit(dir, 'commit', '-q', '-m', 'notes');
  const { error } = await runUntilStopped(dir, config, () => writeFileSync(join(dir, 'notes.md'), 'my edit\n'));
  assert.ok(error instanceof UserWorkFound, String(error));
  assert.deepEqual(error.found.modified, ['notes.md']);
  assert.equal(readFileSync(join(dir, 'notes.md'), 'utf8'), 'my edit\n');
  assert.match(readFileSync(join(dir, 'train.py'), 'utf8'), /^A = 16$/m, 'the discarded candidate was not reset either: nothing moved');
});

test('a checkout of another branch while the run trains is found, and that branch is not moved', { timeout: 60_000 }, async () => {
  const { dir, config } = fastRepo();
  const main = git(dir, 'rev-parse', 'main');
  const { error } = await runUntilStopped(dir, config, () => userGit(dir, 'checkout', '-q', 'main'));
  assert.ok(error instanceof UserWorkFound, String(error));
  assert.equal(error.found.otherBranch, 'main');
  assert.equal(git(dir, 'rev-parse', 'main'), main, 'main did not get the run’s commit');
  assert.equal(git(dir, 'symbolic-ref', '--short', 'HEAD'), 'main');
  assert.equal(git(dir, 'status', '--porcelain', '--untracked-files=no'), '');
});
