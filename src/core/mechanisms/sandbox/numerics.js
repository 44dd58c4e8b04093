// @ts-check
'use strict';
// The numerical library mechanism code calls without imports: the global `numerics` in the sandbox's
// realm (sandboxChild.js evaluates this file there before the harness), and the model behind the
// `tpe` proposer (src/core/proposers/tpeProposer.ts imports this same file). Plain data in and out:
// numbers, arrays, plain objects; no typed arrays (the realm removes them), no state between calls
// (a mechanism keeps what it needs in its own state and passes it back). MECHANISM_INTERFACE_TEXT in
// mechanism.ts documents it for the LLM; keep the two in step.

const numerics = (function () {
  const { sqrt, exp, log, abs, floor, max, min, PI, imul } = Math;

  /** @param {number[]} xs */
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);
  /** @param {number[]} xs */
  const mean = (xs) => (xs.length ? sum(xs) / xs.length : NaN);
  /** Sample variance (n − 1). @param {number[]} xs */
  const variance = (xs) => {
    if (xs.length < 2) return 0;
    const m = mean(xs);
    return sum(xs.map((x) => (x - m) ** 2)) / (xs.length - 1);
  };
  /** @param {number[]} xs */
  const sd = (xs) => sqrt(variance(xs));
  /** Linear interpolation between order statistics, q in [0, 1]. @param {number[]} xs @param {number} q */
  const quantile = (xs, q) => {
    if (!xs.length) return NaN;
    const s = [...xs].sort((a, b) => a - b);
    const at = max(0, min(1, q)) * (s.length - 1);
    const lo = floor(at);
    return lo + 1 < s.length ? s[lo] + (s[lo + 1] - s[lo]) * (at - lo) : s[lo];
  };
  /** @param {number[]} xs */
  const median = (xs) => quantile(xs, 0.5);
  /** @param {number[]} xs */
  const argmin = (xs) => xs.reduce((best, x, i) => (x < xs[best] ? i : best), 0);
  /** @param {number[]} xs */
  const argmax = (xs) => xs.reduce((best, x, i) => (x > xs[best] ? i : best), 0);
  /** Average ranks, 1-based. @param {number[]} xs */
  const ranks = (xs) => {
    const order = xs.map((x, i) => [x, i]).sort((a, b) => a[0] - b[0]);
    /** @type {number[]} */
    const out = new Array(xs.length);
    for (let i = 0; i < order.length; ) {
      let j = i;
      while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
      for (let k = i; k <= j; k++) out[order[k][1]] = (i + j) / 2 + 1;
      i = j + 1;
    }
    return out;
  };
  /** @param {number[]} xs @param {number[]} ys */
  const pearson = (xs, ys) => {
    const mx = mean(xs);
    const my = mean(ys);
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let i = 0; i < xs.length; i++) {
      sxy += (xs[i] - mx) * (ys[i] - my);
      sxx += (xs[i] - mx) ** 2;
      syy += (ys[i] - my) ** 2;
    }
    return sxx && syy ? sxy / sqrt(sxx * syy) : 0;
  };
  /** @param {number[]} xs @param {number[]} ys */
  const spearman = (xs, ys) => pearson(ranks(xs), ranks(ys));
  /** @param {number} z */
  const normalPdf = (z) => exp(-0.5 * z * z) / sqrt(2 * PI);
  /** Abramowitz–Stegun 7.1.26, |error| < 1.5e-7. @param {number} z */
  const normalCdf = (z) => {
    const x = abs(z) / Math.SQRT2;
    const t = 1 / (1 + 0.3275911 * x);
    const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-x * x);
    return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
  };

  /**
   * A seeded generator (mulberry32). `state()` is a number to store in a mechanism's state and pass
   * back as the seed next call, so that a sequence continues across hook calls.
   * @param {number} seed
   */
  const rng = (seed) => {
    let a = seed >>> 0;
    const next = () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = imul(t ^ (t >>> 15), t | 1);
      t ^= t + imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    /** @param {number} n */
    const int = (n) => floor(next() * n);
    const normal = () => sqrt(-2 * log(1 - next())) * Math.cos(2 * PI * next());
    return Object.freeze({
      next,
      int,
      normal,
      /** @template T @param {T[]} xs @returns {T} */
      pick: (xs) => xs[int(xs.length)],
      /** A shuffled copy. @template T @param {T[]} xs @returns {T[]} */
      shuffle: (xs) => {
        const out = [...xs];
        for (let i = out.length - 1; i > 0; i--) {
          const j = int(i + 1);
          [out[i], out[j]] = [out[j], out[i]];
        }
        return out;
      },
      state: () => a,
    });
  };

  /**
   * @typedef {{ size: number, ordered?: boolean }} Dim  one parameter: `size` values, indexed 0..size-1
   * @typedef {{ x: number[], y: number | null }} Observation  y null: crashed (worse than any result)
   */

  /**
   * One dimension's Parzen density over its indices: a uniform prior holding the share `prior` of
   * the mass (by default 1 / (m + 1), the weight of one observation, as in Optuna), the rest a
   * discretised Gaussian around each ordered observation (a count per value for unordered ones).
   * A fixed share for both densities (say 0.2) makes a value never observed neutral (l = g)
   * instead of favoured. Returns the probability of every index.
   * `sigma`: the kernel's width in index steps (by default from m; give l and g the same one, or
   * the density with fewer observations is the wider one and favours distant values).
   * @param {Dim} dim @param {number[]} centres @param {number} [prior] @param {number} [sigma]
   */
  const parzen = (dim, centres, prior, sigma) => {
    const n = dim.size;
    const m = centres.length;
    const share = m === 0 ? 1 : prior ?? 1 / (m + 1);
    /** @type {number[]} */
    const p = new Array(n).fill(share / n);
    if (!m) return p;
    const w = (1 - share) / m;
    if (!dim.ordered) {
      for (const c of centres) p[c] += w;
      return p;
    }
    const width = sigma ?? max(0.5, n / (2 * sqrt(m + 1)));
    for (const c of centres) {
      const k = p.map((_, i) => exp(-0.5 * ((i - c) / width) ** 2));
      const z = sum(k);
      for (let i = 0; i < n; i++) p[i] += (w * k[i]) / z;
    }
    return p;
  };

  /** @param {number[]} p @param {() => number} next */
  const sampleIndex = (p, next) => {
    let u = next() * sum(p);
    for (let i = 0; i < p.length; i++) if ((u -= p[i]) <= 0) return i;
    return p.length - 1;
  };

  /**
   * Tree-structured Parzen estimator (Bergstra et al. 2011), independent per dimension: the best
   * `gamma` of the observations make the density l, the rest g; candidates are ranked by
   * log l − log g and the best one not in `exclude` is returned (null when every candidate was
   * excluded); `prior` is the uniform share of both densities (see parzen); `perChange` is
   * subtracted per dimension that differs from `from` (prefer small steps on a tie). Candidates: `candidates` draws from l over all dimensions (global), `local` copies
   * of good observations with one to four dimensions redrawn from l (the search stays near what
   * worked, which matters when most parameters are already tuned), and the caller's `extra` points.
   * @param {{ dims: Dim[], observations: Observation[], goal?: 'minimize' | 'maximize', seed?: number,
   *   candidates?: number, local?: number, gamma?: number, prior?: number, exclude?: number[][], extra?: number[][],
   *   from?: number[], perChange?: number }} o
   * @returns {{ x: number[], score: number } | null}
   */
  const tpeSuggest = (o) => {
    const r = rng(o.seed ?? 1);
    const sign = o.goal === 'maximize' ? -1 : 1;
    const obs = [...o.observations].sort((a, b) => (a.y === null ? 1 : b.y === null ? -1 : sign * (a.y - b.y)));
    const nGood = max(1, min(25, Math.ceil((o.gamma ?? 0.25) * obs.length)));
    const good = obs.slice(0, nGood);
    const bad = obs.slice(nGood);
    // One kernel width for both densities, from all observations.
    const width = (/** @type {Dim} */ d) => max(0.5, d.size / (2 * sqrt(obs.length + 1)));
    const l = o.dims.map((d, i) => parzen(d, good.map((g) => g.x[i]), o.prior, width(d)));
    const g = o.dims.map((d, i) => parzen(d, bad.map((b) => b.x[i]), o.prior, width(d)));
    const excluded = new Set((o.exclude ?? []).map((x) => x.join(',')));
    /** @param {number[]} x */
    const score = (x) => sum(x.map((v, i) => log(l[i][v]) - log(g[i][v]) - (o.from && o.from[i] !== v ? o.perChange ?? 0 : 0)));
    /** @type {{ x: number[], score: number } | null} */
    let best = null;
    const pool = [...(o.extra ?? [])];
    for (let k = 0; k < (o.candidates ?? 24); k++) pool.push(l.map((p) => sampleIndex(p, r.next)));
    for (let k = 0; k < (o.local ?? 0) && good.length; k++) {
      // The better observations more often: the i-th best with weight 1 / (i + 1).
      const weights = good.map((_, i) => 1 / (i + 1));
      const x = [...good[sampleIndex(weights, r.next)].x];
      let changes = 1;
      while (changes < 4 && r.next() < 0.35) changes++;
      for (let c = 0; c < changes; c++) {
        const d = r.int(x.length);
        if (o.dims[d].size < 2) continue;
        const p = l[d].map((v, i) => (i === x[d] ? 0 : v));
        x[d] = sampleIndex(p, r.next);
      }
      pool.push(x);
    }
    for (const x of pool) {
      if (excluded.has(x.join(','))) continue;
      const s = score(x);
      if (!best || s > best.score) best = { x, score: s };
    }
    return best;
  };

  /** @param {number[]} a @param {number[]} b @param {number} ls */
  const rbf = (a, b, ls) => {
    let d = 0;
    for (let i = 0; i < a.length; i++) d += (a[i] - b[i]) ** 2;
    return exp(-d / (2 * ls * ls));
  };

  /** Lower-triangular L with L Lᵀ = K (K symmetric positive definite). @param {number[][]} K */
  const cholesky = (K) => {
    const n = K.length;
    /** @type {number[][]} */
    const L = K.map(() => new Array(n).fill(0));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let s = K[i][j];
        for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
        L[i][j] = i === j ? sqrt(max(s, 1e-12)) : s / L[j][j];
      }
    }
    return L;
  };

  /** Solves L Lᵀ v = b. @param {number[][]} L @param {number[]} b */
  const cholSolve = (L, b) => {
    const n = L.length;
    const z = new Array(n).fill(0);
    for (let i = 0; i < n; i++) {
      let s = b[i];
      for (let k = 0; k < i; k++) s -= L[i][k] * z[k];
      z[i] = s / L[i][i];
    }
    const v = new Array(n).fill(0);
    for (let i = n - 1; i >= 0; i--) {
      let s = z[i];
      for (let k = i + 1; k < n; k++) s -= L[k][i] * v[k];
      v[i] = s / L[i][i];
    }
    return v;
  };

  /**
   * Gaussian-process regression with an RBF kernel on inputs scaled to [0, 1] by the caller, the
   * outputs standardised: the posterior mean and standard deviation at each point of `at`.
   * @param {{ x: number[][], y: number[], at: number[][], lengthScale?: number, noise?: number }} o
   */
  const gpPredict = (o) => {
    const ls = o.lengthScale ?? 0.3;
    const noise = o.noise ?? 1e-2;
    const my = mean(o.y);
    const sy = sd(o.y) || 1;
    const y = o.y.map((v) => (v - my) / sy);
    const K = o.x.map((a, i) => o.x.map((b, j) => rbf(a, b, ls) + (i === j ? noise : 0)));
    const L = cholesky(K);
    const alpha = cholSolve(L, y);
    const meanAt = [];
    const sdAt = [];
    for (const p of o.at) {
      const k = o.x.map((a) => rbf(a, p, ls));
      meanAt.push(my + sy * sum(k.map((v, i) => v * alpha[i])));
      const v = cholSolve(L, k);
      sdAt.push(sy * sqrt(max(1e-12, 1 + noise - sum(k.map((kv, i) => kv * v[i])))));
    }
    return { mean: meanAt, sd: sdAt };
  };

  /**
   * Expected improvement over the best observed value at each point of `at` (GP posterior).
   * @param {{ x: number[][], y: number[], at: number[][], goal?: 'minimize' | 'maximize', lengthScale?: number, noise?: number, xi?: number }} o
   */
  const gpExpectedImprovement = (o) => {
    const { mean: m, sd: s } = gpPredict(o);
    const sign = o.goal === 'maximize' ? -1 : 1;
    const best = sign === 1 ? min(...o.y) : max(...o.y);
    const xi = o.xi ?? 0;
    return m.map((mu, i) => {
      const imp = sign * (best - mu) - xi;
      const z = imp / s[i];
      return imp * normalCdf(z) + s[i] * normalPdf(z);
    });
  };

  return Object.freeze({
    rng,
    stats: Object.freeze({ sum, mean, variance, sd, median, quantile, argmin, argmax, ranks, pearson, spearman, normalPdf, normalCdf }),
    tpe: Object.freeze({ suggest: tpeSuggest, density: parzen }),
    gp: Object.freeze({ predict: gpPredict, expectedImprovement: gpExpectedImprovement }),
  });
})();

if (typeof module === 'object' && module !== null) module.exports = numerics;
