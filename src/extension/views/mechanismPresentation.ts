import { mechanismOutcome, mechanismWhy, OUTCOME_WORD, type MechanismOutcome } from '../../shared/trace/mechanismOutcome';
import type { MechanismHookStats, MechanismRecord, RunState } from '../../shared/trace/runState';

/** How one mechanism looks in the Mechanisms view. Plain data, no `vscode` import. */
export interface MechanismPresentation {
  label: string;
  description: string;
  tooltip: string;
  icon: string;
  color?: string;
  /** `mechanism <status> [reviewable]`: `reviewable` shows the inline Accept / Reject actions. */
  contextValue: string;
  accessibilityLabel: string;
}

type Look = { icon: string; color?: string; word: string };

const ICON: Record<MechanismOutcome, Omit<Look, 'word'>> = {
  validating: { icon: 'loading~spin' },
  'awaiting-review': { icon: 'question', color: 'list.warningForeground' },
  active: { icon: 'pass-filled', color: 'testing.iconPassed' },
  'failed-validation': { icon: 'error', color: 'testing.iconFailed' },
  'rejected-by-you': { icon: 'circle-slash', color: 'descriptionForeground' },
  reverted: { icon: 'circle-slash', color: 'descriptionForeground' },
  deactivated: { icon: 'debug-disconnect', color: 'list.warningForeground' },
};

/** The five outcomes a person tells apart (the shared mechanismOutcome), with the view's icon. */
export function mechanismLook(m: MechanismRecord): Look {
  const outcome = mechanismOutcome(m);
  return { ...ICON[outcome], word: OUTCOME_WORD[outcome] };
}

/** A person decides on a mechanism that passed validation and is not in use yet. */
export const isReviewable = (m: MechanismRecord) => m.status === 'awaiting-review';

/** `hooks`: what its hooks did so far (the run state's hookStats for it). */
export function presentMechanism(m: MechanismRecord, hooks: MechanismHookStats | undefined): MechanismPresentation {
  const { icon, color, word } = mechanismLook(m);
  const why = mechanismWhy(m);
  const failed = m.checks.filter((c) => !c.ok);
  const ran = (hooks?.hooks ?? []).map((h) => `${h.hook} ×${h.runs}`).join(', ');
  const md = [
    `**${m.name}** — ${word}`,
    '',
    m.description,
    '',
    `proposed after #${m.proposedAt} · hooks: ${m.hooks.join(', ') || 'none'} · branch \`${m.branch}\``,
  ];
  if (m.checks.length) md.push('', ...m.checks.map((c) => `- ${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`));
  if (ran) md.push('', `ran: ${ran}`);
  else if (m.status === 'active') md.push('', 'no hook has run yet');
  if (why) md.push('', `${word}: ${why}`);
  return {
    label: m.name,
    description: [word, m.status === 'reverted' || m.status === 'deactivated' ? why : failed.length ? `${failed.length} check(s) failed` : undefined].filter(Boolean).join(' · '),
    tooltip: md.join('\n'),
    icon,
    color,
    contextValue: ['mechanism', m.status, isReviewable(m) ? 'reviewable' : ''].filter(Boolean).join(' '),
    accessibilityLabel: `${m.name}, ${word}${why ? `, ${why}` : ''}`,
  };
}

/** Mechanisms in the view's order: those awaiting review first, then newest first. */
export function mechanismsInViewOrder(state: RunState): MechanismRecord[] {
  const all = [...state.mechanisms.values()];
  return [...all.filter(isReviewable).reverse(), ...all.filter((m) => !isReviewable(m)).reverse()];
}
