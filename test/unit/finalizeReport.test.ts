import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { progressChartLayout } from '../../src/core/finalize/chartLayout';
import { bestParamChanges, bestResult } from '../../src/core/finalize/keptChanges';
import { progressChartPng } from '../../src/core/finalize/progressPng';
import { finalizeCommitMessage } from '../../src/core/finalize/report';
import type { RunEvent, RunEventBody } from '../../src/shared/trace/events';
import { deriveRunState } from '../../src/shared/trace/runState';

const c = (ch: string) => ch.repeat(40);

/** Baseline 2.0; #1 LR kept (1.8); #2 BATCH discarded; #3 BATCH kept (1.5); #4 a worse result a mechanism kept. */
function trace(): RunEvent[] {
  const exp = (n: number, changed: Record<string, [number, number]>, params: Record<string, number>, status: 'keep' | 'discard', metric: number, prev: number): RunEventBody[] => [
    { type: 'iteration.started', n, baseCommit: c('0'), baseline: false },
    { type: 'candidate.proposed', n, candidate: { description: `change ${n}` } as never, proposer: 'heuristic' },
    { type: 'candidate.applied', n, params, changed: Object.fromEntries(Object.entries(changed).map(([k, [from, to]]) => [k, { from, to }])), tree: c(String(n)) },
    { type: 'experiment.decided', n, status, commit: c(String(n)), metric, previousBest: prev, delta: metric - prev, description: `change ${n}`, memoryGb: null },
    { type: 'iteration.finished', n, result: status },
  ];
  const bodies: RunEventBody[] = [
    { type: 'run.started', tag: 't', branch: 'autoresearch/t', baseCommit: c('0'), metric: 'val_bpb', goal: 'minimize', proposer: 'heuristic' },
    { type: 'iteration.started', n: 0, baseCommit: c('0'), baseline: true },
    { type: 'experiment.decided', n: 0, status: 'keep', commit: c('0'), metric: 2.0, previousBest: null, delta: null, description: 'baseline', memoryGb: null },
    { type: 'iteration.finished', n: 0, result: 'keep' },
    ...exp(1, { LR: [0.1, 0.05] }, { LR: 0.05, BATCH: 32 }, 'keep', 1.8, 2.0),
    ...exp(2, { BATCH: [32, 16] }, { LR: 0.05, BATCH: 16 }, 'discard', 1.9, 1.8),
    ...exp(3, { BATCH: [32, 64] }, { LR: 0.05, BATCH: 64 }, 'keep', 1.5, 1.8),
    ...exp(4, { LR: [0.05, 0.1] }, { LR: 0.1, BATCH: 64 }, 'keep', 1.6, 1.5),
  ];
  return bodies.map((b, i) => ({ seq: i + 1, at: new Date(0).toISOString(), ...b }) as RunEvent);
}

test('the best configuration against the baseline: each parameter from before the first experiment that touched it', () => {
  const state = deriveRunState(trace());
  assert.equal(state.best?.n, 3, 'the best, not the incumbent a mechanism kept after it');
  assert.deepEqual(bestParamChanges(state), [
    { name: 'LR', baseline: 0.1, best: 0.05 },
    { name: 'BATCH', baseline: 32, best: 64 },
  ]);
});

test('the kept changes are those in the best commit’s history, listed in the commit message with their deltas', () => {
  const state = deriveRunState(trace());
  const r = bestResult(state, (commit) => [c('1'), c('3')].includes(commit))!;
  assert.deepEqual(r.kept.map((k) => [k.n, k.fromBaseline!.toFixed(6)]), [[1, '-0.200000'], [3, '-0.500000']]);
  const message = finalizeCommitMessage(state, r, ['train.py']);
  assert.match(message, /^autoresearch t: val_bpb 2\.000000 → 1\.500000 \(Δ -0\.500000\)\n/);
  assert.match(message, /^- #1 change 1: 1\.800000 \(Δ -0\.200000\)$/m);
  assert.match(message, /^- #3 change 3: 1\.500000 \(Δ -0\.300000\)$/m);
  assert.doesNotMatch(message, /#4/, 'kept after the best: not part of it');
  assert.match(message, /^- BATCH: 32 → 64$/m);
});

test('no way home while the baseline is the best', () => {
  const baselineOnly = trace().slice(0, 4);
  assert.equal(bestResult(deriveRunState(baselineOnly), () => true), null);
  assert.deepEqual(bestParamChanges(deriveRunState(baselineOnly)), []);
});

test('the PNG chart has each point where the layout puts it, in its colour', () => {
  const layout = progressChartLayout(deriveRunState(trace()));
  const png = progressChartPng(layout, 2);
  const width = png.readUInt32BE(16);
  // One IDAT chunk (the encoder writes one) right after the 33 bytes of signature and IHDR.
  const idat = png.subarray(41, 41 + png.readUInt32BE(33));
  const raw = inflateSync(idat);
  const pixel = (x: number, y: number) => {
    const i = Math.round(y * 2) * (width * 3 + 1) + 1 + Math.round(x * 2) * 3;
    return '#' + [...raw.subarray(i, i + 3)].map((v) => v.toString(16).padStart(2, '0')).join('');
  };
  const kept = layout.points.find((p) => p.kept)!;
  const discarded = layout.points.find((p) => !p.kept)!;
  assert.equal(pixel(kept.x, kept.y), '#1a7f37');
  assert.equal(pixel(discarded.x, discarded.y), '#8c959f');
  assert.equal(pixel(layout.plot.left + 3, layout.plot.top + 3), '#ffffff', 'the background is white');
});
