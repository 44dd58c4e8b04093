import { test } from 'node:test';
import assert from 'node:assert/strict';
import numerics from '../../src/core/mechanisms/sandbox/numerics.js';

test('seeded random numbers repeat from a seed and continue from state()', () => {
  const a = numerics.rng(42);
  const first = [a.next(), a.next(), a.next()];
  assert.deepEqual([numerics.rng(42).next(), numerics.rng(42).next()], [first[0], first[0]]);
  const resumed = numerics.rng(numerics.rng(42).state());
  assert.equal(resumed.next(), first[0], 'state() before drawing is the seed');
  const b = numerics.rng(7);
  b.next();
  assert.equal(numerics.rng(b.state()).next(), (() => { const c = numerics.rng(7); c.next(); return c.next(); })());
  assert.deepEqual([...numerics.rng(1).shuffle([1, 2, 3, 4])].sort(), [1, 2, 3, 4]);
});

test('statistics', () => {
  const s = numerics.stats;
  assert.equal(s.mean([1, 2, 3, 4]), 2.5);
  assert.equal(s.median([5, 1, 3]), 3);
  assert.ok(Math.abs(s.sd([2, 4, 4, 4, 5, 5, 7, 9]) - 2.138) < 1e-3);
  assert.equal(s.quantile([0, 10], 0.25), 2.5);
  assert.deepEqual(s.ranks([10, 20, 20, 5]), [2, 3.5, 3.5, 1]);
  assert.equal(s.spearman([1, 2, 3], [10, 20, 30]), 1);
  assert.ok(Math.abs(s.normalCdf(1.96) - 0.975) < 1e-3);
  assert.equal(s.argmin([3, 1, 2]), 1);
});

test('TPE prefers where the good observations are, never returns an excluded point, null when all are excluded', () => {
  const dims = [{ size: 8, ordered: true }, { size: 3, ordered: false }];
  const observations = [
    { x: [1, 0], y: 0.5 }, { x: [2, 0], y: 0.6 }, { x: [6, 2], y: 1.5 }, { x: [7, 2], y: 1.6 }, { x: [5, 1], y: null }, { x: [4, 1], y: 1.2 },
  ];
  const r = numerics.tpe.suggest({ dims, observations, seed: 3, local: 32, prior: 0.2, exclude: observations.map((o) => o.x) });
  assert.ok(r && r.x[0] <= 3 && r.x[1] === 0, JSON.stringify(r));
  const all: number[][] = [];
  for (let i = 0; i < 8; i++) for (let j = 0; j < 3; j++) all.push([i, j]);
  assert.equal(numerics.tpe.suggest({ dims, observations, exclude: all }), null);
  const maximize = numerics.tpe.suggest({ dims, observations: observations.filter((o) => o.y !== null), goal: 'maximize', seed: 3, local: 32, prior: 0.2 });
  assert.ok(maximize && maximize.x[0] >= 4, JSON.stringify(maximize));
});

test('Gaussian process: interpolates what it saw, is unsure away from it; EI is highest near the best', () => {
  const x = [[0], [0.5], [1]];
  const y = [1, 0, 1];
  const { mean, sd } = numerics.gp.predict({ x, y, at: [[0.5], [0.25], [3]], noise: 1e-6 });
  assert.ok(Math.abs(mean[0] - 0) < 1e-3);
  assert.ok(sd[0] < 0.01 && sd[2] > sd[1]);
  const ei = numerics.gp.expectedImprovement({ x, y, at: [[0.45], [0.95]], noise: 1e-6 });
  assert.ok(ei[0] > ei[1]);
});
