import type { ParamValue } from '../../shared/trace/candidate';
import type { RunState } from '../../shared/trace/runState';

/** The candidate a stepping run waits on, as the gate view shows it. Plain data, no `vscode` import. */
export interface GatePresentation {
  n: number;
  description: string;
  hypothesis: string;
  /** Who proposed it: the LLM, the heuristic, or which mechanism. */
  proposedBy: string;
  /** What it changes, one parameter a line. */
  changes: { name: string; from: string; to: string }[];
}

const PROPOSERS: Record<string, string> = { llm: 'the LLM', heuristic: 'the offline heuristic' };

const show = (v: ParamValue | undefined) => (v === undefined ? '(unset)' : JSON.stringify(v));

export function presentGate(state: RunState, gate: { n: number; description: string }): GatePresentation {
  const x = state.open.get(gate.n) ?? state.experiments.find((y) => y.n === gate.n);
  const proposer = x?.proposer ?? state.proposer;
  const proposedBy = x?.level === 2 && x.proposedBy ? `mechanism ${x.proposedBy}` : (PROPOSERS[proposer] ?? proposer);
  return {
    n: gate.n,
    description: x?.candidate?.description ?? gate.description,
    hypothesis: x?.candidate?.hypothesis ?? '',
    proposedBy,
    changes: Object.entries(x?.changed ?? {}).map(([name, c]) => ({ name, from: show(c.from), to: show(c.to) })),
  };
}

/** The 0-based line where `after` first differs from `before` (where Edit puts the cursor); 0 when equal. */
export function firstChangedLine(before: string, after: string): number {
  const a = before.split('\n');
  const b = after.split('\n');
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? 0 : n;
}
