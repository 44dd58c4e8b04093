import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  isFinalSlurmState,
  isQueuedSlurmState,
  parseSacctJob,
  parseSbatchJobId,
  parseScontrolJob,
  permanentPendingReason,
  sbatchArguments,
  slurmBatchScript,
  slurmJobFiles,
  slurmOutcome,
  slurmTimeLimitMinutes,
  type SlurmJobStatus,
  type SlurmOutcomeFacts,
} from '../../src/core/executors/slurmExecutor';

const ended = (state: string, exitCode = 0, signal = 0): SlurmJobStatus => ({ state, reason: 'None', exitCode, signal });
const facts = (status: SlurmJobStatus | undefined, extra: Partial<SlurmOutcomeFacts> = {}): SlurmOutcomeFacts => ({
  status,
  metric: 0.97,
  metricName: 'val_bpb',
  timeoutSeconds: 300,
  ...extra,
});

// --- state → outcome -------------------------------------------------------------------------------

test('COMPLETED is judged like a local run: ok only with a finite metric', () => {
  assert.deepEqual(slurmOutcome(facts(ended('COMPLETED'))), { outcome: 'ok' });
  assert.deepEqual(slurmOutcome(facts(ended('COMPLETED'), { metric: null })), { outcome: 'crash', reason: 'no val_bpb line in output' });
  assert.deepEqual(slurmOutcome(facts(ended('COMPLETED'), { metric: null, invalidMetric: 'nan' })), { outcome: 'crash', reason: 'val_bpb was nan' });
});

test('a job that completed before our scancel took effect keeps its result', () => {
  assert.deepEqual(slurmOutcome(facts(ended('COMPLETED'), { cancelledBy: 'stop' })), { outcome: 'ok' });
  assert.deepEqual(slurmOutcome(facts(ended('COMPLETED'), { cancelledBy: 'timeout' })), { outcome: 'ok' });
});

test('failures are crashes whose reason names the Slurm state and exit code', () => {
  assert.deepEqual(slurmOutcome(facts(ended('FAILED', 1), { lastLine: 'ValueError: bad lr' })), {
    outcome: 'crash',
    reason: 'Slurm state FAILED (exit code 1:0): ValueError: bad lr',
  });
  assert.deepEqual(slurmOutcome(facts(ended('FAILED', 0, 9))), { outcome: 'crash', reason: 'Slurm state FAILED (exit code 0:9, SIGKILL)' });
  // A metric printed before the failure does not rescue the run.
  assert.equal(slurmOutcome(facts(ended('NODE_FAIL'))).outcome, 'crash');
  assert.match(slurmOutcome(facts(ended('NODE_FAIL'))).reason!, /^Slurm state NODE_FAIL \(exit code 0:0\)/);
  assert.match(slurmOutcome(facts(ended('OUT_OF_MEMORY', 0, 125))).reason!, /^Slurm state OUT_OF_MEMORY \(exit code 0:125\)/);
  assert.equal(slurmOutcome(facts(ended('BOOT_FAIL'))).outcome, 'crash');
  assert.ok(slurmOutcome(facts(ended('FAILED', 1), { lastLine: 'x'.repeat(2000) })).reason!.length < 400);
});

test('our cancels: Stop is interrupted, our hard timeout is timeout, an endless queue is interrupted', () => {
  assert.deepEqual(slurmOutcome(facts(ended('CANCELLED', 0, 15), { cancelledBy: 'stop' })), { outcome: 'interrupted', reason: 'stopped' });
  assert.deepEqual(slurmOutcome(facts(ended('CANCELLED', 0, 15), { cancelledBy: 'timeout', timeoutSeconds: 5 })), {
    outcome: 'timeout',
    reason: 'timed out after 5 s',
  });
  assert.deepEqual(slurmOutcome(facts(ended('CANCELLED'), { cancelledBy: 'queue', maxQueueMinutes: 30, pendingReason: 'Priority' })), {
    outcome: 'interrupted',
    reason: 'not started by Slurm within 30 min (pending: Priority)',
  });
  // The cause wins over whatever state a cancelled job ends in, and over an unreadable one.
  assert.equal(slurmOutcome(facts(ended('FAILED', 0, 15), { cancelledBy: 'stop' })).outcome, 'interrupted');
  assert.equal(slurmOutcome(facts(undefined, { cancelledBy: 'timeout' })).outcome, 'timeout');
});

test("Slurm's own limits are timeouts; preemption and someone else's scancel are interrupted", () => {
  assert.deepEqual(slurmOutcome(facts(ended('TIMEOUT'), { timeLimitMinutes: 6 })), {
    outcome: 'timeout',
    reason: "Slurm's time limit of 6 min was reached (state TIMEOUT)",
  });
  assert.equal(slurmOutcome(facts(ended('DEADLINE'))).outcome, 'timeout');
  assert.deepEqual(slurmOutcome(facts(ended('PREEMPTED', 0, 15))), { outcome: 'interrupted', reason: 'preempted by Slurm' });
  assert.deepEqual(slurmOutcome(facts(ended('CANCELLED', 0, 15))), { outcome: 'interrupted', reason: 'cancelled outside the loop (Slurm state CANCELLED)' });
});

test('an unknown final state is a crash that says why', () => {
  assert.deepEqual(slurmOutcome(facts(undefined, { unknownState: 'slurmctld no longer knows job 7, and sacct has no record of it' })), {
    outcome: 'crash',
    reason: 'final Slurm state unknown: slurmctld no longer knows job 7, and sacct has no record of it',
  });
});

test('final and queued states', () => {
  for (const s of ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'PREEMPTED', 'OUT_OF_MEMORY', 'BOOT_FAIL', 'DEADLINE']) assert.ok(isFinalSlurmState(s), s);
  for (const s of ['PENDING', 'RUNNING', 'COMPLETING', 'CONFIGURING', 'SUSPENDED', 'REQUEUED']) assert.ok(!isFinalSlurmState(s), s);
  assert.ok(isQueuedSlurmState('PENDING') && isQueuedSlurmState('CONFIGURING'));
  assert.ok(!isQueuedSlurmState('RUNNING') && !isQueuedSlurmState('COMPLETING'));
});

test('pending reasons that mean never', () => {
  assert.match(permanentPendingReason('PartitionTimeLimit')!, /MaxTime/);
  assert.ok(permanentPendingReason('QOSMaxWallDurationPerJobLimit'));
  assert.ok(permanentPendingReason('AssocMaxGRESPerJob'));
  for (const r of ['Priority', 'Resources', 'QOSMaxGRESPerUser', 'JobHeldUser', 'ReqNodeNotAvail', 'None']) assert.equal(permanentPendingReason(r), undefined, r);
});

// --- parsing ---------------------------------------------------------------------------------------

// Shortened from the test cluster's `scontrol show job -o` (Slurm 22.05).
const SCONTROL_FAILED =
  'JobId=2 JobName=autoresearch-2 UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=4294901758 Nice=0 Account=(null) QOS=(null) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) Requeue=0 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=3:0 DerivedExitCode=0:0 RunTime=00:00:00 TimeLimit=00:01:00';

test('parseScontrolJob reads JobState, Reason and ExitCode (not DerivedExitCode)', () => {
  assert.deepEqual(parseScontrolJob(SCONTROL_FAILED), { state: 'FAILED', reason: 'NonZeroExitCode', exitCode: 3, signal: 0 });
  assert.deepEqual(parseScontrolJob(SCONTROL_FAILED.replace('ExitCode=3:0 ', 'ExitCode=0:9 ')), { state: 'FAILED', reason: 'NonZeroExitCode', exitCode: 0, signal: 9 });
  assert.deepEqual(parseScontrolJob('JobId=4 JobState=PENDING Reason=PartitionTimeLimit Dependency=(null)'), {
    state: 'PENDING',
    reason: 'PartitionTimeLimit',
    exitCode: null,
    signal: null,
  });
  assert.equal(parseScontrolJob('slurm_load_jobs error: Invalid job id specified'), undefined);
});

test('parseSacctJob reads "CANCELLED by 0|0:15"', () => {
  assert.deepEqual(parseSacctJob('CANCELLED by 0|0:15\n'), { state: 'CANCELLED', reason: 'None', exitCode: 0, signal: 15 });
  assert.deepEqual(parseSacctJob('\nCOMPLETED|0:0\n'), { state: 'COMPLETED', reason: 'None', exitCode: 0, signal: 0 });
  assert.equal(parseSacctJob(''), undefined);
});

test('parseSbatchJobId reads --parsable output, with or without a cluster', () => {
  assert.equal(parseSbatchJobId('1234\n'), 1234);
  assert.equal(parseSbatchJobId('77;gpu-cluster\n'), 77);
  assert.equal(parseSbatchJobId('Submitted batch job 12\n'), undefined);
});

// --- the submission --------------------------------------------------------------------------------

test('time limit: configured, else the hard timeout rounded up to whole minutes', () => {
  assert.equal(slurmTimeLimitMinutes(300), 5);
  assert.equal(slurmTimeLimitMinutes(301), 6);
  assert.equal(slurmTimeLimitMinutes(5), 1);
  assert.equal(slurmTimeLimitMinutes(300, 20), 20);
  assert.equal(slurmTimeLimitMinutes(Infinity), undefined);
});

test('sbatchArguments: name, output (with % escaped), working directory, limits', () => {
  assert.deepEqual(
    sbatchArguments({ n: 7, scriptPath: '/r/logs/7.slurm.sh', outputPath: '/r/50%/7.slurm.out', cwd: '/r/work', timeLimitMinutes: 6, partition: 'gpu', gpus: 'a100:2' }),
    ['--parsable', '--job-name=autoresearch-7', '--output=/r/50%%/7.slurm.out', '--chdir=/r/work', '--time=6', '--partition=gpu', '--gpus=a100:2', '/r/logs/7.slurm.sh'],
  );
  assert.deepEqual(sbatchArguments({ n: 1, scriptPath: 's', outputPath: 'o', cwd: 'c' }), ['--parsable', '--job-name=autoresearch-1', '--output=o', '--chdir=c', 's']);
});

test('slurmBatchScript: our directives, then the user\'s, the environment quoted, the command last', () => {
  const script = slurmBatchScript('python3 train.py --lr 3e-4', { SEED: "it's 42", CUDA_VISIBLE_DEVICES: '0' }, ['--mem=16G', '#SBATCH --account=proj']);
  assert.equal(
    script,
    [
      '#!/bin/bash',
      '#SBATCH --no-requeue',
      '#SBATCH --mem=16G',
      '#SBATCH --account=proj',
      'export PYTHONUNBUFFERED=1',
      `export SEED='it'\\''s 42'`,
      'export CUDA_VISIBLE_DEVICES=0',
      'python3 train.py --lr 3e-4',
      '',
    ].join('\n'),
  );
  assert.throws(() => slurmBatchScript('true', { 'BAD-NAME': 'x' }), /BAD-NAME/);
});

test('slurmBatchScript with an end marker: printed after the command, whose exit status the job keeps', () => {
  const script = slurmBatchScript('printf "no newline"; (exit 3)', {}, [], "@@end'x@@");
  const run = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
  assert.equal(run.stdout, "no newline@@end'x@@\n");
  assert.equal(run.status, 3);
});

test('slurmJobFiles sit next to the log', () => {
  assert.deepEqual(slurmJobFiles('/runs/a/logs/12.log'), { script: '/runs/a/logs/12.slurm.sh', output: '/runs/a/logs/12.slurm.out' });
});
