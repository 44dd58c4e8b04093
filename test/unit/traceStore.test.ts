import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { TraceStore } from '../../src/core/store/traceStore';

const tmp = () => join(mkdtempSync(join(tmpdir(), 'trace-')), 'runs', 'x', 'trace.jsonl');

test('events are appended one JSON line each with contiguous seq; output lines are not persisted', () => {
  const path = tmp();
  const { store } = TraceStore.open(path);
  store.append({ type: 'run.started', tag: 't', branch: 'autoresearch/t', baseCommit: 'abc', metric: 'val_bpb', goal: 'minimize', proposer: 'heuristic' });
  const out = store.append({ type: 'training.output', n: 0, line: 'step 1', stream: 'stdout' });
  store.append({ type: 'iteration.started', n: 0, baseCommit: 'abc', baseline: true });
  store.close();
  const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => [l.seq, l.type]), [[1, 'run.started'], [2, 'iteration.started']]);
  assert.equal(out.seq, 1, 'a transient event does not take a sequence number');
});

test('reopening continues the sequence', () => {
  const path = tmp();
  const a = TraceStore.open(path).store;
  a.append({ type: 'run.stopped', reason: 'completed' });
  a.close();
  const b = TraceStore.open(path);
  assert.equal(b.repaired, null);
  assert.equal(b.store.append({ type: 'run.stopped', reason: 'completed' }).seq, 2);
  assert.equal(b.store.events().length, 2);
  b.store.close();
});

test('a line torn by kill -9 mid-write is cut off and reported, and appends continue cleanly', () => {
  const path = tmp();
  const a = TraceStore.open(path).store;
  a.append({ type: 'run.stopped', reason: 'completed' });
  a.close();
  appendFileSync(path, '{"seq":2,"at":"x","type":"iteration.sta');
  const b = TraceStore.open(path);
  assert.match(b.repaired!, /iteration\.sta/);
  b.store.append({ type: 'run.stopped', reason: 'interrupted' });
  b.store.close();
  const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.seq), [1, 2]);
});

test('corruption in the middle of the trace is an error, not silently dropped', () => {
  const path = tmp();
  const a = TraceStore.open(path).store;
  a.close();
  appendFileSync(path, 'garbage\n{"seq":1,"at":"x","type":"run.stopped","reason":"completed"}\n');
  assert.throws(() => TraceStore.open(path), /corrupt/);
});

test('a torn line in the middle is an error that names the line', () => {
  const path = tmp();
  const a = TraceStore.open(path).store;
  a.append({ type: 'run.stopped', reason: 'completed' });
  a.close();
  appendFileSync(path, '{"seq":2,"at":"x","type":"iteration.sta\n{"seq":3,"at":"x","type":"run.stopped","reason":"completed"}\n');
  assert.throws(() => TraceStore.open(path), /corrupt at line 2 \(byte \d+\): \{"seq":2/);
});

test('an append after another process wrote to the trace is refused, and so is every later one: no seq number repeats', () => {
  const path = tmp();
  const a = TraceStore.open(path).store;
  a.append({ type: 'run.stopped', reason: 'completed' });
  const b = TraceStore.open(path).store;
  b.append({ type: 'run.stopped', reason: 'interrupted' });
  assert.throws(() => a.append({ type: 'run.stopped', reason: 'completed' }), (e: Error) => e.name === 'TraceWriteError' && /written by another process/.test(e.message));
  assert.throws(() => a.append({ type: 'run.stopped', reason: 'completed' }), /written by another process/);
  a.close();
  b.close();
  const seqs = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l).seq);
  assert.deepEqual(seqs, [1, 2]);
});

test('read leaves a torn tail alone (a live run may be writing it)', () => {
  const path = tmp();
  const a = TraceStore.open(path).store;
  a.append({ type: 'run.stopped', reason: 'completed' });
  a.close();
  appendFileSync(path, '{"seq":2,"at":"x"');
  assert.deepEqual(TraceStore.read(path).map((e) => e.seq), [1]);
  assert.match(readFileSync(path, 'utf8'), /"seq":2,"at":"x"$/, 'nothing was cut');
});

/** A directory on a tmpfs this small, or null (with the reason shown) where mounting is not allowed. */
function smallDisk(t: { skip: (why: string) => void }, size: string): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'disk-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    t.skip(`cannot mount a tmpfs here (${(r.stderr || r.error?.message || '').trim()}); the full-disk case is not tested`);
    return null;
  }
  return dir;
}

test('a full disk: a short write is detected and taken back, the trace ends with the last whole event, and the store stays stopped', (t) => {
  const disk = smallDisk(t, '8k');
  if (!disk) return;
  try {
    const path = join(disk, 'trace.jsonl');
    const { store } = TraceStore.open(path);
    let appended = 0;
    let error: Error | undefined;
    for (let i = 0; i < 100 && !error; i++) {
      try {
        store.append({ type: 'run.stopped', reason: 'error', message: 'x'.repeat(1500) });
        appended++;
      } catch (e) {
        error = e as Error;
      }
    }
    assert.ok(error, 'the disk filled up');
    assert.equal(error.name, 'TraceWriteError');
    assert.match(error.message, /no space left on device.*were written and taken back.*The trace ends with event \d+/i);
    assert.match(error.message, / [1-9]\d* of \d+ bytes/, 'the line was cut short by the disk, not refused whole');
    assert.throws(() => store.append({ type: 'run.stopped', reason: 'completed' }), /no space left/i, 'a stopped store takes nothing more');
    store.close();
    const text = readFileSync(path, 'utf8');
    assert.ok(text.endsWith('\n'), 'no torn line is left');
    assert.deepEqual(text.trim().split('\n').map((l) => JSON.parse(l).seq), Array.from({ length: appended }, (_, i) => i + 1));
    const reopened = TraceStore.open(path);
    assert.equal(reopened.repaired, null);
    reopened.store.close();
  } finally {
    spawnSync('umount', [disk]);
  }
});
