import type { Candidate } from '../../shared/trace/candidate';
import type { ChatModel } from '../llm/chatModel';
import { LlmError, type ChatMessage, type ChatResult } from '../llm/llmClient';
import { buildProposalMessages, candidateFromShape, candidateSchema, repairRequest, validateCandidateShape } from '../llm/prompts/proposalPrompt';
import { parseStructured } from '../llm/structuredOutput';
import { ProposalError, type ProposalContext, type Proposer } from './proposer';

type ParsedAnswer = { ok: true; value: Candidate } | { ok: false; error: string };

/** The candidate in a model's answer, or the precise reason there is none (what the repair round sends back). */
export function parseProposal(answer: Pick<ChatResult, 'text' | 'finishReason'>): ParsedAnswer {
  const parsed = parseStructured<unknown>(answer.text, validateCandidateShape);
  if (parsed.ok) return { ok: true, value: candidateFromShape(parsed.value) };
  const cutOff = answer.finishReason === 'length' ? ' (the answer hit the maxTokens limit: keep it shorter)' : '';
  return { ok: false, error: `${parsed.error}${cutOff}` };
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
    const messages = buildProposalMessages(ctx);
    const first = await this.ask('proposal', messages, signal);
    const parsed = parseProposal(first);
    if (parsed.ok) return parsed.value;
    const repair: ChatMessage[] = [
      ...messages,
      { role: 'assistant', content: first.text || '(empty answer)' },
      { role: 'user', content: repairRequest(parsed.error) },
    ];
    const second = await this.ask('proposal.repair', repair, signal);
    const reparsed = parseProposal(second);
    if (reparsed.ok) return reparsed.value;
    throw new ProposalError(`invalid proposal after one repair round: ${reparsed.error}`);
  }

  private async ask(purpose: string, messages: ChatMessage[], signal?: AbortSignal): Promise<ChatResult> {
    try {
      return await this.client.chat(purpose, messages, { jsonSchema: { name: 'candidate', schema: candidateSchema }, signal });
    } catch (e) {
      if (signal?.aborted || !(e instanceof LlmError)) throw e;
      throw new ProposalError(`LLM call failed: ${e.message}`);
    }
  }
}
