import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
