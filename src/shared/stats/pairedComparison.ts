/**
 * Comparing two methods run on the same seeds: the paired differences, how many pairs each side won,
 * and an exact sign-flip p-value. Shared by `bilevel ablate` and the search-suite benchmark. Pure.
 */

/**
 * Two-sided sign-flip test of paired differences: the share of the 2^n sign assignments whose sum is
 * at least as far from 0 as the observed one. Exact up to 20 pairs; beyond, 2^20 assignments drawn
 * with a fixed seed (the same p every time).
 */
export function signFlipP(diffs: readonly number[]): number {
  const n = diffs.length;
  if (!n) return 1;
  const observed = Math.abs(diffs.reduce((a, b) => a + b, 0)) - 1e-12;
  const sumWith = (flip: (i: number) => boolean) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += flip(i) ? -diffs[i] : diffs[i];
    return Math.abs(s);
  };
  const total = 2 ** Math.min(n, 20);
  let extreme = 0;
  if (n <= 20) {
    for (let mask = 0; mask < total; mask++) if (sumWith((i) => (mask & (1 << i)) !== 0) >= observed) extreme++;
  } else {
    let x = 0x9e3779b9;
    const bit = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x & 1) === 1);
    for (let k = 0; k < total; k++) if (sumWith(bit) >= observed) extreme++;
  }
  return extreme / total;
}

export interface PairedComparison {
  /** Pairs where both values exist. */
  n: number;
  /** Mean of a − b over the pairs (null without pairs). */
  meanDiff: number | null;
  /** Pairs where a is the better one (lower when minimizing, higher when maximizing). */
  aBetter: number;
  bBetter: number;
  ties: number;
  p: number;
}

/** a and b are keyed by the pairing (seed or repeat); only keys both hold a number for count. */
export function pairedComparison(a: ReadonlyMap<number, number | null>, b: ReadonlyMap<number, number | null>, goal: 'minimize' | 'maximize' = 'minimize'): PairedComparison {
  const diffs: number[] = [];
  for (const [k, x] of a) {
    const y = b.get(k);
    if (x !== null && Number.isFinite(x) && y != null && Number.isFinite(y)) diffs.push(x - y);
  }
  const sign = goal === 'minimize' ? 1 : -1;
  return {
    n: diffs.length,
    meanDiff: diffs.length ? diffs.reduce((s, d) => s + d, 0) / diffs.length : null,
    aBetter: diffs.filter((d) => sign * d < 0).length,
    bBetter: diffs.filter((d) => sign * d > 0).length,
    ties: diffs.filter((d) => d === 0).length,
    p: signFlipP(diffs),
  };
}
