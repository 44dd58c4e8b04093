import type { ParamValue } from '../../shared/trace/candidate';
import type { IterationResult } from '../../shared/trace/events';
import { incumbentBehindBest, type Experiment, type RunState } from '../../shared/trace/runState';

/**
 * How one experiment looks in the Experiments view: plain data (codicon ids, theme color ids,
 * text), no `vscode` import, so it is tested without an editor and shared by later views.
 */
export interface ExperimentPresentation {
  /** `#n` and the result: metric and Δ, or what is happening (`training…`, `crash`). */
  label: string;
  /** The grey text after the label: the change the experiment tried. */
  description: string;
  /** For screen readers (and the tests): `#n <change>, <result>[, <reason>]`. */
  accessibilityLabel: string;
  /** Markdown. */
  tooltip: string;
  /** Codicon id, e.g. `pass-filled`, `loading~spin`. */
  icon: string;
  /** Theme color id for the icon, e.g. `testing.iconPassed`. */
  color?: string;
  /** The tree item's contextValue: space-separated flags for `viewItem =~ /…/` menu clauses. */
  contextValue: string;
  /** The commit whose change the experiment is (its own, or the earlier one it was a cache hit of). */
  diffCommit?: string;
}

/**
 * What the experiment's icon says: the best, the incumbent when a mechanism kept a worse one, its
 * result, or where it stands while in flight.
 */
export type ExperimentPhase = 'best' | 'incumbent' | IterationResult | 'training' | 'awaiting' | 'proposing' | 'open';

const ICONS: Record<ExperimentPhase, { icon: string; color?: string; word: string }> = {
  best: { icon: 'star-full', color: 'charts.yellow', word: 'best' },
  incumbent: { icon: 'arrow-circle-right', color: 'testing.iconPassed', word: 'kept by a mechanism; continuing from here' },
  keep: { icon: 'pass-filled', color: 'testing.iconPassed', word: 'keep' },
  discard: { icon: 'circle-slash', color: 'descriptionForeground', word: 'discard' },
  crash: { icon: 'error', color: 'testing.iconFailed', word: 'crash' },
  rejected: { icon: 'circle-large-outline', color: 'list.warningForeground', word: 'rejected' },
  cached: { icon: 'history', color: 'descriptionForeground', word: 'cached' },
  interrupted: { icon: 'debug-pause', color: 'list.warningForeground', word: 'interrupted' },
  'proposal-failed': { icon: 'warning', color: 'list.warningForeground', word: 'no proposal' },
  training: { icon: 'loading~spin', word: 'training' },
  awaiting: { icon: 'debug-breakpoint-unverified', color: 'list.warningForeground', word: 'waiting for you: Run, Edit or Skip' },
  proposing: { icon: 'loading~spin', word: 'proposing' },
  open: { icon: 'circle-large-outline', word: 'unfinished' },
};

export function formatMetric(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : v.toFixed(6);
}

/** Δ with an explicit sign (a true minus sign), e.g. `Δ −0.012345`; empty for the baseline. */
export function formatDelta(delta: number | null | undefined): string {
  if (delta === null || delta === undefined) return '';
  const sign = delta > 0 ? '+' : delta < 0 ? '−' : '±';
  return `Δ ${sign}${Math.abs(delta).toFixed(6)}`;
}

const showValue = (v: ParamValue) => (typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? JSON.stringify(v) : String(v));

/** `awaiting`: the experiment a stepping run waits on (Run / Edit / Skip), if any. */
export function experimentPhase(x: Experiment, state: RunState, running: boolean, awaiting?: number): ExperimentPhase {
  const decided = x.result ?? x.status;
  if (decided) {
    if (decided === 'keep' && state.best?.n === x.n) return 'best';
    if (decided === 'keep' && incumbentBehindBest(state)?.n === x.n) return 'incumbent';
    return decided;
  }
  if (!running) return 'open';
  if (x.n === awaiting) return 'awaiting';
  return x.training ? 'training' : 'proposing';
}

export function experimentTitle(x: Experiment): string {
  if (x.baseline) return 'baseline';
  return x.description ?? x.candidate?.description ?? (x.rejections.length ? 'rejected proposal' : 'proposing…');
}

/**
 * `running`: the run is going on in this window (an unfinished experiment is in flight, not
 * abandoned); `awaiting`: the experiment its stepping gate waits on.
 */
export function presentExperiment(x: Experiment, state: RunState, running: boolean, awaiting?: number): ExperimentPresentation {
  const phase = experimentPhase(x, state, running, awaiting);
  const { icon, color, word } = ICONS[phase];
  const source = x.sameAs !== undefined ? state.experiments.find((y) => y.n === x.sameAs) : undefined;
  const diffCommit = x.baseline ? undefined : (x.commit ?? source?.commit);

  // The label leads with what is scanned down the list (number, result, metric, Δ) and stays
  // short; the change itself is the description, which a narrow sidebar cuts first.
  let summary: string;
  switch (phase) {
    case 'training':
      summary = 'training…';
      break;
    case 'awaiting':
      summary = 'Run, Edit or Skip?';
      break;
    case 'proposing':
      summary = 'proposing…';
      break;
    case 'cached':
      summary = `= #${x.sameAs} ${formatMetric(x.metric)}`;
      break;
    case 'crash':
    case 'rejected':
    case 'interrupted':
    case 'proposal-failed':
    case 'open':
      summary = word;
      break;
    default:
      summary = [formatMetric(x.metric), formatDelta(x.delta)].filter(Boolean).join('  ');
  }
  const title = experimentTitle(x);
  const reason = phase === 'crash' ? x.training?.reason : phase === 'rejected' ? x.rejections[x.rejections.length - 1]?.reason : undefined;

  const md: string[] = [`**#${x.n} ${escapeMarkdown(title)}**`, '', `${word}${x.metric !== null ? ` · ${state.metricName} ${formatMetric(x.metric)}` : ''}${x.delta !== null ? ` · ${formatDelta(x.delta)}` : ''}`];
  if (x.changed && Object.keys(x.changed).length) {
    md.push('', ...Object.entries(x.changed).map(([k, c]) => `- \`${k}\`: ${escapeMarkdown(showValue(c.from))} → ${escapeMarkdown(showValue(c.to))}`));
  }
  const facts: string[] = [];
  if (x.commit) facts.push(`commit \`${x.commit.slice(0, 7)}\``);
  if (x.sameAs !== undefined) facts.push(`same files as #${x.sameAs}, not trained again`);
  if (x.training?.seconds !== undefined) facts.push(`${x.training.seconds.toFixed(1)} s`);
  if (x.memoryGb !== null) facts.push(`${x.memoryGb.toFixed(2)} GB`);
  if (x.proposer) facts.push(`proposed by ${x.proposer}`);
  if (facts.length) md.push('', facts.join(' · '));
  if (x.training?.reason && x.training.outcome !== 'ok') md.push('', escapeMarkdown(x.training.reason));
  for (const r of x.rejections) md.push('', `rejected by ${r.by}: ${escapeMarkdown(r.reason)}`);

  const flags = ['experiment', phase];
  if (diffCommit) flags.push('hasDiff');
  if (x.training?.log) flags.push('hasLog');
  return {
    label: `#${x.n} ${summary}`,
    description: title,
    accessibilityLabel: `#${x.n} ${title}, ${summary}${reason ? `, ${reason}` : ''}`,
    tooltip: md.join('\n'),
    icon,
    color,
    contextValue: flags.join(' '),
    diffCommit,
  };
}

/** The best result against the baseline (negative is better when minimizing); null while the baseline is the best. */
export function improvementOverBaseline(state: RunState): number | null {
  const baseline = state.experiments.find((x) => x.baseline && x.metric !== null);
  return state.best && baseline && state.best.n !== baseline.n ? state.best.metric - baseline.metric! : null;
}

/** What the search continues from, when that is not the best: `continuing from #5 1.010000`; empty otherwise. */
export function describeIncumbent(state: RunState): string {
  const behind = incumbentBehindBest(state);
  return behind ? `continuing from #${behind.n} ${formatMetric(behind.metric)}` : '';
}

/** One line for the view's title bar: the run, its best result, and the incumbent when it differs. */
export function describeRun(state: RunState, running: boolean): string {
  const best = state.best ? `best ${formatMetric(state.best.metric)} (#${state.best.n})` : 'no result yet';
  const incumbent = describeIncumbent(state);
  return `${state.tag} · ${best}${incumbent ? ` · ${incumbent}` : ''}${running ? '' : state.stopped ? ` · ${state.stopped}` : ''}`;
}

function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_{}[\]<>()#+!|]/g, (c) => `\\${c}`);
}
