// The one door into core for the adapters (src/cli, src/extension): open a run, read a run's
// state, list runs, review a mechanism, and the types they need. Adapters import nothing else
// from core, so core's folders can move without touching them (test/unit/layering.test.ts).

export { ResearchRun, latestRunTag, liveRunPid, runsDir } from './levels/researchRun';
export type { ResearchRunSummary, TrainingGate, Worker } from './levels/researchRun';
export { createLevels } from './levels/createLevels';
export type { Level } from './levels/outerLevels';
export type { StrategyReviewer } from './levels/strategyReview';
export type { MechanismResearcher } from './levels/mechanismResearch';
export { reviewMechanism } from './levels/mechanismReview';
export { ABLATION_GROUPS, ablationMarkdown, runAblation } from './levels/ablation';
export type { AblationGroup } from './levels/ablation';

export { createProposer } from './proposers/createProposer';
export { LlmProposer } from './proposers/llmProposer';
export type { Proposer } from './proposers/proposer';

export { createWorkers } from './executors/createWorkers';
export { ExecutorSetupError } from './executors/executor';
export { isAlive, processStartTime } from './executors/processGroup';

export { GitError } from './git/git';
export { RunRepo } from './git/runRepo';
export { changedFiles, fileAt, mergeBase } from './git/revisionFiles';
export { runTagProblem } from './git/runTag';
export { RepoBusy, liveRepoWriter } from './run/repoLock';
export type { LockHolder } from './run/repoLock';

export { estimateTokens, LlmError, MissingApiKeyError, OPENAI_BASE_URL } from './llm/llmClient';
export type { ChatMessage, ChatOptions, ChatResult } from './llm/llmClient';
export type { ChatModel, LlmCallListener } from './llm/chatModel';
export { listModels } from './llm/listModels';

export { Secrets } from './secrets/secrets';
export { TraceStore, TraceWriteError, readTrace } from './store/traceStore';
export { RunStateError } from './store/writableRunDir';

export { applyLevelsFlag, ConfigError, CONFIG_FILE, loadTargetConfig } from './target/targetConfig';
export type { TargetConfig } from './target/targetConfig';
export { proposeConfig } from './target/initTarget';

export { bestBranchName, finalizeRun, FinalizeRefused } from './finalize/finalizeRun';
export type { FinalizeOptions, FinalizeResult } from './finalize/finalizeRun';
export { bestParamChanges } from './finalize/keptChanges';
export type { KeptChange, ParamChange } from './finalize/keptChanges';
