import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ablationMarkdown, pairAblation, summarizeAblation, type AblationReport, type AblationRun } from '../../src/core/ablation/ablation';
import { signFlipP } from '../../src/shared/stats/pairedComparison';

const run = (group: AblationRun['group'], repeat: number, delta: number | null): AblationRun => ({ group, repeat, tag: `t-${group}-${repeat}`, baseline: 1, best: delta === null ? null : 1 + delta, delta, stopped: 'completed' });

test('ablate pairs groups by repeat: differences, wins each way, the exact sign-flip p', () => {
  const runs = [run('A', 1, -0.1), run('C', 1, -0.3), run('A', 2, -0.2), run('C', 2, -0.25), run('A', 3, -0.1), run('C', 3, -0.05), run('A', 4, -0.1), run('C', 4, null)];
  const [pair] = pairAblation(runs, ['A', 'C'], 'minimize');
  assert.equal(pair.a, 'A');
  assert.equal(pair.b, 'C');
  assert.equal(pair.n, 3, 'repeat 4 of C has no value');
  assert.deepEqual([pair.aBetter, pair.bBetter, pair.ties], [1, 2, 0], 'C found lower on repeats 1 and 2');
  assert.ok(Math.abs(pair.meanDiff! - (0.2 + 0.05 - 0.05) / 3) < 1e-12);
  assert.equal(pair.p, signFlipP([0.2, 0.05, -0.05]));
  assert.equal(pairAblation(runs, ['A', 'C'], 'maximize')[0].aBetter, 2, 'maximizing: higher is better');
  assert.deepEqual(pairAblation(runs, ['A', 'B', 'C'], 'minimize').map((p) => `${p.a}${p.b}`), ['AB', 'AC', 'BC'], 'every pair once');

  const report: AblationReport = { id: 'ablate-x', metric: 'val_bpb', goal: 'minimize', iterations: 3, startCommit: 'abcdef1234', runs, rows: summarizeAblation(runs, ['A', 'C']), pairs: [pair] };
  const md = ablationMarkdown(report);
  assert.match(md, /\| A vs C \| 3 \| 0\.066667 \| 1 \| 2 \| 0 \| 0\.\d{4} \|/);
});
