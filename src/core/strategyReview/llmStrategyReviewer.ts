import { askStructured } from '../llm/askStructured';
import type { LlmClient } from '../llm/llmClient';
import { buildStrategyMessages, strategySchema, type StrategyAnswer } from '../llm/prompts/strategyPrompt';
import type { Strategy } from '../../shared/trace/runState';
import type { StrategyDecision, StrategyReviewer, TraceSummary } from './strategyReview';

/** Level 1.5 by an LLM: the same trace summary as the rule-based reviewer, answered as structured output. */
export class LlmStrategyReviewer implements StrategyReviewer {
  readonly name = 'llm';

  constructor(
    private readonly client: Pick<LlmClient, 'chat'>,
    private readonly configFrozen: string[],
  ) {}

  async review(summary: TraceSummary, current: Strategy, signal?: AbortSignal): Promise<StrategyDecision> {
    const messages = buildStrategyMessages(summary, current, this.configFrozen);
    const { value } = await askStructured<StrategyAnswer>(this.client, 'strategy', messages, { name: 'strategy', schema: strategySchema }, signal);
    return { frozen: value.freeze, focus: value.focus, guidance: value.guidance, unfrozen: [] };
  }
}
