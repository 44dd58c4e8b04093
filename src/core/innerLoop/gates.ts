import type { Candidate } from '../../shared/trace/candidate';
import type { RejectedBy } from '../../shared/trace/events';

/**
 * The gates a proposed candidate passes before it is committed, in order. Each is a pure check that
 * returns why it stops the candidate, or null; the first that stops it is the rejection recorded.
 * What the checks need (validation's reasons, a mechanism's veto, what the tree matched) is worked
 * out by the iteration and handed in, so every decision here is testable without a process.
 */

export interface Rejection {
  by: RejectedBy;
  reason: string;
}

export interface GateInput {
  candidate: Candidate;
  /** Parameters the strategy review froze (config-frozen ones excluded below: validation names those). */
  strategyFrozen: readonly string[];
  configFrozen: readonly string[];
  strategyCycle: number;
  /** Parameters the active mechanisms froze for this iteration (beforePropose). */
  mechanismFrozen: readonly { name: string; by: string }[];
  /** validateCandidate's reasons against the checkout's files (run once per candidate). */
  validation: readonly string[];
}

type Gate = (x: GateInput) => Rejection | null;

const touched = (c: Candidate) => Object.keys(c.params ?? {});

export const strategyFreeze: Gate = ({ candidate, strategyFrozen, configFrozen, strategyCycle }) => {
  const hit = touched(candidate).filter((p) => strategyFrozen.includes(p) && !configFrozen.includes(p));
  if (!hit.length) return null;
  return { by: 'strategy', reason: `${hit.join(', ')} ${hit.length > 1 ? 'are' : 'is'} frozen by the strategy review (cycle ${strategyCycle}): tried without gain since the best last moved` };
};

export const mechanismFreeze: Gate = ({ candidate, mechanismFrozen }) => {
  const names = touched(candidate);
  const hit = mechanismFrozen.filter((f) => names.includes(f.name));
  if (!hit.length) return null;
  return { by: 'mechanism', reason: hit.map((f) => `${f.name} is frozen by the mechanism ${f.by} for this iteration`).join('; ') };
};

export const validation: Gate = (x) => (x.validation.length ? { by: 'validation', reason: x.validation.join('; ') } : null);

/** The gates that need nothing but the candidate and the rules, in the order they are checked. */
export const GATES: readonly Gate[] = [strategyFreeze, mechanismFreeze, validation];

/** The first gate that stops the candidate, or null when it may go on to the mechanisms' review. Pure. */
export function firstRejection(x: GateInput, gates: readonly Gate[] = GATES): Rejection | null {
  for (const gate of gates) {
    const r = gate(x);
    if (r) return r;
  }
  return null;
}

/** A mechanism's reviewCandidate said no. Pure. */
export function vetoRejection(veto: { name: string; reason: string } | null): Rejection | null {
  return veto ? { by: 'mechanism', reason: `${veto.name}: ${veto.reason}` } : null;
}

/**
 * The candidate's tree is one already trained (`sameAs`) or training now (`twin`). A twin is always
 * rejected; an evaluated tree is a cache hit, except when a mechanism proposed it: a mechanism that
 * repeats itself must not burn the iteration, so the proposer gets the next attempt. Pure.
 */
export function duplicateRejection(match: { sameAs?: number; twin?: number }, byMechanism: string | undefined): Rejection | null {
  if (match.twin !== undefined) return { by: 'validation', reason: `identical to #${match.twin}, which is training now` };
  if (match.sameAs !== undefined && byMechanism) return { by: 'mechanism', reason: `${byMechanism} proposed a configuration already evaluated as #${match.sameAs}` };
  return null;
}
