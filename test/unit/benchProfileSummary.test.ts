import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { summariseProfile } from '../../bench/profileSummary';

const root = resolve(__dirname, '../..');
const frame = (id: number, functionName: string, url: string) => ({ id, callFrame: { functionName, url, lineNumber: 9 } });

test('self time is summed per function and per file, biggest first, with shares of the total', () => {
  const profile = {
    nodes: [
      frame(1, '(root)', ''),
      frame(2, 'append', `file://${join(root, 'src/core/store/traceStore.ts')}`),
      frame(3, 'spawn', 'node:internal/child_process'),
      frame(4, 'readTrace', `file://${join(root, 'src/core/store/traceStore.ts')}`),
      frame(5, 'raw', `file://${join(root, 'node_modules/simple-git/dist/index.cjs')}`),
    ],
    samples: [2, 3, 3, 4, 2, 5],
    timeDeltas: [1000, 3000, 3000, 500, 1000, 1500],
  };
  const s = summariseProfile(profile, 3);
  assert.equal(s.totalMs, 10);
  assert.deepEqual(s.functions.map((f) => [f.name, f.ms, f.pct]), [
    ['spawn node:internal/child_process:10', 6, 60],
    ['append src/core/store/traceStore.ts:10', 2, 20],
    ['raw node_modules/simple-git/dist/index.cjs:10', 2, 15],
  ]);
  assert.deepEqual(s.files.map((f) => [f.name, f.pct]), [
    ['node:internal/child_process', 60],
    ['src/core/store/traceStore.ts', 25],
    ['node_modules/simple-git', 15],
  ]);
});
