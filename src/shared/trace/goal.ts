/** Which way the metric improves. */
export type Goal = 'minimize' | 'maximize';

/** True when `a` is a better metric than `b` under the goal. */
export function isBetter(a: number, b: number, goal: Goal): boolean {
  return goal === 'minimize' ? a < b : a > b;
}
