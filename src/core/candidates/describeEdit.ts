import type { ParamValue } from '../../shared/trace/candidate';

type Changes = Record<string, { from: ParamValue; to: ParamValue }>;

const shown = (v: ParamValue) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/**
 * What an edited candidate actually changes, for its commit, the results and the trace: the change
 * read from the files as trained (against the base), marked as the user's, with what was proposed.
 * Pure. `files` are edited files outside the parameter file (their change is not a parameter diff).
 */
export function describeEdit(proposed: string, actual: Changes, files: string[] = []): string {
  const params = Object.entries(actual).map(([name, c]) => `${name} ${shown(c.from)} -> ${shown(c.to)}`);
  const what = [...params, ...files.map((f) => `${f} edited`)].join(', ') || 'no change to the parameters';
  return `${what} (edited by you; proposed: ${proposed})`;
}
