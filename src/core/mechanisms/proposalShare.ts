/**
 * How several mechanisms with a `propose` hook share proposing: round-robin. At iteration n the
 * mechanism whose turn it is (n mod k) is asked first and, if it passes (returns no candidate), the
 * next ones in turn order; when all pass, the inner proposer proposes. So two mechanisms alternate,
 * and one that never stops proposing cannot starve the other (before, the first always won: the
 * bandit never proposed beside orthogonal exploration). A single mechanism proposes every time, as
 * the paper's Level 2 takes over proposing. Pure: the mechanisms to ask, in order.
 */
export function proposingOrder(mechanisms: readonly string[], n: number): string[] {
  const k = mechanisms.length;
  if (!k) return [];
  const turn = ((n % k) + k) % k;
  return [...mechanisms.slice(turn), ...mechanisms.slice(0, turn)];
}
