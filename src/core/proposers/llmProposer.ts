import type { Candidate } from '../../shared/trace/candidate';
import { askWithRepair, UnusableAnswerError } from '../llm/askStructured';
import type { ChatModel, ChatResult } from '../llm/chatModel';
import { LlmError } from '../llm/llmClient';
import { buildProposalMessages, candidateFromShape, candidateSchema, validateCandidateShape } from '../llm/prompts/proposalPrompt';
import { parseAnswer, type Parsed } from '../llm/structuredOutput';
import { ProposalError, type ProposalContext, type Proposer } from './proposer';

/** The candidate in a model's answer, or the precise reason there is none (what the repair round sends back). */
export function parseProposal(answer: Pick<ChatResult, 'text' | 'finishReason'>): Parsed<Candidate> {
  const parsed = parseAnswer<unknown>(answer, validateCandidateShape);
  return parsed.ok ? { ok: true, value: candidateFromShape(parsed.value) } : parsed;
}

/**
 * Asks an LLM for the next experiment. An unusable answer gets exactly one repair round, with the
 * model's own answer and the precise error; after that, or when the call itself fails, it throws a
 * ProposalError so that the loop records it and moves on.
 */
export class LlmProposer implements Proposer {
  readonly name = 'llm';

  constructor(private readonly client: ChatModel) {}

  async propose(ctx: ProposalContext, signal?: AbortSignal): Promise<Candidate> {
    try {
      const answer = await askWithRepair(this.client, 'proposal', buildProposalMessages(ctx), { parse: parseProposal, jsonSchema: { name: 'candidate', schema: candidateSchema }, signal });
      return answer.value;
    } catch (e) {
      if (signal?.aborted) throw e;
      if (e instanceof LlmError) throw new ProposalError(`LLM call failed: ${e.message}`);
      if (e instanceof UnusableAnswerError) throw new ProposalError(`invalid proposal after one repair round: ${e.reason}`);
      throw e;
    }
  }
}
