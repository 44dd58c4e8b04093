import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunEvent } from '../../src/core/events/events';
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
    // training.started names the job: Slurm ran it under our name, with the partition and directive we gave.
    const job = slurmJob(slurmEnv, s.pid!);
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

test('Stop (Ctrl+C) during a Slurm job: scancel, the job CANCELLED and gone from the queue, the experiment interrupted', { timeout: 300_000 }, async () => {
  // Long enough a run that the stop lands while it trains.
  const dir = slurmRepo(10);
  const child = cliAsync(dir, ['run', '-n', '3', '--new'], slurmEnv);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const trace = () => {
    try {
      return readTraceEvents(dir, onlyRunTag(dir));
    } catch {
      return [];
    }
  };
  const start = await waitFor('Slurm job of #1 producing output', () => {
    const events = trace();
    const s = ofType(events, 'training.started').find((e) => e.n === 1);
    // The log fills line by line as the output streams in.
    return s && existsSync(s.log) && readFileSync(s.log, 'utf8').includes('\n') ? s : undefined;
  });
  assert.equal(slurmJob(slurmEnv, start.pid!).JobState, 'RUNNING');
  child.kill('SIGINT');

  assert.equal(await exited, 130, output);
  assert.equal(slurmJob(slurmEnv, start.pid!).JobState, 'CANCELLED');
  assert.equal(inSlurmQueue(slurmEnv, start.pid!), false);
  const events = trace();
  const one = ofType(events, 'training.finished').find((e) => e.n === 1)!;
  assert.deepEqual([one.outcome, one.reason], ['interrupted', 'stopped']);
  assert.ok(ofType(events, 'experiment.interrupted').some((e) => e.n === 1));
  assert.ok(events.some((e) => e.type === 'run.stopped' && e.reason === 'interrupted'));
  assert.equal(ofType(events, 'training.started').length, 2, 'nothing started after the stop');
});
