import { LlmClient } from '../llm/llmClient';
import type { LlmCallListener } from '../proposers/proposer';
import type { TargetConfig } from '../target/targetConfig';
import { listLibrary } from '../mechanisms/library';
import { LlmStrategyReviewer } from './llmStrategyReviewer';
import { LlmMechanismResearcher, OfflineMechanismResearcher, type MechanismResearcher } from './mechanismResearch';
import { RuleBasedReviewer, type StrategyReviewer } from './strategyReview';

/** The reviewer and researcher the config asks for (`levels`), sharing the proposer's LLM settings and key. */
export function createLevels(config: TargetConfig, onLlmCall?: LlmCallListener, apiKey?: string): { strategyReviewer: StrategyReviewer; mechanismResearcher: MechanismResearcher } {
  const { strategy, mechanisms } = config.levels;
  const wantsLlm = (kind: string) => kind === 'llm' || (kind === 'auto' && config.proposer.kind === 'llm');
  let client: LlmClient | undefined;
  const llm = () => (client ??= new LlmClient({ ...config.llm, apiKey }, onLlmCall));
  return {
    strategyReviewer: wantsLlm(strategy.reviewer) ? new LlmStrategyReviewer(llm(), config.parameters.frozen) : new RuleBasedReviewer({ freezeAfter: strategy.freezeAfter, maxFocus: 3 }),
    mechanismResearcher: wantsLlm(mechanisms.research) ? new LlmMechanismResearcher(llm()) : new OfflineMechanismResearcher(listLibrary()),
  };
}
