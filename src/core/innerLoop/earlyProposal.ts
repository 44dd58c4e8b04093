import type { Candidate } from '../../shared/trace/candidate';
import type { RunEventBody } from '../../shared/trace/events';
import type { RunState } from '../../shared/trace/runState';
import { validateCandidate, type CandidateRules } from '../candidates/validateCandidate';
import { hookContext } from '../mechanisms/hookContext';
import { NO_STEER, type MechanismRuntime, type Steer } from '../mechanisms/mechanismRuntime';
import { ProposalError } from '../proposers/proposer';
import type { PythonParam } from '../target/pythonParams';
import { throwIfAborted } from './interrupted';
import type { InnerLoop } from './innerLoop';
import { proposedChanges } from './paramChanges';
import { candidateRules, filesAt, proposalContext, strategyGuidance } from './proposalInputs';

/** The outer levels' results a proposal was shaped by: a new review or a change of mechanisms makes it stale. */
export interface LevelsInForce {
  strategyReviews: number;
  mechanisms: readonly string[];
}

export const levelsInForce = (state: RunState, runtime: MechanismRuntime): LevelsInForce => ({ strategyReviews: state.strategyReviews, mechanisms: runtime.names() });

export const sameLevels = (a: LevelsInForce, b: LevelsInForce): boolean =>
  a.strategyReviews === b.strategyReviews && a.mechanisms.length === b.mechanisms.length && a.mechanisms.every((m, i) => m === b.mechanisms[i]);

/** A proposal made while experiment `during` trained, on the best of that moment (overlap). */
export interface EarlyProposal {
  during: number;
  base: string;
  levels: LevelsInForce;
  /** What the mechanisms' beforePropose said for this iteration (run at preparation time). */
  steer: Promise<Steer>;
  result: Promise<{ candidate: Candidate } | { error: unknown }>;
}

type PreparedInfo = NonNullable<Extract<RunEventBody, { type: 'candidate.proposed' }>['prepared']>;

/** Asks the proposer for the next candidate now, on the current best, while experiments train. */
export function proposeEarly(loop: InnerLoop, during: number): EarlyProposal {
  const { session, runtime, proposer } = loop;
  const base = session.bestCommit();
  const n = session.state.nextN;
  let steered!: (s: Steer) => void;
  const steer = new Promise<Steer>((resolve) => (steered = resolve));
  const result = (async () => {
    const files = await filesAt(session, base);
    const params = session.parse(files);
    const s = runtime.names().length ? await runtime.beforePropose(n, hookContext(session.state, session.contextParams(params), n)) : NO_STEER;
    steered(s);
    const rules = candidateRules(session, params, [...session.state.strategy.frozen, ...s.freeze.map((f) => f.name)]);
    const ctx = proposalContext(session, n, rules, files, [...strategyGuidance(session.state, s.focus), ...s.guidance], [...session.state.strategy.focus, ...s.focus]);
    return { candidate: await proposer.propose(ctx, session.signal) };
  })().catch((error: unknown) => {
    steered(NO_STEER);
    return { error };
  });
  return { during, base, levels: levelsInForce(session.state, runtime), steer, result };
}

/**
 * The candidate prepared while training, if it still holds: on the same best it is used as is; on a
 * new best it must still apply (edits still match, values still change something), or it is dropped
 * and the iteration proposes afresh. It is never applied where it does not apply. `validate` checks
 * a candidate against the checkout's files (the iteration's one validation of it).
 */
export async function useEarly(
  loop: InnerLoop,
  p: EarlyProposal,
  base: string,
  params: PythonParam[],
  rules: CandidateRules,
  validate: (c: Candidate) => readonly string[],
): Promise<{ candidate?: Candidate; prepared: PreparedInfo; feedback?: string }> {
  const r = await p.result;
  if ('error' in r) {
    if (r.error instanceof ProposalError) throw r.error;
    throwIfAborted(loop.session.signal);
    throw r.error;
  }
  // A review or a mechanism that changed meanwhile must shape the next proposal, as without overlap.
  if (!sameLevels(p.levels, levelsInForce(loop.session.state, loop.runtime))) {
    return { prepared: { during: p.during, how: 'reproposed', reason: `the strategy or the active mechanisms changed since the candidate prepared during #${p.during} ("${r.candidate.description}")` } };
  }
  if (p.base === base) return { candidate: r.candidate, prepared: { during: p.during, how: 'used' } };
  // What fails on the new best but did not on the old one is what no longer applies. Anything wrong
  // on both goes through the gates and is recorded as a rejection like any other.
  const before = new Set(validateCandidate(r.candidate, rules, await filesAt(loop.session, p.base)));
  const stale = validate(r.candidate).filter((x) => !before.has(x));
  if (!stale.length && !r.candidate.edits?.length && r.candidate.params && !Object.keys(proposedChanges(params, r.candidate)).length) stale.push('it changes nothing on the new best');
  if (stale.length) {
    const reason = `the candidate prepared during #${p.during} ("${r.candidate.description}") no longer applies: ${stale.join('; ')}`;
    return { prepared: { during: p.during, how: 'reproposed', reason }, feedback: reason };
  }
  return { candidate: r.candidate, prepared: { during: p.during, how: 'reapplied' } };
}
