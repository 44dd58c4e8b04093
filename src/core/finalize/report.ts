import type { ParamValue } from '../../shared/trace/candidate';
import type { RunState } from '../../shared/trace/runState';
import { experimentStatus } from '../../shared/trace/runState';
import type { BestResult } from './keptChanges';

const fmt = (v: number) => v.toFixed(6);
const signed = (v: number | null) => (v === null ? '—' : `${v >= 0 ? '+' : ''}${v.toFixed(6)}`);
const value = (v: ParamValue) => JSON.stringify(v);
/** Markdown table cells hold one line without pipes. */
const cell = (s: string) => s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');

/** Where the finalized change lives, for the texts. */
export interface FinalizedBranch {
  branch: string;
  commit?: string;
  baseCommit: string;
  /** Files the change touches, relative to the repo root. */
  files: string[];
}

function headline(state: RunState, r: BestResult): string {
  const base = r.baseline?.metric;
  return base != null ? `${fmt(base)} → ${fmt(r.best.metric!)} (Δ ${signed(r.best.metric! - base)})` : fmt(r.best.metric!);
}

/** The one commit's message: a subject, then the kept experiments with their deltas. Pure. */
export function finalizeCommitMessage(state: RunState, r: BestResult, files: string[]): string {
  const lines = [
    `autoresearch ${state.tag}: ${state.metricName} ${headline(state, r)}`,
    '',
    `The best result of run ${state.tag} (experiment #${r.best.n}, ${r.best.commit?.slice(0, 7)} on ${state.branch}),`,
    `as one change from ${state.startCommit.slice(0, 7)}, without the run's own files (.autoresearch/).`,
    '',
    `Kept experiments (${state.metricName}, Δ against the result each was judged against):`,
    ...r.kept.map((k) => `- #${k.n} ${k.description}: ${fmt(k.metric)} (Δ ${signed(k.delta)})`),
  ];
  if (r.params.length) lines.push('', 'Parameters, baseline → best:', ...r.params.map((p) => `- ${p.name}: ${value(p.baseline)} → ${value(p.best)}`));
  if (files.length) lines.push('', `Files: ${files.join(', ')}`);
  return lines.join('\n') + '\n';
}

/**
 * The report beside the branch, ready to paste into a pull request: the best configuration against
 * the baseline's, the kept changes with their deltas, the progress chart (files relative to the
 * report), and the run's counts. Pure.
 */
export function finalizeReport(state: RunState, r: BestResult, where: FinalizedBranch, chart: { png: string; svg: string }): string {
  const counts = new Map<string, number>();
  for (const x of state.experiments) if (!x.baseline) counts.set(experimentStatus(x, state), (counts.get(experimentStatus(x, state)) ?? 0) + 1);
  const tally = [...counts].map(([status, n]) => `${n} ${status}`).join(', ');
  const base = r.baseline;
  const out = [
    `# Autoresearch run \`${state.tag}\`: ${state.metricName} ${headline(state, r)}`,
    '',
    `Branch \`${where.branch}\`${where.commit ? ` (${where.commit.slice(0, 7)})` : ''} holds the winning change as one commit on \`${where.baseCommit.slice(0, 7)}\`, the commit the run started from: the net diff of the ${r.kept.length} kept experiment${r.kept.length === 1 ? '' : 's'} behind the best result (#${r.best.n}), without the run's own files (\`.autoresearch/\`).`,
    '',
    `${state.iterationsDone} experiments after the baseline (${tally || 'none'}); ${state.goal} ${state.metricName}; proposer ${state.proposer}; run branch \`${state.branch}\`.`,
    '',
    ...mechanismsLine(state),
    '## Best configuration',
    '',
    `| | baseline${base ? ` (#${base.n})` : ''} | best (#${r.best.n}) |`,
    '|---|---|---|',
    `| **${state.metricName}** | ${base?.metric != null ? fmt(base.metric) : '—'} | ${fmt(r.best.metric!)} |`,
    ...r.params.map((p) => `| \`${p.name}\` | ${cell(value(p.baseline))} | ${cell(value(p.best))} |`),
    '',
  ];
  if (!r.params.length) out.push('No parameter changed; the change is in the code (see the files below).', '');
  out.push(
    '## Kept changes',
    '',
    `| # | change | ${state.metricName} | Δ when kept | Δ vs baseline | commit |`,
    '|---|---|---|---|---|---|',
    ...r.kept.map((k) => `| ${k.n} | ${cell(k.description)} | ${fmt(k.metric)} | ${signed(k.delta)} | ${signed(k.fromBaseline)} | ${k.commit.slice(0, 7)} |`),
    '',
    '## Progress',
    '',
    `![${state.metricName} per experiment](${chart.png})`,
    '',
    `${state.metricName} (${state.goal}) of every measured experiment by number: kept in green, discarded in grey, crashes as red marks along the top; the green line is the best result so far. The same chart with labels and a tooltip per point: [${chart.svg}](${chart.svg}).`,
    '',
  );
  if (where.files.length) out.push('## Files changed', '', ...where.files.map((f) => `- \`${f}\``), '');
  return out.join('\n');
}

/** The mechanisms that shaped the search: they stay on the run branch, not on this one. */
function mechanismsLine(state: RunState): string[] {
  const used = [...state.mechanisms.values()].filter((m) => m.activatedAt !== undefined).map((m) => `\`${m.name}\``);
  return used.length ? [`Search mechanisms active during the run (level 2; their modules stay on the run branch): ${used.join(', ')}.`, ''] : [];
}
