import type { Candidate } from '../../shared/trace/candidate';
import type { ProposalContext } from '../research/proposalContext';

export type { HistoryEntry, ParamView, ProposalContext } from '../research/proposalContext';

/** Thrown when a proposer can't produce a valid candidate; the loop records it and moves on. */
export class ProposalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProposalError';
  }
}

export interface Proposer {
  readonly name: string;
  /**
   * Answers in milliseconds (no LLM). Overlap skips such a proposer: preparing early would only make it
   * propose without the result in flight, and there is no wait to hide.
   */
  readonly instant?: boolean;
  propose(ctx: ProposalContext, signal?: AbortSignal): Promise<Candidate>;
}
