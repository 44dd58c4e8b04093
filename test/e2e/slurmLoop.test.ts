import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunEvent } from '../../src/shared/trace/events';
import { inSlurmQueue, slurmJob, startSlurmTestCluster } from '../support/slurmTestCluster';
import { cliAsync, cliRun, onlyRunTag, readTraceEvents, tinyGptRepo, waitFor } from '../support/tinyGptRepo';

/*
 * The whole loop through the CLI with a slurm worker: every tiny-gpt run is a batch job on the real
 * one-node cluster (test/support/slurmTestCluster.ts), in the repo's own directory (a cluster shares
 * its filesystem; here it is this machine's).
 */

let slurmEnv: Record<string, string>;

before(() => {
  slurmEnv = startSlurmTestCluster();
});

type Of<T extends RunEvent['type']> = Extract<RunEvent, { type: T }>;
const ofType = <T extends RunEvent['type']>(events: RunEvent[], type: T) => events.filter((e): e is Of<T> => e.type === type);

function slurmRepo(timeBudget = 2): string {
  return tinyGptRepo({
    timeBudget,
    config: (c) => {
      c.workers = [{ kind: 'slurm', partition: 'debug', directives: ['--cpus-per-task=1'] }];
    },
  });
}

test('bilevel run with a slurm worker: each iteration is a Slurm job, its output streamed back', { timeout: 300_000 }, async () => {
  const dir = slurmRepo();
  const r = await cliRun(dir, ['run', '-n', '2', '--new'], slurmEnv);
  assert.equal(r.status, 0, r.stdout + r.stderr);

  const tag = onlyRunTag(dir);
  const events = readTraceEvents(dir, tag);
  const started = ofType(events, 'training.started');
  const finished = ofType(events, 'training.finished');
  assert.equal(started.length, 3, 'the baseline and 2 iterations');
  assert.equal(finished[0].outcome, 'ok', finished[0].reason);
  assert.ok(finished.every((f) => f.outcome === 'ok' || f.outcome === 'crash'), JSON.stringify(finished));
  for (const s of started) {
    // training.started names the job (and no local process): Slurm ran it under our name, with the partition and directive we gave.
    assert.equal(s.pid, undefined);
    const job = slurmJob(slurmEnv, s.slurmJobId!);
    assert.equal(job.JobName, `autoresearch-${s.n}`);
    assert.equal(job.Partition, 'debug');
    assert.equal(job.NumCPUs, '1');
    assert.equal(job.WorkDir, dir);
    const f = finished.find((x) => x.n === s.n)!;
    assert.equal(job.JobState, f.outcome === 'ok' ? 'COMPLETED' : 'FAILED');
  }
  for (const f of finished.filter((x) => x.outcome === 'ok')) {
    const log = readFileSync(join(dir, '.autoresearch/runs', tag, 'logs', `${f.n}.log`), 'utf8');
    assert.match(log, /^val_bpb:\s+[\d.]+$/m);
    assert.doesNotMatch(log, /@@bilevel-slurm-end/, 'the end marker is not output');
  }
});

/** Starts `bilevel run` and waits until experiment `n` runs as a Slurm job and writes output. */
async function runUntilJobOf(dir: string, n: number, args: string[]) {
  const child = cliAsync(dir, ['run', ...args], slurmEnv);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const start = await waitFor(`Slurm job of #${n} producing output`, () => {
    const events = trace(dir);
    const s = ofType(events, 'training.started').find((e) => e.n === n);
    // The log fills line by line as the output streams in.
    return s && existsSync(s.log) && readFileSync(s.log, 'utf8').includes('\n') ? s : undefined;
  });
  return { child, start, exited, output: () => output };
}

function trace(dir: string): RunEvent[] {
  try {
    return readTraceEvents(dir, onlyRunTag(dir));
  } catch {
    return [];
  }
}

test('Stop (Ctrl+C) during a Slurm job: scancel, the job CANCELLED and gone from the queue, the experiment interrupted', { timeout: 300_000 }, async () => {
  // Long enough a run that the stop lands while it trains.
  const dir = slurmRepo(5);
  const { child, start, exited, output } = await runUntilJobOf(dir, 1, ['-n', '3', '--new']);
  assert.equal(slurmJob(slurmEnv, start.slurmJobId!).JobState, 'RUNNING');
  child.kill('SIGINT');

  assert.equal(await exited, 130, output());
  assert.equal(slurmJob(slurmEnv, start.slurmJobId!).JobState, 'CANCELLED');
  assert.equal(inSlurmQueue(slurmEnv, start.slurmJobId!), false);
  const events = trace(dir);
  const one = ofType(events, 'training.finished').find((e) => e.n === 1)!;
  assert.deepEqual([one.outcome, one.reason], ['interrupted', 'stopped']);
  assert.ok(ofType(events, 'experiment.interrupted').some((e) => e.n === 1));
  assert.ok(events.some((e) => e.type === 'run.stopped' && e.reason === 'interrupted'));
  assert.equal(ofType(events, 'training.started').length, 2, 'nothing started after the stop');
});

test('bilevel killed (-9) during a Slurm job: the job runs on, and the resumed run cancels it', { timeout: 300_000 }, async () => {
  const dir = slurmRepo(5);
  const { child, start, exited } = await runUntilJobOf(dir, 1, ['-n', '1', '--new']);
  child.kill('SIGKILL');
  await exited;
  assert.equal(slurmJob(slurmEnv, start.slurmJobId!).JobState, 'RUNNING', 'a batch job does not die with its submitter');

  const resumed = await cliRun(dir, ['run', '-n', '1'], slurmEnv);
  assert.equal(resumed.status, 0, resumed.stdout + resumed.stderr);
  assert.equal(slurmJob(slurmEnv, start.slurmJobId!).JobState, 'CANCELLED');
  const events = trace(dir);
  assert.ok(ofType(events, 'experiment.interrupted').some((e) => e.n === 1 && e.reason === 'the run stopped while training'));
  // The interrupted experiment did not count: another one ran in its place.
  assert.ok(ofType(events, 'training.finished').some((e) => e.n === 2));
});
