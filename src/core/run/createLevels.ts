import type { ChatModel } from '../llm/chatModel';
import { LlmClient } from '../llm/llmClient';
import type { LlmCallListener } from '../llm/chatModel';
import type { TargetConfig } from '../target/targetConfig';
import { listLibrary } from '../mechanisms/library';
import { LlmStrategyReviewer } from '../strategyReview/llmStrategyReviewer';
import { LlmMechanismResearcher, OfflineMechanismResearcher, type MechanismResearcher } from '../mechanismResearch/mechanismResearch';
import { rulesReviewerFor } from '../strategyReview/rulesReviewer';
import type { StrategyReviewer } from '../strategyReview/strategyReview';

/**
 * The reviewer and researcher the config asks for (`levels`), sharing the proposer's LLM settings and
 * key, or `chat` when the caller brings its own model (the extension's VS Code language model).
 */
export function createLevels(config: TargetConfig, onLlmCall?: LlmCallListener, apiKey?: string, chat?: ChatModel): { strategyReviewer: StrategyReviewer; mechanismResearcher: MechanismResearcher } {
  const { strategy, mechanisms } = config.levels;
  const wantsLlm = (kind: string) => kind === 'llm' || (kind === 'auto' && config.proposer.kind === 'llm');
  let client: ChatModel | undefined = chat;
  const llm = () => (client ??= new LlmClient({ ...config.llm, apiKey }, onLlmCall));
  return {
    strategyReviewer: wantsLlm(strategy.reviewer) ? new LlmStrategyReviewer(llm(), config.parameters.frozen) : rulesReviewerFor(config),
    mechanismResearcher: wantsLlm(mechanisms.research) ? new LlmMechanismResearcher(llm()) : new OfflineMechanismResearcher(listLibrary()),
  };
}
