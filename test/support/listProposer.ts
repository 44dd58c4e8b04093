import type { Candidate } from '../../src/shared/trace/candidate';
import { ProposalError, type ProposalContext, type Proposer } from '../../src/core/proposers/proposer';

/** A proposer that answers from a list, for tests where the loop's decisions are what is under test. */
export class ListProposer implements Proposer {
  readonly name = 'list';
  readonly seen: ProposalContext[] = [];
  constructor(private readonly answers: (Candidate | Error | (() => Promise<Candidate>))[]) {}
  async propose(ctx: ProposalContext): Promise<Candidate> {
    this.seen.push(ctx);
    const next = this.answers.shift();
    if (!next) throw new ProposalError('list exhausted');
    if (next instanceof Error) throw next;
    return typeof next === 'function' ? next() : next;
  }
}

export const candidate = (params: Record<string, number | boolean>, description = JSON.stringify(params)): Candidate => ({ description, hypothesis: 'test', params });
