import type { Candidate, ParamValue } from '../../shared/trace/candidate';
import type { PythonParam } from '../target/pythonParams';

type Changes = Record<string, { from: ParamValue; to: ParamValue }>;

export function paramRecord(params: PythonParam[]): Record<string, ParamValue> {
  return Object.fromEntries(params.map((p) => [p.name, p.value]));
}

/** What a candidate would change against the current parameters (reviewCandidate sees it). Pure. */
export function proposedChanges(params: PythonParam[], candidate: Candidate): Changes {
  const current = paramRecord(params);
  const out: Changes = {};
  for (const [name, to] of Object.entries(candidate.params ?? {})) {
    if (JSON.stringify(current[name]) !== JSON.stringify(to)) out[name] = { from: current[name] ?? null, to };
  }
  return out;
}

/** What changed between two parses of the parameter file. Pure. */
export function paramChanges(before: PythonParam[], after: PythonParam[]): Changes {
  const old = paramRecord(before);
  const out: Changes = {};
  for (const p of after) {
    if (JSON.stringify(old[p.name]) !== JSON.stringify(p.value)) out[p.name] = { from: old[p.name] ?? null, to: p.value };
  }
  return out;
}
