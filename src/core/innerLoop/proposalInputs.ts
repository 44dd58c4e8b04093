import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Experiment, RunState } from '../../shared/trace/runState';
import type { CandidateRules } from '../candidates/validateCandidate';
import type { HistoryEntry, ParamView, ProposalContext } from '../research/proposalContext';
import type { RunSession } from '../session/runSession';
import type { PythonParam } from '../target/pythonParams';

/** The editable files as they are in a checkout now. */
export function readEditable(session: RunSession, checkout: string): Record<string, string> {
  return Object.fromEntries(session.config.editable.map((f) => [f, readFileSync(join(checkout, f), 'utf8')]));
}

/** The editable files at a commit. */
export async function filesAt(session: RunSession, commit: string): Promise<Record<string, string>> {
  const entries = await Promise.all(session.config.editable.map(async (f) => [f, await session.repo.requireFileAt(commit, f)] as const));
  return Object.fromEntries(entries);
}

/** What a candidate may do: the config's parameters less the excluded, frozen by config and `extraFrozen`. */
export function candidateRules(session: RunSession, params: PythonParam[], extraFrozen: string[] = []): CandidateRules {
  const { parameters, editable } = session.config;
  const excluded = new Set(parameters.exclude);
  return {
    params: params.filter((p) => !excluded.has(p.name)),
    frozen: [...parameters.frozen, ...extraFrozen],
    editable,
    paramFile: parameters.file,
    choices: parameters.choices,
  };
}

/** The strategy in force, as lines of guidance for the proposer. Pure. */
export function strategyGuidance(state: RunState, extraFocus: string[]): string[] {
  const { strategy } = state;
  const focus = [...new Set([...strategy.focus, ...extraFocus])];
  const lines: string[] = [];
  if (strategy.guidance) lines.push(`Strategy review: ${strategy.guidance}`);
  if (focus.length) lines.push(`Focus the next experiments on: ${focus.join(', ')}.`);
  return lines;
}

/** Everything the proposer sees for iteration n. */
export function proposalContext(session: RunSession, n: number, rules: CandidateRules, files: Record<string, string>, guidance: string[], focus: string[]): ProposalContext {
  const { config, state } = session;
  const frozen = new Set(rules.frozen);
  const params: ParamView[] = rules.params.map((p) => ({
    name: p.name,
    value: p.value,
    text: p.text,
    kind: p.kind,
    frozen: frozen.has(p.name),
    choices: config.parameters.choices[p.name],
  }));
  const finished = state.experiments.filter((x) => !x.baseline && x.result && x.result !== 'interrupted');
  return {
    n,
    metricName: config.metric.name,
    goal: config.metric.goal,
    researchGoal: config.goal,
    timeBudgetSeconds: config.run.timeBudgetSeconds,
    params,
    editableFiles: config.editable.map((path) => ({ path, content: files[path] })),
    history: finished.slice(-config.proposer.historyLength).map(historyEntry),
    best: { metric: state.best?.metric ?? null, n: state.best?.n ?? 0 },
    incumbent: { metric: state.incumbent?.metric ?? null, n: state.incumbent?.n ?? 0 },
    guidance,
    focus: [...new Set(focus)],
    // Configurations in flight count as evaluated, so parallel workers never train the same thing.
    evaluated: state.experiments.filter((x) => x.params && (x.status || x.sameAs !== undefined || (x.commit && !x.result))).map((x) => x.params!),
  };
}

function historyEntry(x: Experiment): HistoryEntry {
  const changed = Object.fromEntries(Object.entries(x.changed ?? {}).map(([k, v]) => [k, v.to]));
  const before = Object.fromEntries(Object.entries(x.changed ?? {}).map(([k, v]) => [k, v.from]));
  const status: HistoryEntry['status'] = x.status ?? (x.result === 'cached' ? 'cached' : 'rejected');
  return {
    n: x.n,
    description: x.description ?? x.rejections[0]?.candidate?.description ?? '(no valid proposal)',
    changed,
    before,
    status,
    metric: x.metric,
    delta: x.delta,
    reason: status === 'rejected' ? x.rejections.map((r) => r.reason).join('; ') || x.result : undefined,
  };
}
