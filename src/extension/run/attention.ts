import type { RunEvent } from '../../shared/trace/events';
import type { RunState } from '../../shared/trace/runState';
import { COMMANDS } from '../commandIds';
import { formatDelta, formatMetric, improvementOverBaseline } from '../views/experimentPresentation';

/**
 * What needs the person, decided from the run's state and events. Plain data, no `vscode` import:
 * the badge's count, the notices that wait until answered (the candidate at the stepping gate, a
 * mechanism up for review) and the one-off notices (run completed or failed, new best, research
 * that failed validation), each with the command that resolves it.
 */

export interface NoticeAction {
  label: string;
  command: string;
  args?: unknown[];
}

/** Something that waits for the person; its notice closes itself once `key` is no longer waiting. */
export interface Waiting {
  key: string;
  /** The notice reads `${lead} ${actions as links} — ${detail}`: the links early, where a toast does not cut them. */
  lead: string;
  detail: string;
  actions: NoticeAction[];
}

export interface Notice {
  severity: 'info' | 'warning' | 'error';
  message: string;
  actions: NoticeAction[];
}

export interface GateAtHand {
  n: number;
  description: string;
}

/** The waiting items, the gate first: what the badge counts and the self-closing notices show. */
export function waitingItems(state: RunState | null, gate: GateAtHand | null): Waiting[] {
  const items: Waiting[] = [];
  if (gate && state) {
    items.push({
      key: `gate:${state.tag}:${gate.n}`,
      lead: `Autoresearch #${gate.n} at the gate:`,
      detail: gate.description,
      actions: [
        { label: 'Run', command: COMMANDS.gateRun },
        { label: 'Edit', command: COMMANDS.gateEdit },
        { label: 'Skip', command: COMMANDS.gateSkip },
      ],
    });
  }
  for (const m of state?.mechanisms.values() ?? []) {
    if (m.status !== 'awaiting-review') continue;
    items.push({
      key: `mechanism:${state!.tag}:${m.name}`,
      lead: `Autoresearch mechanism ${m.name}:`,
      detail: `awaits your review (${m.description})`,
      actions: [{ label: 'Review', command: COMMANDS.reviewMechanism, args: [{ tag: state!.tag, name: m.name }] }],
    });
  }
  return items;
}

/** The view container's badge: how many things wait, and what they are. */
export function badgeFor(items: readonly Waiting[]): { value: number; tooltip: string } | undefined {
  if (!items.length) return undefined;
  const gates = items.filter((i) => i.key.startsWith('gate:')).length;
  const reviews = items.length - gates;
  const parts = [gates && 'a candidate waits at the gate', reviews && `${reviews} mechanism${reviews > 1 ? 's' : ''} to review`].filter(Boolean);
  return { value: items.length, tooltip: `Autoresearch: ${parts.join(', ')}` };
}

/** The text of a waiting item's notice, its actions as command links. */
export function waitingMessage(w: Waiting): string {
  return `${w.lead} ${w.actions.map(commandLink).join(' · ')}${w.detail ? ` — ${w.detail}` : ''}`;
}

/** A markdown command link, as notification messages render them (`[label](command:id?args)`). */
export function commandLink(a: NoticeAction): string {
  const query = a.args?.length ? `?${encodeURIComponent(JSON.stringify(a.args))}` : '';
  return `[${a.label}](command:${a.command}${query})`;
}

/**
 * The one-off notice an event calls for, or null. `state` is the run's state with `e` folded in;
 * `decidedHere` counts the experiments this window's run decided (a Step's one result or a research
 * session's none is not worth a "completed" toast: the person is right there).
 */
export function noticeFor(e: RunEvent, state: RunState | null, decidedHere: number): Notice | null {
  if (!state) return null;
  const dashboard: NoticeAction = { label: 'Open Dashboard', command: COMMANDS.openDashboard, args: [state.tag] };
  switch (e.type) {
    case 'run.stopped': {
      if (e.reason === 'error') return { severity: 'error', message: `Autoresearch run ${state.tag} failed: ${e.message ?? 'unknown error'}`, actions: [{ label: 'Show Log', command: COMMANDS.showOutput }] };
      if (e.reason !== 'completed' || decidedHere < 2) return null;
      const best = state.best;
      // Only a result beyond the baseline has a change to take home.
      const delta = formatDelta(improvementOverBaseline(state));
      const bestText = best ? `, best ${state.metricName} ${formatMetric(best.metric)} at #${best.n}${delta ? ` (${delta} over the baseline)` : ''}` : '';
      return { severity: 'info', message: `Autoresearch run ${state.tag} completed: ${state.iterationsDone} iteration${state.iterationsDone === 1 ? '' : 's'}${bestText}.`, actions: [dashboard, { label: 'Run More', command: COMMANDS.runMore }, ...(best && !state.experiments.find((x) => x.n === best.n)?.baseline ? [{ label: 'Create Branch from Best', command: COMMANDS.createBranchFromBest, args: [state.tag] }] : [])] };
    }
    case 'experiment.decided': {
      const x = state.experiments.find((y) => y.n === e.n);
      if (e.status !== 'keep' || !x || x.baseline || state.best?.n !== e.n) return null;
      const delta = formatDelta(improvementOverBaseline(state));
      return {
        severity: 'info',
        message: `Autoresearch #${e.n}: new best ${state.metricName} ${formatMetric(state.best.metric)}${delta ? ` (${delta} over the baseline)` : ''}: ${e.description}`,
        actions: [{ label: 'Show Diff', command: COMMANDS.showExperimentDiff, args: [{ tag: state.tag, n: e.n }] }, dashboard],
      };
    }
    case 'mechanism.validated': {
      if (e.ok) return null;
      const failed = e.checks.filter((c) => !c.ok).map((c) => c.name);
      return {
        severity: 'warning',
        message: `Autoresearch: mechanism ${e.name} failed validation (${failed.length} of ${e.checks.length} checks: ${failed.join(', ')}); it is not used.`,
        actions: [{ label: 'Show Checks', command: COMMANDS.reviewMechanism, args: [{ tag: state.tag, name: e.name }] }],
      };
    }
    default:
      return null;
  }
}
