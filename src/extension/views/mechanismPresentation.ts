import type { MechanismHookStats, MechanismRecord, MechanismStatus, RunState } from '../../shared/trace/runState';

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

const LOOK: Record<MechanismStatus, Look> = {
  proposed: { icon: 'loading~spin', word: 'validating' },
  'awaiting-review': { icon: 'question', color: 'list.warningForeground', word: 'awaiting your review' },
  active: { icon: 'pass-filled', color: 'testing.iconPassed', word: 'active' },
  reverted: { icon: 'circle-slash', color: 'descriptionForeground', word: 'reverted' },
  deactivated: { icon: 'debug-disconnect', color: 'list.warningForeground', word: 'deactivated at run time' },
};
const FAILED_VALIDATION: Look = { icon: 'error', color: 'testing.iconFailed', word: 'failed validation' };
const REJECTED_BY_YOU: Look = { icon: 'circle-slash', color: 'descriptionForeground', word: 'rejected by you' };

/** The five outcomes a person tells apart: awaiting review, active, rejected by you, failed validation, deactivated at run time. */
export function mechanismLook(m: MechanismRecord): Look {
  if (m.validated === false || m.revertedBy === 'validation') return FAILED_VALIDATION;
  if (m.revertedBy === 'user') return REJECTED_BY_YOU;
  return LOOK[m.status];
}

/** A person decides on a mechanism that passed validation and is not in use yet. */
export const isReviewable = (m: MechanismRecord) => m.status === 'awaiting-review';

/** `hooks`: what its hooks did so far (the run state's hookStats for it). */
export function presentMechanism(m: MechanismRecord, hooks: MechanismHookStats | undefined): MechanismPresentation {
  const { icon, color, word } = mechanismLook(m);
  const why = m.status === 'deactivated' && m.deactivatedIn ? `${m.deactivatedIn}: ${m.reason}` : m.reason;
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
