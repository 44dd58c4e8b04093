import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecutorSetupError, type TrainingRequest, type TrainingResult } from '../../src/core/executors/executor';
import { isAlive } from '../../src/core/process/processGroup';
import { SlurmExecutor, type SlurmExecutorOptions } from '../../src/core/executors/slurmExecutor';
import { Secrets } from '../../src/core/secrets/secrets';
import type { MetricSpec } from '../../src/core/target/metric';
import { slurmJob, startSlurmTestCluster } from '../support/slurmTestCluster';

/** The slurm executor against a real one-node Slurm cluster on this machine (test/support/slurmTestCluster.ts). */

const metric: MetricSpec = { name: 'val_bpb', goal: 'minimize' };
let slurmEnv: Record<string, string>;
let overTimeLimit: Promise<TrainingResult>;
let overTimeLimitJob: number | undefined;
// A job that starts a child, records its pid and waits for it: what a cancel has to take down.
const SLEEPER = 'sleep 60 & echo $! > sleep.pid; echo started; wait';

before(() => {
  slurmEnv = startSlurmTestCluster();
  // Slurm enforces --time in whole minutes, on a sweep every ~30 s: this job takes over a minute, so it
  // runs alongside the other tests (the node has a CPU for each) and the last test reads its result.
  overTimeLimit = executor({ timeLimitMinutes: 1 }).run(request(SLEEPER.replace('sleep 60', 'sleep 600'), { timeoutSeconds: 900, onStart: (_, id) => (overTimeLimitJob = id) }));
});

function executor(options: SlurmExecutorOptions = {}): SlurmExecutor {
  return new SlurmExecutor({ pollSeconds: 0.3, env: slurmEnv, ...options });
}

function request(command: string, extra: Partial<TrainingRequest> = {}): TrainingRequest & { cwd: string } {
  const cwd = realpathSync(mkdtempSync(join(tmpdir(), 'bilevel-slurm-')));
  return { n: 1, cwd, commit: 'HEAD', command, timeoutSeconds: 60, logPath: join(cwd, 'logs', '1.log'), metric, ...extra };
}

const job = (id: number) => slurmJob(slurmEnv, id);

function readPid(path: string): number {
  return Number(readFileSync(path, 'utf8').trim());
}


test('a job that prints the metric: ok, output streamed while it ran, job id reported', async () => {
  const lines: { line: string; at: number }[] = [];
  let jobId: number | undefined;
  let startedPid: number | undefined = -1;
  const req = request('pwd; echo "seed: $SEED"; echo "step 1"; sleep 2; echo "val_bpb: 0.97"', {
    env: { SEED: "it's 42" },
    onStart: (pid, id) => {
      startedPid = pid;
      jobId = id;
    },
    onLine: (line) => lines.push({ line, at: Date.now() }),
  });
  const result = await executor().run(req);
  const done = Date.now();

  assert.equal(result.outcome, 'ok', result.reason);
  assert.equal(result.metric, 0.97);
  assert.equal(result.exitCode, 0);
  assert.ok(jobId !== undefined && jobId > 0, 'onStart got the job id');
  assert.equal(startedPid, undefined, 'a batch job has no local process to kill');
  const info = job(jobId!);
  assert.equal(info.JobState, 'COMPLETED');
  assert.equal(info.JobName, 'autoresearch-1');
  assert.equal(info.TimeLimit, '00:01:00', 'the 60 s hard timeout, in whole minutes');
  assert.equal(readFileSync(req.logPath, 'utf8'), `${req.cwd}\nseed: it's 42\nstep 1\nval_bpb: 0.97\n`);
  assert.deepEqual(lines.map((l) => l.line), [req.cwd, "seed: it's 42", 'step 1', 'val_bpb: 0.97']);
  const first = lines.find((l) => l.line === 'step 1')!;
  assert.ok(done - first.at >= 1500, `"step 1" came ${done - first.at} ms before the end, not while the job slept`);
  assert.ok(existsSync(join(req.cwd, 'logs', '1.slurm.sh')), 'the batch script stays next to the log');
  assert.ok(!existsSync(join(req.cwd, 'logs', '1.slurm.out')), 'the raw output file is removed once it is in the log');
});

test('secrets stay out of the job (sbatch passes on no secret, the script exports none) and out of its log', async () => {
  const key = 'sk-test-slurm-NEVER-SHOWN-0123456789';
  // In this process's environment, as a key the user exported is, and in the request's.
  process.env.BILEVEL_TEST_SECRET = key;
  try {
    const req = request('env; echo "saw $(cat key)"; echo "val_bpb: 0.9"', {
      env: { OPENAI_API_KEY: key, KEEP_ME: 'visible' },
      secrets: new Secrets(['OPENAI_API_KEY', 'BILEVEL_TEST_SECRET'], [key]),
    });
    writeFileSync(join(req.cwd, 'key'), key);
    const result = await executor().run(req);
    assert.equal(result.outcome, 'ok', result.reason);
    const log = readFileSync(req.logPath, 'utf8');
    assert.match(log, /^KEEP_ME=visible$/m);
    assert.match(log, /^saw \*\*\*$/m, 'a key read elsewhere is redacted');
    assert.doesNotMatch(log, /OPENAI_API_KEY|BILEVEL_TEST_SECRET/, 'neither secret variable reached the job');
    assert.ok(!log.includes(key));
    assert.ok(!readFileSync(join(req.cwd, 'logs', '1.slurm.sh'), 'utf8').includes(key), 'nor the batch script');
  } finally {
    delete process.env.BILEVEL_TEST_SECRET;
  }
});

test('a job exiting 1 is a crash whose reason has the Slurm state, exit code and last line', async () => {
  const req = request('echo "loading"; echo "ValueError: bad lr" >&2; exit 1');
  const result = await executor().run(req);
  assert.equal(result.outcome, 'crash');
  assert.equal(result.reason, 'Slurm state FAILED (exit code 1:0): ValueError: bad lr');
  assert.equal(result.exitCode, 1);
  assert.equal(readFileSync(req.logPath, 'utf8'), 'loading\nValueError: bad lr\n');
});

test('Stop mid-job: scancel, interrupted, the job CANCELLED and its processes gone', async () => {
  const stop = new AbortController();
  let jobId: number | undefined;
  const req = request(SLEEPER, {
    signal: stop.signal,
    onStart: (_, id) => (jobId = id),
    onLine: (line) => line === 'started' && stop.abort(),
  });
  const t0 = Date.now();
  const result = await executor().run(req);
  assert.equal(result.outcome, 'interrupted');
  assert.equal(result.reason, 'stopped');
  assert.ok(Date.now() - t0 < 20_000, 'did not wait for the job to end by itself');
  assert.equal(job(jobId!).JobState, 'CANCELLED');
  const pid = readPid(join(req.cwd, 'sleep.pid'));
  assert.ok(!isAlive(pid), `the job's sleep (pid ${pid}) is gone`);
});

test('our hard timeout: scancel, outcome timeout, the job CANCELLED and its processes gone', async () => {
  let jobId: number | undefined;
  const req = request(SLEEPER, { timeoutSeconds: 3, onStart: (_, id) => (jobId = id) });
  const t0 = Date.now();
  const result = await executor().run(req);
  assert.equal(result.outcome, 'timeout');
  assert.equal(result.reason, 'timed out after 3 s');
  assert.ok(Date.now() - t0 < 20_000);
  assert.ok(result.seconds >= 3 && result.seconds < 15, `seconds ${result.seconds}`);
  assert.equal(job(jobId!).JobState, 'CANCELLED');
  assert.ok(!isAlive(readPid(join(req.cwd, 'sleep.pid'))));
});

test('a job cancelled by someone else is interrupted, not a crash', async () => {
  const req = request(SLEEPER, {
    onLine: (line) => {
      if (line === 'started') execFileSync('scancel', [String(jobId)], { env: { ...process.env, ...slurmEnv } });
    },
    onStart: (_, id) => (jobId = id),
  });
  let jobId: number | undefined;
  const result = await executor().run(req);
  assert.deepEqual([result.outcome, result.reason], ['interrupted', 'cancelled outside the loop (Slurm state CANCELLED)']);
});

test('a job held in the queue past maxQueueMinutes is cancelled: interrupted, with the pending reason', async () => {
  let jobId: number | undefined;
  // --hold: pending until released, which nobody does.
  const result = await executor({ directives: ['--hold'], maxQueueMinutes: 0.05 }).run(request('echo never', { onStart: (_, id) => (jobId = id) }));
  assert.deepEqual([result.outcome, result.reason], ['interrupted', 'not started by Slurm within 0.05 min (pending: JobHeldUser)']);
  assert.equal(job(jobId!).JobState, 'CANCELLED');
});

test('a job Slurm would never start (time limit over the partition MaxTime) is cancelled and a setup error', async () => {
  let jobId: number | undefined;
  const req = request('echo never', { onStart: (_, id) => (jobId = id) });
  await assert.rejects(executor({ partition: 'short', timeLimitMinutes: 5 }).run(req), (e: unknown) => {
    assert.ok(e instanceof ExecutorSetupError);
    assert.match(e.message, /pending with reason PartitionTimeLimit \(the time limit is above the partition's MaxTime\)/);
    return true;
  });
  assert.equal(job(jobId!).JobState, 'CANCELLED');
});

test('preflight: controller not reachable, unknown partition, no Slurm commands: clear setup errors', async () => {
  // A client config whose controller port nobody listens on: to the client, a stopped slurmctld.
  const dead = mkdtempSync(join(tmpdir(), 'bilevel-slurm-dead-'));
  const conf = readFileSync(slurmEnv.SLURM_CONF, 'utf8').replace(/^SlurmctldPort=\d+$/m, 'SlurmctldPort=6899');
  writeFileSync(join(dead, 'slurm.conf'), conf);
  await assert.rejects(new SlurmExecutor({ env: { SLURM_CONF: join(dead, 'slurm.conf') } }).run(request('echo hi')), (e: unknown) => {
    assert.ok(e instanceof ExecutorSetupError);
    assert.match(e.message, /^the Slurm controller is not reachable \(scontrol ping: Slurmctld\(primary\) at \S+ is DOWN\)$/);
    return true;
  });

  await assert.rejects(executor({ partition: 'nope' }).preflight(), (e: unknown) => {
    assert.ok(e instanceof ExecutorSetupError);
    assert.equal(e.message, 'Slurm partition "nope" does not exist (Partition nope not found); partitions here: debug, short');
    return true;
  });

  await assert.rejects(executor({ env: { ...slurmEnv, PATH: '/nonexistent' } }).preflight(), (e: unknown) => {
    assert.ok(e instanceof ExecutorSetupError);
    assert.match(e.message, /^sbatch not found on PATH/);
    return true;
  });

  // And a good setup passes, so the checks above fail for their reasons, not always.
  await executor({ partition: 'debug' }).preflight();
});

test("a job over Slurm's own time limit: state TIMEOUT, recorded as timeout, its processes gone", { timeout: 240_000 }, async () => {
  const result = await overTimeLimit;
  assert.equal(result.outcome, 'timeout');
  assert.equal(result.reason, "Slurm's time limit of 1 min was reached (state TIMEOUT)");
  assert.ok(result.seconds >= 60, `seconds ${result.seconds}`);
  assert.equal(job(overTimeLimitJob!).JobState, 'TIMEOUT');
});
