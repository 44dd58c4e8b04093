import { createWorkers } from '../executors/createWorkers';
import type { ChatModel, LlmCallListener } from '../llm/chatModel';
import { createProposer } from '../proposers/createProposer';
import { LlmProposer } from '../proposers/llmProposer';
import type { Proposer } from '../proposers/proposer';
import { createLevels } from './createLevels';
import { ResearchRun, type ResearchRunOptions } from './researchRun';

export interface CreateRunOptions extends Omit<ResearchRunOptions, 'proposer'> {
  /** Default: the config's proposer. */
  proposer?: Proposer;
  /** The LLM key (the extension's secret storage); default OPENAI_API_KEY from the environment. */
  apiKey?: string;
  /** A chat model the caller brings (the extension's VS Code language model), given the listener that records its calls. */
  chat?: (onLlmCall: LlmCallListener) => ChatModel;
}

/**
 * The one place a run is built from a config: config → proposer → levels → workers → run, for the
 * CLI, the ablation and the extension. What the caller passes wins over what the config asks for.
 * Every LLM call the proposer and the levels make is recorded in the run's trace.
 */
export function createRun(opts: CreateRunOptions): ResearchRun {
  const { config, apiKey, chat, ...rest } = opts;
  // The proposer and the levels exist before the run does; their calls reach its trace once it runs.
  const onLlmCall: LlmCallListener = (call) => run.recordLlmCall(call);
  const proposer = opts.proposer ?? (config.proposer.kind === 'llm' && chat ? new LlmProposer(chat(onLlmCall)) : createProposer(config, onLlmCall, apiKey));
  const levels = opts.strategyReviewer && opts.mechanismResearcher ? null : createLevels(config, onLlmCall, apiKey, chat?.(onLlmCall));
  const run: ResearchRun = new ResearchRun({
    ...rest,
    config,
    proposer,
    strategyReviewer: opts.strategyReviewer ?? levels!.strategyReviewer,
    mechanismResearcher: opts.mechanismResearcher ?? levels!.mechanismResearcher,
    workers: opts.workers ?? (opts.executor ? undefined : createWorkers(config.workers)),
  });
  return run;
}
