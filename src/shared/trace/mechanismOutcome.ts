import type { MechanismRecord } from './runState';

/**
 * What became of a mechanism, as a person tells it apart: the fold's `status` says only "reverted" whether
 * its validation failed or a person rejected it; `revertedBy` and `validated` say which.
 */
export type MechanismOutcome = 'validating' | 'awaiting-review' | 'active' | 'failed-validation' | 'rejected-by-you' | 'reverted' | 'deactivated';

export const OUTCOME_WORD: Record<MechanismOutcome, string> = {
  validating: 'validating',
  'awaiting-review': 'awaiting your review',
  active: 'active',
  'failed-validation': 'failed validation',
  'rejected-by-you': 'rejected by you',
  reverted: 'reverted',
  deactivated: 'deactivated at run time',
};

type Ending = Pick<MechanismRecord, 'status' | 'validated' | 'revertedBy'>;

export function mechanismOutcome(m: Ending): MechanismOutcome {
  if (m.validated === false || m.revertedBy === 'validation') return 'failed-validation';
  if (m.revertedBy === 'user') return 'rejected-by-you';
  return m.status === 'proposed' ? 'validating' : m.status;
}

/** Why it ended: the reason, prefixed by the hook that misbehaved when it was deactivated at run time. */
export function mechanismWhy(m: Pick<MechanismRecord, 'status' | 'reason' | 'deactivatedIn'>): string | undefined {
  return m.status === 'deactivated' && m.deactivatedIn ? `${m.deactivatedIn}: ${m.reason ?? ''}` : m.reason;
}
