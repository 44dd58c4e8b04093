import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { classifyOutcome, type TrainingRequest } from '../../src/core/executors/executor';
import { LocalExecutor } from '../../src/core/executors/localExecutor';
import { LineSplitter } from '../../src/core/executors/trainingOutput';
import { isAlive, isGroupAlive, killProcessGroup, signalGroup, signalProcess, UnsafeSignalTarget } from '../../src/core/process/processGroup';
import type { MetricSpec } from '../../src/core/target/metric';

const EMIT = resolve(__dirname, '../fixtures/scripts/emit.js');
const emitCommand = `"${process.execPath}" "${EMIT}"`;
const metric: MetricSpec = { name: 'val_bpb', goal: 'minimize', secondary: [{ name: 'peak_vram_mb' }] };

type Step = ['out' | 'err', string] | ['sleep' | 'exit', number];

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'bilevel-exec-'));
}

function request(dir: string, command: string, extra: Partial<TrainingRequest> = {}): TrainingRequest {
  return { n: 1, cwd: dir, commit: 'HEAD', command, timeoutSeconds: 10, logPath: join(dir, 'logs', '1.log'), metric, ...extra };
}

function emitting(dir: string, steps: Step[], extra: Partial<TrainingRequest> = {}): TrainingRequest {
  return request(dir, emitCommand, { ...extra, env: { ...extra.env, STEPS: JSON.stringify(steps) } });
}

function readPid(path: string): number {
  return Number(readFileSync(path, 'utf8').trim());
}

const executor = new LocalExecutor({ killGraceMs: 500 });

// --- classifyOutcome -------------------------------------------------------------------------------

const clean = { exitCode: 0, signal: null, timedOut: false, interrupted: false, metric: 1, metricName: 'val_bpb' };

test('classifyOutcome: interrupted > timeout > crash > ok', () => {
  assert.deepEqual(classifyOutcome(clean), { outcome: 'ok' });
  assert.equal(classifyOutcome({ ...clean, timedOut: true, interrupted: true }).outcome, 'interrupted');
  assert.deepEqual(classifyOutcome({ ...clean, exitCode: null, signal: 'SIGTERM', timedOut: true, timeoutSeconds: 30 }), {
    outcome: 'timeout',
    reason: 'timed out after 30 s',
  });
  assert.equal(classifyOutcome({ ...clean, exitCode: 1, timedOut: true }).outcome, 'timeout');
});

test('classifyOutcome: crash reasons', () => {
  assert.deepEqual(classifyOutcome({ ...clean, exitCode: 1, lastErrorLine: 'AssertionError: n_embd % n_head' }), {
    outcome: 'crash',
    reason: 'exit code 1: AssertionError: n_embd % n_head',
  });
  assert.deepEqual(classifyOutcome({ ...clean, exitCode: 2 }), { outcome: 'crash', reason: 'exit code 2' });
  assert.deepEqual(classifyOutcome({ ...clean, exitCode: null, signal: 'SIGKILL' }), { outcome: 'crash', reason: 'killed by SIGKILL' });
  assert.deepEqual(classifyOutcome({ ...clean, metric: null }), { outcome: 'crash', reason: 'no val_bpb line in output' });
  assert.deepEqual(classifyOutcome({ ...clean, metric: null, invalidMetric: 'nan' }), { outcome: 'crash', reason: 'val_bpb was nan' });
  assert.equal(classifyOutcome({ ...clean, metric: Number.NaN }).outcome, 'crash');
  assert.equal(classifyOutcome({ ...clean, exitCode: null, startError: 'working directory /x does not exist' }).reason, 'could not start: working directory /x does not exist');
  assert.ok(classifyOutcome({ ...clean, exitCode: 1, lastErrorLine: 'x'.repeat(1000) }).reason!.length < 400);
});

// --- LineSplitter ----------------------------------------------------------------------------------

function split(chunks: string[], max?: number): string[] {
  const s = new LineSplitter(max);
  return [...chunks.flatMap((c) => s.push(c)), ...s.end()];
}

test('LineSplitter reassembles lines split across chunks and keeps a final line without newline', () => {
  assert.deepEqual(split(['val_b', 'pb: 0.9', '979\nnum_', 'steps: 953\nlast']), ['val_bpb: 0.9979', 'num_steps: 953', 'last']);
  assert.deepEqual(split(['a\n\nb\n']), ['a', '', 'b']);
});

test('LineSplitter handles \\r\\n, also when split between chunks', () => {
  assert.deepEqual(split(['a\r\nb\r', '\nc\r\n']), ['a', 'b', 'c']);
  assert.deepEqual(split(['a\r\n\r', '\nb']), ['a', '', 'b']);
});

test('LineSplitter turns carriage-return progress updates into lines', () => {
  assert.deepEqual(split(['start\n', '\rstep 1', '\rstep 2', '\rstep 3', '\n---\n']), ['start', 'step 1', 'step 2', 'step 3', '---']);
  assert.deepEqual(split(['x\r', 'y\n']), ['x', 'y']);
});

test('LineSplitter cuts very long lines and says how much it dropped', () => {
  const lines = split(['a'.repeat(60), 'b'.repeat(60), '\nnext\n'], 100);
  assert.equal(lines.length, 2);
  assert.ok(lines[0].startsWith('a'.repeat(60) + 'b'.repeat(40)));
  assert.match(lines[0], /20 more characters/);
  assert.equal(lines[1], 'next');
});

// --- LocalExecutor ---------------------------------------------------------------------------------

test('an ok run reads the metric and secondary metrics', async () => {
  const dir = tempDir();
  const result = await executor.run(
    emitting(dir, [['out', 'step 1\n---\nval_bpb:          0.997900\ntraining_seconds: 300.1\npeak_vram_mb:     45060.2\n'], ['exit', 0]]),
  );
  assert.equal(result.outcome, 'ok');
  assert.equal(result.exitCode, 0);
  assert.equal(result.signal, null);
  assert.equal(result.metric, 0.9979);
  assert.deepEqual(result.secondary, { peak_vram_mb: 45060.2 });
  assert.equal(result.reason, undefined);
  assert.ok(result.seconds > 0 && result.seconds < 5);
});

test('a metric printed on stderr counts too', async () => {
  const dir = tempDir();
  const result = await executor.run(emitting(dir, [['err', 'INFO val_bpb\nval_bpb: 1.25\n']]));
  assert.equal(result.outcome, 'ok');
  assert.equal(result.metric, 1.25);
});

test('exit code 1 is a crash whose reason is the last stderr line', async () => {
  const dir = tempDir();
  const result = await executor.run(
    emitting(dir, [
      ['out', 'starting\n'],
      ['err', 'Traceback (most recent call last):\n  File "train.py", line 3, in <module>\nAssertionError: n_embd % n_head\n\n'],
      ['exit', 1],
    ]),
  );
  assert.equal(result.outcome, 'crash');
  assert.equal(result.exitCode, 1);
  assert.equal(result.reason, 'exit code 1: AssertionError: n_embd % n_head');
});

test('exit 0 without a metric line is a crash naming the metric', async () => {
  const dir = tempDir();
  const result = await executor.run(emitting(dir, [['out', 'done\nval_loss: 2.0\n'], ['exit', 0]]));
  assert.equal(result.outcome, 'crash');
  assert.equal(result.exitCode, 0);
  assert.equal(result.metric, null);
  assert.equal(result.reason, 'no val_bpb line in output');
});

test('a nan metric is a crash, not a score', async () => {
  const dir = tempDir();
  const result = await executor.run(emitting(dir, [['out', 'val_bpb: 1.5\nval_bpb: nan\n']]));
  assert.equal(result.outcome, 'crash');
  assert.equal(result.metric, null);
  assert.equal(result.reason, 'val_bpb was nan');
});

test('death by a signal is a crash', async () => {
  const dir = tempDir();
  const result = await executor.run(request(dir, 'echo "val_bpb: 1.0"; kill -9 $$'));
  assert.equal(result.outcome, 'crash');
  assert.equal(result.exitCode, null);
  assert.equal(result.signal, 'SIGKILL');
  assert.match(result.reason!, /^killed by SIGKILL/);
});

test('a timeout kills the whole process group, grandchildren included', async () => {
  const dir = tempDir();
  let pgid = 0;
  const started = Date.now();
  const result = await executor.run(
    request(dir, `sh -c 'sleep 30 & echo $! > child.pid; wait'; echo after`, { timeoutSeconds: 1, onStart: (pid) => (pgid = pid!) }),
  );
  assert.equal(result.outcome, 'timeout');
  assert.equal(result.reason, 'timed out after 1 s');
  assert.ok(Date.now() - started < 5000, 'the run did not wait for sleep 30');
  assert.ok(pgid > 0);
  const grandchild = readPid(join(dir, 'child.pid'));
  assert.ok(grandchild > 0 && grandchild !== pgid);
  assert.equal(isAlive(grandchild), false, 'grandchild still alive');
  assert.equal(isGroupAlive(pgid), false, 'process group still alive');
});

test('a grandchild that ignores SIGTERM is killed after the grace period', async () => {
  const dir = tempDir();
  const started = Date.now();
  const result = await new LocalExecutor({ killGraceMs: 300 }).run(
    request(dir, `sh -c 'trap "" TERM; sleep 30 & echo $! > child.pid; wait'; echo after`, { timeoutSeconds: 1 }),
  );
  assert.equal(result.outcome, 'timeout');
  assert.ok(Date.now() - started < 5000);
  assert.equal(isAlive(readPid(join(dir, 'child.pid'))), false, 'grandchild survived SIGKILL');
});

test('abort via the signal interrupts the run and kills its group', async () => {
  const dir = tempDir();
  const controller = new AbortController();
  let pgid = 0;
  const started = Date.now();
  const result = await executor.run(
    request(dir, `sh -c 'sleep 30 & echo $! > child.pid; wait'; echo after`, {
      signal: controller.signal,
      onStart: (pid) => {
        pgid = pid!;
        setTimeout(() => controller.abort(), 300);
      },
    }),
  );
  assert.equal(result.outcome, 'interrupted');
  assert.equal(result.reason, 'stopped');
  assert.ok(Date.now() - started < 5000);
  assert.equal(isGroupAlive(pgid), false);
  assert.equal(isAlive(readPid(join(dir, 'child.pid'))), false);
});

test('an already aborted signal does not start the command', async () => {
  const dir = tempDir();
  const controller = new AbortController();
  controller.abort();
  let started = false;
  const result = await executor.run(request(dir, 'touch ran', { signal: controller.signal, onStart: () => (started = true) }));
  assert.equal(result.outcome, 'interrupted');
  assert.equal(started, false);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(existsSync(join(dir, 'ran')), false);
});

test('the log holds every line in arrival order and onLine sees each line once, with its stream', async () => {
  const dir = tempDir();
  const seen: string[] = [];
  const logPath = join(dir, 'deep', 'logs', '7.log');
  const result = await executor.run(
    emitting(dir, [['out', 'one\ntwo\n'], ['sleep', 50], ['err', 'three\n'], ['sleep', 50], ['out', 'four\nval_bpb: 0.5\n'], ['sleep', 50], ['err', 'five']], {
      logPath,
      onLine: (line, stream) => seen.push(`${stream}:${line}`),
    }),
  );
  assert.equal(result.outcome, 'ok');
  assert.equal(readFileSync(logPath, 'utf8'), 'one\ntwo\nthree\nfour\nval_bpb: 0.5\nfive\n');
  assert.deepEqual(seen, ['stdout:one', 'stdout:two', 'stderr:three', 'stdout:four', 'stdout:val_bpb: 0.5', 'stderr:five']);
});

test('lines split across chunks are reassembled, \\r\\n handled, final partial line kept', async () => {
  const dir = tempDir();
  const seen: string[] = [];
  const result = await executor.run(
    emitting(dir, [['out', 'val_b'], ['sleep', 80], ['out', 'pb: 0.9'], ['sleep', 80], ['out', '979\r'], ['sleep', 80], ['out', '\nstep 1'], ['sleep', 80], ['out', '\rstep 2\r\ntail']], {
      onLine: (line) => seen.push(line),
    }),
  );
  assert.equal(result.metric, 0.9979);
  assert.deepEqual(seen, ['val_bpb: 0.9979', 'step 1', 'step 2', 'tail']);
  assert.equal(readFileSync(join(dir, 'logs', '1.log'), 'utf8'), 'val_bpb: 0.9979\nstep 1\nstep 2\ntail\n');
});

test('very long lines are cut in the log and do not hide the metric', async () => {
  const dir = tempDir();
  const result = await new LocalExecutor({ maxLineLength: 1000 }).run(emitting(dir, [['out', 'x'.repeat(5000)], ['sleep', 30], ['out', 'y'.repeat(5000) + '\nval_bpb: 2\n']]));
  assert.equal(result.metric, 2);
  const [first, second] = readFileSync(join(dir, 'logs', '1.log'), 'utf8').split('\n');
  assert.ok(first.length < 1100);
  assert.match(first, /9000 more characters/);
  assert.equal(second, 'val_bpb: 2');
});

test('a missing working directory is a crash, not a throw', async () => {
  const dir = tempDir();
  const missing = join(dir, 'nope');
  const result = await executor.run(request(missing, 'echo hi', { logPath: join(dir, 'logs', '1.log') }));
  assert.equal(result.outcome, 'crash');
  assert.equal(result.exitCode, null);
  assert.match(result.reason!, /nope does not exist/);
});

test('the command runs in cwd, with env merged over the environment and PYTHONUNBUFFERED=1', async () => {
  const dir = tempDir();
  const seen: string[] = [];
  const result = await executor.run(
    request(dir, 'pwd; echo "unbuffered=$PYTHONUNBUFFERED path=${PATH:+set}"; echo "val_bpb: $MY_VALUE"', {
      env: { MY_VALUE: '0.125' },
      onLine: (line) => seen.push(line),
    }),
  );
  assert.equal(result.metric, 0.125);
  assert.deepEqual(seen.slice(0, 2), [realpathSync(dir), 'unbuffered=1 path=set']);
});

test('processes left running after the command exits are killed, and the run does not wait for them', async () => {
  const dir = tempDir();
  const started = Date.now();
  const result = await executor.run(request(dir, 'sleep 30 & echo $! > child.pid; echo "val_bpb: 1"'));
  assert.equal(result.outcome, 'ok');
  assert.ok(Date.now() - started < 5000);
  assert.equal(isAlive(readPid(join(dir, 'child.pid'))), false);
});

test('a throwing listener does not break the run', async () => {
  const dir = tempDir();
  const result = await executor.run(
    emitting(dir, [['out', 'a\nval_bpb: 3\n']], {
      onLine: () => {
        throw new Error('listener bug');
      },
      onStart: () => {
        throw new Error('listener bug');
      },
    }),
  );
  assert.equal(result.outcome, 'ok');
  assert.equal(result.metric, 3);
});

// --- processGroup ----------------------------------------------------------------------------------

test('killProcessGroup stops an orphaned group and isAlive tells', async () => {
  const dir = tempDir();
  const leader = spawn('/bin/sh', ['-c', 'sleep 30 & echo $! > child.pid; wait'], { cwd: dir, detached: true, stdio: 'ignore' });
  leader.unref();
  const pgid = leader.pid!;
  while (!existsSync(join(dir, 'child.pid')) || readFileSync(join(dir, 'child.pid'), 'utf8').trim() === '') {
    await new Promise((r) => setTimeout(r, 20));
  }
  const child = readPid(join(dir, 'child.pid'));
  assert.equal(isAlive(pgid), true);
  assert.equal(isAlive(child), true);
  assert.equal(isGroupAlive(pgid), true);
  await killProcessGroup(pgid, 1000);
  assert.equal(isAlive(child), false);
  assert.equal(isGroupAlive(pgid), false);
  await killProcessGroup(pgid, 1000); // already gone: resolves without error
});

test('isAlive rejects ids that are not processes', () => {
  assert.equal(isAlive(process.pid), true);
  assert.equal(isAlive(0), false);
  assert.equal(isAlive(-1), false);
  assert.equal(isAlive(1.5), false);
  assert.equal(isGroupAlive(1), false);
});

test('signalling 0, 1, a negative id, our own pid or our own group throws and sends nothing', async () => {
  // A sentinel child in our own process group: had any of these calls sent a signal to the group, it would die.
  const sentinel = spawn('/bin/sh', ['-c', 'trap "" HUP; sleep 30'], { stdio: 'ignore' });
  try {
    const ownGroup = Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[2]);
    for (const id of [0, 1, -1, -sentinel.pid!, 1.5, process.pid]) {
      assert.throws(() => signalProcess(id, 'SIGTERM'), UnsafeSignalTarget, `signalProcess(${id})`);
    }
    for (const id of [0, 1, -1, process.pid, ownGroup]) {
      assert.throws(() => signalGroup(id, 'SIGTERM'), UnsafeSignalTarget, `signalGroup(${id})`);
      assert.throws(() => killProcessGroup(id, 100), UnsafeSignalTarget, `killProcessGroup(${id})`);
    }
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(isAlive(sentinel.pid!), true, 'a refused signal reached the sentinel');
    assert.equal(signalProcess(sentinel.pid!, 'SIGKILL'), true, 'an ordinary pid is signalled');
  } finally {
    sentinel.kill('SIGKILL');
  }
});
