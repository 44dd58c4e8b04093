import { LlmClient } from '../llm/llmClient';
import type { TargetConfig } from '../target/targetConfig';
import { HeuristicProposer } from './heuristicProposer';
import { LlmProposer } from './llmProposer';
import { TpeProposer } from './tpeProposer';
import type { LlmCallListener } from '../llm/chatModel';
import type { Proposer } from './proposer';

/** The proposer the config asks for. The API key comes from the caller (SecretStorage) or the environment. */
export function createProposer(config: TargetConfig, onLlmCall?: LlmCallListener, apiKey?: string): Proposer {
  if (config.proposer.kind === 'heuristic') return new HeuristicProposer(config.proposer.seed);
  if (config.proposer.kind === 'tpe') return new TpeProposer(config.proposer.seed);
  return new LlmProposer(new LlmClient({ ...config.llm, apiKey }, onLlmCall));
}
