import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecutorSetupError, type TrainingRequest } from '../../src/core/executors/executor';
import { isAlive, signalProcess } from '../../src/core/process/processGroup';
import { shellQuote } from '../../src/core/executors/shell';
import {
  describeSshFailure,
  gitRemote,
  newMarker,
  remoteEnd,
  remoteRunCommand,
  splitReport,
  SshExecutor,
  type SshExecutorOptions,
} from '../../src/core/executors/sshExecutor';
import { Secrets } from '../../src/core/secrets/secrets';
import type { MetricSpec } from '../../src/core/target/metric';
import { cloneOnHost, hostTempDir, onHost, SSH_HOST as HOST, startSshTestHost } from '../support/sshTestHost';
import { git } from '../support/tinyGptRepo';

/*
 * The ssh executor against a real sshd on loopback (test/support/sshTestHost.ts): the "remote" machine is
 * this one, logged into as the user arssh, so the tests can also look at the remote processes directly.
 */

const metric: MetricSpec = { name: 'val_bpb', goal: 'minimize', secondary: [{ name: 'peak_vram_mb' }] };

/**
 * The training script of the fixture repo. It records its pid and that of a worker it leaves running in
 * its process group, so that tests can check both are gone. MODE (from the request's env) picks the ending.
 */
const TRAIN_SH = `#!/bin/sh
echo $$ > train.pid
sleep 300 &
echo $! > worker.pid
echo "step 1 of \${MODE:-ok}"
case "\${MODE:-ok}" in
  crash) echo "Traceback (most recent call last):" >&2; echo "ValueError: boom" >&2; exit 3 ;;
  hang) sleep 300 ;;
esac
sleep 0.3
echo "val_bpb: 0.950000"
echo "peak_vram_mb: 123.5"
`;

let sshConfig = '';
let local = '';
let firstCommit = '';
let headCommit = '';
const remoteRoots: string[] = [];

const ssh = (command: string) => onHost(sshConfig, command);

/** A fresh remote directory under the test user's home (where `ssh HOST` starts). */
function remotePath(): string {
  const root = hostTempDir(sshConfig);
  remoteRoots.push(root);
  return `${root}/repo`;
}

/** A remote working copy: a clone of the local fixture, made by the test user as a user would. */
function remoteClone(): string {
  const dir = remotePath();
  cloneOnHost(sshConfig, local, dir);
  return dir;
}

function executor(remoteDir: string, extra: Partial<SshExecutorOptions> = {}): SshExecutor {
  return new SshExecutor({ host: HOST, remoteDir, sshConfigFile: sshConfig, killGraceMs: 500, ...extra });
}

function request(extra: Partial<TrainingRequest> = {}): TrainingRequest {
  const logDir = mkdtempSync(join(tmpdir(), 'bilevel-ssh-log-'));
  return { n: 1, cwd: local, commit: headCommit, command: 'sh train.sh', timeoutSeconds: 30, logPath: join(logDir, 'logs', '1.log'), metric, ...extra };
}

function readPid(remoteDir: string, name: string): number {
  return Number(readFileSync(join(remoteDir, name), 'utf8').trim());
}

/** Both processes the fixture leaves behind while it runs. */
function trainingPids(remoteDir: string): number[] {
  return [readPid(remoteDir, 'train.pid'), readPid(remoteDir, 'worker.pid')];
}

function promiseWithResolvers<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function waitUntil(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

async function rejectsWithSetupError(promise: Promise<unknown>, pattern: RegExp): Promise<string> {
  let caught: unknown;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ExecutorSetupError, `expected an ExecutorSetupError, got ${String(caught)}`);
  assert.match(caught.message, pattern);
  return caught.message;
}

// --- Pure pieces ------------------------------------------------------------------------------------

test('gitRemote: scp-like, with ~ meaning the remote home', () => {
  assert.equal(gitRemote('gpu-box', '/data/repo'), 'gpu-box:/data/repo');
  assert.equal(gitRemote('gpu-box', '~/repo'), 'gpu-box:repo');
  assert.equal(gitRemote('me@gpu-box', 'repo'), 'me@gpu-box:repo');
});

test('splitReport takes the marker line out and keeps a partial line before it', () => {
  const m = '@@bilevel-ssh-0123456789abcdef@@';
  assert.deepEqual(splitReport('plain output', m), { text: 'plain output' });
  assert.deepEqual(splitReport(`${m} started 4242`, m), { report: { kind: 'started', pgid: 4242 } });
  assert.deepEqual(splitReport(`no newline${m} exit code 3`, m), { text: 'no newline', report: { kind: 'exit', exitCode: 3, signal: null } });
  assert.deepEqual(splitReport(`${m} exit signal KILL`, m), { report: { kind: 'exit', exitCode: null, signal: 'SIGKILL' } });
  assert.deepEqual(splitReport(`${m} setup git checkout abc failed: bad object`, m), { report: { kind: 'setup', problem: 'git checkout abc failed: bad object' } });
  // Another run's marker is output like any other.
  assert.deepEqual(splitReport('@@bilevel-ssh-ffffffffffffffff@@ exit code 0', m), { text: '@@bilevel-ssh-ffffffffffffffff@@ exit code 0' });
});

test('remoteEnd: our stop wins, a run without a report or killed by the watchdog lost its connection', () => {
  const exit = { exitCode: null, signal: 'SIGTERM' };
  assert.equal(remoteEnd({ exit, watchdogFired: true, stopRequested: 'interrupted' }).interrupted, true);
  assert.equal(remoteEnd({ watchdogFired: false, stopRequested: 'timeout' }).timedOut, true);
  assert.equal(remoteEnd({ watchdogFired: false, stopRequested: 'timeout' }).connectionLost, false);
  assert.equal(remoteEnd({ watchdogFired: false }).connectionLost, true);
  assert.equal(remoteEnd({ exit, watchdogFired: true }).connectionLost, true);
  assert.deepEqual(remoteEnd({ exit: { exitCode: 3, signal: null }, watchdogFired: false }), { exitCode: 3, signal: null, interrupted: false, timedOut: false, connectionLost: false });
});

test('the remote run command unsets the secret variables even where the remote login sets them', async () => {
  // The exact command line the remote login shell gets, run here by bash with the secret already in its environment.
  const repo = mkdtempSync(join(tmpdir(), 'bilevel-ssh-env-'));
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'empty');
  const command = remoteRunCommand({
    remoteDir: repo,
    commit: git(repo, 'rev-parse', 'HEAD'),
    command: 'env',
    env: { KEEP_ME: 'visible' },
    unset: ['OPENAI_API_KEY', 'HF_TOKEN'],
    killGraceMs: 100,
    silenceSeconds: 30,
    marker: newMarker(),
  });
  // stdin stays open, as the ssh channel does, or the script's watchdog would end the run.
  const child = spawn('bash', ['-c', command], { env: { ...process.env, OPENAI_API_KEY: 'sk-remote-profile-key', HF_TOKEN: 'hf-token-value' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  child.stdin.end();
  assert.equal(code, 0);
  assert.match(out, /^KEEP_ME=visible$/m);
  assert.match(out, /^PYTHONUNBUFFERED=1$/m);
  assert.doesNotMatch(out, /OPENAI_API_KEY|HF_TOKEN/);
});

test('describeSshFailure says what went wrong and what to do', () => {
  assert.match(describeSshFailure('gpu', 'ssh: Could not resolve hostname gpu: Name or service not known\n'), /Host alias in ~\/\.ssh\/config/);
  assert.match(describeSshFailure('gpu', 'me@gpu: Permission denied (publickey).\n'), /refused the login.*BatchMode/);
  assert.match(describeSshFailure('gpu', 'Host key verification failed.\n'), /connect once with `ssh gpu`/);
});

// --- Against a real sshd ----------------------------------------------------------------------------

describe('SshExecutor over a real sshd on loopback', () => {
  before(
    () => {
      sshConfig = startSshTestHost();

      // The local training repo: two commits, so that training the first proves the exact commit is synced.
      local = mkdtempSync(join(tmpdir(), 'bilevel-ssh-repo-'));
      writeFileSync(join(local, 'train.sh'), TRAIN_SH);
      writeFileSync(join(local, '.gitignore'), '*.pid\n');
      git(local, 'init', '-q', '-b', 'main');
      git(local, 'add', '-A');
      git(local, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'first');
      firstCommit = git(local, 'rev-parse', 'HEAD');
      writeFileSync(join(local, 'train.sh'), TRAIN_SH.replace('val_bpb: 0.950000', 'val_bpb: 0.900000'));
      git(local, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-am', 'second');
      headCommit = git(local, 'rev-parse', 'HEAD');
    },
    { timeout: 600_000 },
  );

  after(() => {
    for (const root of remoteRoots) ssh(`rm -rf ${shellQuote(root)}`);
  });

  test('preflight: an unknown host alias, a refused port and a refused login are clear errors', async () => {
    const config = join(mkdtempSync(join(tmpdir(), 'bilevel-ssh-config-')), 'ssh_config');
    writeFileSync(
      config,
      `${readFileSync(sshConfig, 'utf8')}\nHost bilevel-wrong-port\n  HostName 127.0.0.1\n  Port 1\n\nHost bilevel-wrong-user\n  HostName 127.0.0.1\n  Port ${/Port (\d+)/.exec(readFileSync(sshConfig, 'utf8'))![1]}\n  User root\n  IdentityFile ${join(sshConfig, '..', 'id_ed25519')}\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n`,
    );
    const dir = remoteClone();
    const at = (host: string) => new SshExecutor({ host, remoteDir: dir, sshConfigFile: config }).preflight();
    await rejectsWithSetupError(at('bilevel-nowhere'), /cannot reach bilevel-nowhere: .*Could not resolve hostname.*Host alias in .*ssh_config/);
    await rejectsWithSetupError(at('bilevel-wrong-port'), /cannot reach bilevel-wrong-port: .*port 1: Connection refused.*Port/);
    await rejectsWithSetupError(at('bilevel-wrong-user'), /bilevel-wrong-user refused the login: .*Permission denied/);
    await at(HOST);
  });

  test('preflight: a missing remoteDir, one that is not a git working copy, and a dirty one are clear errors', async () => {
    const missing = remotePath();
    await rejectsWithSetupError(executor(missing).preflight(), new RegExp(`remoteDir ${missing} on ${HOST} does not exist; clone your training repo there first`));

    const plain = remotePath();
    ssh(`mkdir -p ${shellQuote(plain)}`);
    await rejectsWithSetupError(executor(plain).preflight(), new RegExp(`remoteDir ${plain} on ${HOST} is not a git working copy \\(fatal: not a git repository`));

    const dirty = remoteClone();
    ssh(`echo 'echo edited' >> ${shellQuote(`${dirty}/train.sh`)}`);
    const message = await rejectsWithSetupError(executor(dirty).preflight(), new RegExp(`remoteDir ${dirty} on ${HOST} has uncommitted changes to tracked files \\(train\\.sh\\)`));
    assert.match(message, /stash/);

    // run() checks first: nothing is pushed, nothing starts, the user's edit stays.
    let started = false;
    await rejectsWithSetupError(executor(dirty).run(request({ onStart: () => (started = true) })), /uncommitted changes/);
    assert.equal(started, false);
    assert.match(ssh(`cat ${shellQuote(`${dirty}/train.sh`)}`), /echo edited/);
    assert.equal(ssh(`git -C ${shellQuote(dirty)} for-each-ref refs/autoresearch`), '');

    // Untracked files (data, checkpoints) are not in the way.
    const clean = remoteClone();
    ssh(`touch ${shellQuote(`${clean}/checkpoint.bin`)}`);
    await executor(clean).preflight();
  });

  test('an ok run trains exactly the requested commit and streams its output into the log', async () => {
    const dir = remoteClone();
    const lines: string[] = [];
    let startedWith: number | undefined;
    const req = request({ commit: firstCommit, env: { MODE: 'ok' }, onLine: (line) => lines.push(line), onStart: (pid) => (startedWith = pid) });
    const result = await executor(dir).run(req);
    assert.equal(result.outcome, 'ok', result.reason);
    assert.equal(result.metric, 0.95); // the first commit's value, not HEAD's 0.90
    assert.deepEqual(result.secondary, { peak_vram_mb: 123.5 });
    assert.equal(result.exitCode, 0);
    assert.equal(result.reason, undefined);
    assert.equal(typeof startedWith, 'number');

    const logText = readFileSync(req.logPath, 'utf8');
    assert.equal(logText, 'step 1 of ok\nval_bpb: 0.950000\npeak_vram_mb: 123.5\n');
    assert.deepEqual(lines, ['step 1 of ok', 'val_bpb: 0.950000', 'peak_vram_mb: 123.5']);

    assert.equal(ssh(`git -C ${shellQuote(dir)} rev-parse HEAD`), firstCommit);
    assert.equal(ssh(`git -C ${shellQuote(dir)} status --porcelain --untracked-files=no`), '');
    // The worker it left in its group was killed when it exited.
    const [, worker] = trainingPids(dir);
    assert.equal(isAlive(worker), false);

    // The next experiment on the same working copy: HEAD this time.
    const second = await executor(dir).run(request({ n: 2 }));
    assert.equal(second.metric, 0.9);
    assert.equal(ssh(`git -C ${shellQuote(dir)} rev-parse HEAD`), headCommit);
  });

  test('secrets stay out of the remote run and its output: dropped from the env, redacted from the log and the reason', async () => {
    const dir = remoteClone();
    const key = 'sk-test-ssh-NEVER-SHOWN-0123456789';
    const lines: string[] = [];
    const req = request({
      command: `env; echo "saw ${key}"; echo "fatal: ${key}" >&2; exit 1`,
      env: { OPENAI_API_KEY: key, KEEP_ME: 'visible' },
      secrets: new Secrets(['OPENAI_API_KEY'], [key]),
      onLine: (line) => lines.push(line),
    });
    const result = await executor(dir).run(req);
    assert.equal(result.reason, 'exit code 1: fatal: ***');
    const log = readFileSync(req.logPath, 'utf8');
    assert.match(log, /^KEEP_ME=visible$/m);
    assert.match(log, /^saw \*\*\*$/m);
    assert.doesNotMatch(log, /OPENAI_API_KEY/, 'not in the remote environment');
    assert.ok(!log.includes(key) && !lines.join('\n').includes(key));
  });

  test('a remote crash reports the exit code and the last stderr line', async () => {
    const dir = remoteClone();
    const result = await executor(dir).run(request({ env: { MODE: 'crash' } }));
    assert.equal(result.outcome, 'crash');
    assert.equal(result.exitCode, 3);
    assert.equal(result.reason, 'exit code 3: ValueError: boom');
    assert.equal(result.metric, null);
    assert.ok(trainingPids(dir).every((pid) => !isAlive(pid)));
  });

  test('the hard timeout kills the whole remote process group', async () => {
    const dir = remoteClone();
    const t0 = Date.now();
    const result = await executor(dir).run(request({ env: { MODE: 'hang' }, timeoutSeconds: 1 }));
    assert.equal(result.outcome, 'timeout');
    assert.equal(result.reason, 'timed out after 1 s');
    // Not the 300 s the command would sleep: it was killed, not waited for.
    assert.ok(Date.now() - t0 < 60_000, `took ${Date.now() - t0} ms`);
    const pids = trainingPids(dir);
    assert.deepEqual(pids.map(isAlive), [false, false], `remote processes ${pids.join(', ')} are still alive`);
  });

  test('an abort stops the remote run: interrupted, nothing left running', async () => {
    const dir = remoteClone();
    const controller = new AbortController();
    const result = await executor(dir).run(
      request({ env: { MODE: 'hang' }, signal: controller.signal, onLine: (line) => line.startsWith('step 1') && controller.abort() }),
    );
    assert.equal(result.outcome, 'interrupted');
    assert.equal(result.reason, 'stopped');
    const pids = trainingPids(dir);
    assert.deepEqual(pids.map(isAlive), [false, false], `remote processes ${pids.join(', ')} are still alive`);
  });

  test('a killed ssh client: interrupted with "connection lost", and the remote run dies with the connection', async () => {
    const dir = remoteClone();
    // The pid comes with the wrapper's report on stderr, which may arrive after the first stdout line.
    const sshPid = promiseWithResolvers<number>();
    let killed = false;
    const result = await executor(dir).run(
      request({
        env: { MODE: 'hang' },
        onStart: (pid) => sshPid.resolve(pid!),
        onLine: (line) => {
          if (killed || !line.startsWith('step 1')) return;
          killed = true;
          void sshPid.promise.then((pid) => signalProcess(pid, 'SIGKILL'));
        },
      }),
    );
    assert.equal(result.outcome, 'interrupted');
    assert.equal(result.reason, 'connection lost');
    const pids = trainingPids(dir);
    assert.ok(await waitUntil(() => pids.every((pid) => !isAlive(pid)), 5000), `remote processes ${pids.join(', ')} outlived the connection`);
  });

  test('a silent connection (a network gone without a word): the remote side kills the run by itself', async () => {
    const dir = remoteClone();
    const sshPid = promiseWithResolvers<number>();
    let stopped = false;
    let pids: number[] = [];
    let diedAfterMs = -1;
    const run = executor(dir, { heartbeatMs: 300, silenceSeconds: 2 }).run(
      request({
        env: { MODE: 'hang' },
        onStart: (pid) => sshPid.resolve(pid!),
        onLine: (line) => {
          if (stopped || !line.startsWith('step 1')) return;
          stopped = true;
          void sshPid.promise.then(async (pid) => {
            // A stopped client sends nothing, not even a FIN: to the remote side, a dead network.
            signalProcess(pid, 'SIGSTOP');
            pids = trainingPids(dir);
            const t0 = Date.now();
            const dead = await waitUntil(() => pids.every((p) => !isAlive(p)), 30_000);
            diedAfterMs = dead ? Date.now() - t0 : Infinity;
            signalProcess(pid, 'SIGCONT');
          });
        },
      }),
    );
    const result = await run;
    // Not at once (the connection itself was still up): after the silence, and not never.
    assert.ok(diedAfterMs >= 1000 && Number.isFinite(diedAfterMs), `remote run died ${diedAfterMs} ms after the client went silent`);
    assert.equal(result.outcome, 'interrupted');
    assert.equal(result.reason, 'connection lost');
  });
});
