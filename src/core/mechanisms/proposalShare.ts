/**
 * How several proposers share proposing: round-robin over the active mechanisms with a `propose`
 * hook and the inner proposer (Level 1) as one more turn. At iteration n the turn is n mod (k + 1);
 * on a mechanism's turn it is asked first and, if it passes (returns no candidate), the next
 * mechanisms in turn order; on the proposer's turn no mechanism is asked. So with two mechanisms
 * and the proposer, each proposes every third iteration, and a mechanism that never stops proposing
 * cannot starve the others. Pure: the mechanisms to ask, in order.
 */
export function proposingOrder(mechanisms: readonly string[], n: number): string[] {
  const k = mechanisms.length;
  if (!k) return [];
  const turn = ((n % (k + 1)) + (k + 1)) % (k + 1);
  if (turn === k) return [];
  return [...mechanisms.slice(turn), ...mechanisms.slice(0, turn)];
}
