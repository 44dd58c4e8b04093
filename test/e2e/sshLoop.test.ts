import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunEvent } from '../../src/shared/trace/events';
import { isAlive, signalProcess } from '../../src/core/process/processGroup';
import { shellQuote } from '../../src/core/executors/shell';
import { cloneOnHost, hostProcesses, hostTempDir, onHost, SSH_HOST, startSshTestHost } from '../support/sshTestHost';
import { cliAsync, cliRun, git, onlyRunTag, readTraceEvents, tinyGptRepo, waitFor } from '../support/tinyGptRepo';

/*
 * The whole loop through the CLI with an ssh worker: tiny-gpt trains on the test host (a real sshd on
 * loopback, user arssh, Debian's /usr/bin/python3 with torch there), each candidate pushed to a clone in
 * arssh's home and checked out there.
 */

let sshConfig = '';
const remoteRoots: string[] = [];

before(() => {
  sshConfig = startSshTestHost();
});

after(() => {
  for (const root of remoteRoots) onHost(sshConfig, `rm -rf ${shellQuote(root)}`);
});

type Of<T extends RunEvent['type']> = Extract<RunEvent, { type: T }>;
const ofType = <T extends RunEvent['type']>(events: RunEvent[], type: T) => events.filter((e): e is Of<T> => e.type === type);

/** tiny-gpt with one ssh worker, committed, and its remote clone made; returns both places. */
function sshRepo(timeBudget = 2): { dir: string; remoteDir: string } {
  const root = hostTempDir(sshConfig);
  remoteRoots.push(root);
  const remoteDir = `${root}/tiny-gpt`;
  const dir = tinyGptRepo({
    timeBudget,
    config: (c) => {
      c.workers = [{ kind: 'ssh', host: SSH_HOST, remoteDir, sshConfigFile: sshConfig }];
    },
  });
  cloneOnHost(sshConfig, dir, remoteDir);
  return { dir, remoteDir };
}

test('bilevel run with an ssh worker: 3 iterations trained on the host, each on exactly its commit', { timeout: 300_000 }, async () => {
  const { dir, remoteDir } = sshRepo();
  const r = await cliRun(dir, ['run', '-n', '3', '--new']);
  assert.equal(r.status, 0, r.stdout + r.stderr);

  const tag = onlyRunTag(dir);
  const events = readTraceEvents(dir, tag);
  const started = ofType(events, 'training.started');
  const finished = ofType(events, 'training.finished');
  assert.equal(started.length, 4, 'the baseline and 3 iterations');
  assert.ok(started.every((e) => e.where?.startsWith('ssh ')), `each training says which host: ${started.map((e) => e.where).join(', ')}`);
  assert.equal(finished[0].outcome, 'ok', finished[0].reason);
  assert.ok(finished.every((f) => f.outcome === 'ok' || f.outcome === 'crash'), JSON.stringify(finished));
  assert.ok(finished.filter((f) => f.outcome === 'ok').every((f) => f.metric !== null && f.metric > 0));
  assert.ok(events.some((e) => e.type === 'run.stopped' && e.reason === 'completed'));

  // Each run's commit was pushed to the remote clone; the last one is checked out there, with nothing changed.
  const synced = onHost(sshConfig, `git -C ${shellQuote(remoteDir)} for-each-ref --format='%(refname) %(objectname)' refs/autoresearch/sync`);
  for (const s of started) assert.ok(synced.includes(`refs/autoresearch/sync/${s.n} ${s.commit}`), `${s.n} ${s.commit} not in\n${synced}`);
  assert.equal(onHost(sshConfig, `git -C ${shellQuote(remoteDir)} rev-parse HEAD`), started[started.length - 1].commit);
  assert.equal(onHost(sshConfig, `git -C ${shellQuote(remoteDir)} status --porcelain --untracked-files=no`), '');

  // Output streamed back into the local log; nothing else came back into the repo.
  for (const f of finished.filter((x) => x.outcome === 'ok')) {
    const log = readFileSync(join(dir, '.autoresearch/runs', tag, 'logs', `${f.n}.log`), 'utf8');
    assert.match(log, /^val_bpb:\s+[\d.]+$/m);
  }
  assert.equal(git(dir, 'status', '--porcelain'), '');
  assert.deepEqual(hostProcesses('train.py'), [], 'no training left running on the host');
});

function trace(dir: string): RunEvent[] {
  try {
    return readTraceEvents(dir, onlyRunTag(dir));
  } catch {
    return [];
  }
}

/** Starts `bilevel run` and waits until experiment `n` trains on the host and its output comes back. */
async function runUntilTraining(dir: string, n: number, args: string[]) {
  const child = cliAsync(dir, ['run', ...args]);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const start = await waitFor(`training of #${n} on the host`, () => {
    const s = ofType(trace(dir), 'training.started').find((e) => e.n === n);
    // The log fills line by line as the output streams in.
    return s && existsSync(s.log) && readFileSync(s.log, 'utf8').includes('\n') ? s : undefined;
  });
  return { child, start, exited, output: () => output };
}

test('a killed ssh connection mid-run: the remote training dies, the experiment is interrupted and the loop goes on', { timeout: 300_000 }, async () => {
  // Long enough a run that the kill lands while it trains.
  const { dir } = sshRepo(5);
  const { start, exited, output } = await runUntilTraining(dir, 1, ['-n', '1', '--new']);
  const remote = hostProcesses('train.py');
  assert.ok(remote.length > 0, 'the training runs on the host as arssh');
  assert.ok(start.pid !== undefined && isAlive(start.pid), 'training.started names the local ssh client');
  signalProcess(start.pid!, 'SIGKILL');

  assert.equal(await exited, 0, output());
  const events = trace(dir);
  const one = ofType(events, 'training.finished').find((e) => e.n === 1)!;
  assert.deepEqual([one.outcome, one.reason], ['interrupted', 'connection lost']);
  assert.ok(ofType(events, 'experiment.interrupted').some((e) => e.n === 1 && e.reason === 'connection lost'));
  assert.deepEqual(
    remote.filter((pid) => isAlive(pid)),
    [],
    'the remote training died with its connection',
  );
  // The interrupted experiment is not counted: another one ran and completed the budget of 1.
  const later = ofType(events, 'training.finished').filter((e) => e.n > 1);
  assert.equal(later.length, 1);
  assert.ok(events.some((e) => e.type === 'run.stopped' && e.reason === 'completed'));
});

test('bilevel itself killed (-9) mid-run: the remote training does not outlive it', { timeout: 300_000 }, async () => {
  const { dir } = sshRepo(5);
  const { child, exited } = await runUntilTraining(dir, 1, ['-n', '1', '--new']);
  const remote = hostProcesses('train.py');
  assert.ok(remote.length > 0, 'the training runs on the host as arssh');
  child.kill('SIGKILL');
  await exited;
  // Its ssh client sees its stdin close and ends the session; the remote wrapper then kills the run.
  await waitFor('the remote training to die', () => remote.every((pid) => !isAlive(pid)), 30_000);
});

test('an unreachable host and a dirty remote copy stop bilevel run with a clear error before any experiment', { timeout: 120_000 }, async () => {
  const { dir, remoteDir } = sshRepo();
  onHost(sshConfig, `echo '# edited on the host' >> ${shellQuote(`${remoteDir}/train.py`)}`);
  const dirty = await cliRun(dir, ['run', '-n', '1', '--new']);
  assert.equal(dirty.status, 2, dirty.stdout + dirty.stderr);
  assert.match(dirty.stderr, new RegExp(`^bilevel: ssh executor: remoteDir ${remoteDir} on ${SSH_HOST} has uncommitted changes to tracked files \\(train\\.py\\)`, 'm'));
  assert.doesNotMatch(dirty.stderr, /\n\s+at /, 'a message, not a stack trace');
  assert.equal(git(dir, 'for-each-ref', 'refs/heads/autoresearch/'), '', 'no run was started');

  const config = join(dir, 'autoresearch.config.json');
  const c = JSON.parse(readFileSync(config, 'utf8'));
  c.workers[0].host = 'bilevel-no-such-host';
  writeFileSync(config, JSON.stringify(c));
  git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-am', 'another host');
  const unreachable = await cliRun(dir, ['run', '-n', '1', '--new']);
  assert.equal(unreachable.status, 2, unreachable.stdout + unreachable.stderr);
  assert.match(unreachable.stderr, /^bilevel: ssh executor: cannot reach bilevel-no-such-host: .*Could not resolve hostname/m);
  assert.equal(git(dir, 'for-each-ref', 'refs/heads/autoresearch/'), '');
});
