import { createWorkers } from '../executors/createWorkers';
import type { ChatModel, LlmCallListener } from '../llm/chatModel';
import { createProposer } from '../proposers/createProposer';
import { LlmProposer } from '../proposers/llmProposer';
import type { Proposer } from '../proposers/proposer';
import type { TargetConfig } from '../target/targetConfig';
import { createLevels } from './createLevels';
import { ResearchRun, type Reconfigured, type ResearchRunOptions } from './researchRun';

export interface CreateRunOptions extends Omit<ResearchRunOptions, 'proposer' | 'reconfigure'> {
  /** Default: the config's proposer. */
  proposer?: Proposer;
  /** The LLM key (the extension's secret storage); default OPENAI_API_KEY from the environment. */
  apiKey?: string;
  /** A chat model the caller brings (the extension's VS Code language model), given the listener that records its calls. */
  chat?: (onLlmCall: LlmCallListener) => ChatModel;
  /**
   * The caller's overrides of a config (the CLI's --proposer and --levels), applied to the one an
   * adopted commit brings as they were to `config`.
   */
  configure?: (config: TargetConfig) => void;
}

/**
 * The one place a run is built from a config: config → proposer → levels → workers → run, for the
 * CLI, the ablation and the extension. What the caller passes wins over what the config asks for.
 * Every LLM call the proposer and the levels make is recorded in the run's trace. A config an
 * adopted commit brings is built the same way (`--adopt`).
 */
export function createRun(opts: CreateRunOptions): ResearchRun {
  const { config, apiKey, chat, configure, ...rest } = opts;
  // The proposer and the levels exist before the run does; their calls reach its trace once it runs.
  const onLlmCall: LlmCallListener = (call) => run.recordLlmCall(call);
  const build = (config: TargetConfig): Reconfigured & { proposer: Proposer } => {
    const proposer = opts.proposer ?? (config.proposer.kind === 'llm' && chat ? new LlmProposer(chat(onLlmCall)) : createProposer(config, onLlmCall, apiKey));
    const levels = opts.strategyReviewer && opts.mechanismResearcher ? null : createLevels(config, onLlmCall, apiKey, chat?.(onLlmCall));
    return { config, proposer, strategyReviewer: opts.strategyReviewer ?? levels!.strategyReviewer, mechanismResearcher: opts.mechanismResearcher ?? levels!.mechanismResearcher };
  };
  const run: ResearchRun = new ResearchRun({
    ...rest,
    ...build(config),
    workers: opts.workers ?? (opts.executor ? undefined : createWorkers(config.workers)),
    reconfigure: (committed) => {
      configure?.(committed);
      return build(committed);
    },
  });
  return run;
}
