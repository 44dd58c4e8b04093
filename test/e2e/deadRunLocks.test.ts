import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ResearchRun } from '../../src/core/run/researchRun';
import { HeuristicProposer } from '../../src/core/proposers/heuristicProposer';
import { LOCK_FILE } from '../../src/core/session/repoLock';
import { cli, CLI, git } from '../support/tinyGptRepo';
import { cliScriptRepo } from '../support/scriptRepo';
import { scriptRepo } from '../support/scriptRepo';

/**
 * kill -9 of a run kills the git command it had started (found by the chaos test, seed 15): git's
 * `index.lock` stays, and the resumed run failed on its first reset ("Unable to create
 * '…/index.lock': File exists"). The run that takes over the dead run's repository lock removes the
 * git locks made since the dead run took the repository; an older one is someone else's and stays.
 * Real git and training; the dead run is a repository lock naming a pid that has exited.
 */
const TRAIN = `A = 8
TIME_BUDGET = 1
print(f"val_bpb: {1.0 + abs(A - 4) / 10:.6f}")
`;

function repo() {
  return scriptRepo(TRAIN, { levels: { strategy: { enabled: false }, mechanisms: { enabled: false } } }, 'dead-locks-');
}

const runOnce = (dir: string, config: ReturnType<typeof repo>['config'], iterations: number) =>
  new ResearchRun({ repoDir: dir, config, proposer: new HeuristicProposer(1), iterations, tag: 't' }).run();

/** What kill -9 leaves: the dead run's repository lock, and git's index lock made at `lockAt`. */
function leaveDeadRun(dir: string, since: Date, lockAt: Date): void {
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  writeFileSync(join(dir, '.git', LOCK_FILE), JSON.stringify({ pid: dead, startedAt: null, host: hostname(), tag: 't', since: since.toISOString() }));
  const index = join(dir, '.git/index.lock');
  writeFileSync(index, '');
  utimesSync(index, lockAt, lockAt);
}

test('a resume after kill -9 removes the index.lock the dead run’s git left, and goes on', { timeout: 120_000 }, async () => {
  const { dir, config } = repo();
  await runOnce(dir, config, 1);
  leaveDeadRun(dir, new Date(Date.now() - 60_000), new Date(Date.now() - 1000));
  const { state } = await runOnce(dir, config, 3);
  assert.equal(state.stopped, 'completed');
  assert.equal(state.iterationsDone, 3);
  assert.ok(!existsSync(join(dir, '.git/index.lock')));
  assert.equal(git(dir, 'status', '--porcelain'), '');
});

test('an index.lock older than the dead run is not its own: it stays, and git says so', { timeout: 120_000 }, async () => {
  const { dir, config } = repo();
  await runOnce(dir, config, 1);
  leaveDeadRun(dir, new Date(Date.now() - 60_000), new Date(Date.now() - 120_000));
  await assert.rejects(runOnce(dir, config, 3), /index\.lock': File exists/);
  assert.ok(existsSync(join(dir, '.git/index.lock')));
});

test('a kill inside git reset --hard (index.lock left, train.py deleted, an aside copy left) no longer fails `bilevel run`\'s config check: the file is put back and the run resumes', { timeout: 120_000 }, () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  const dir = cliScriptRepo(TRAIN, { run: { command: 'python3 train.py', timeBudgetSeconds: 1, hardTimeoutSeconds: 10 }, levels: { strategy: { enabled: false }, mechanisms: { enabled: false } } });
  const env = { OPENAI_API_KEY: '', OPENAI_BASE_URL: '' };
  assert.equal(cli(dir, ['run', '--tag', 't', '--iterations', '1'], env).status, 0);
  const before = readFileSync(join(dir, 'train.py'), 'utf8');
  leaveDeadRun(dir, new Date(Date.now() - 60_000), new Date(Date.now() - 1000));
  rmSync(join(dir, 'train.py'));
  // And the copy a kill between writing train.py aside and renaming it over leaves.
  writeFileSync(join(dir, '.train.py.bilevel.tmp'), 'A = 1\n');
  const resumed = cli(dir, ['run', '--tag', 't', '--iterations', '2'], env);
  assert.equal(resumed.status, 0, resumed.stderr + resumed.stdout);
  assert.match(resumed.stdout, /run completed/);
  assert.ok(existsSync(join(dir, 'train.py')));
  assert.equal(git(dir, 'status', '--porcelain'), '', 'nothing left aside either');
  assert.notEqual(before, '');
});
