/**
 * Which experiment a command is about: run tag and iteration number. The Experiments view's tree
 * elements are these, and the dashboard's `openDiff`/`openLog` messages carry the same two fields.
 */
export interface ExperimentRef {
  tag: string;
  n: number;
}

export function isExperimentRef(x: unknown): x is ExperimentRef {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  return typeof r.tag === 'string' && typeof r.n === 'number' && Number.isInteger(r.n) && r.n >= 0;
}
