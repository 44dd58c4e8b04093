// The one door into core for the adapters (src/cli, src/extension): open a run, read a run's
// state, list runs, review a mechanism, and the types they need. Adapters import nothing else
// from core, so core's folders can move without touching them (test/unit/layering.test.ts).

export { ResearchRun } from './run/researchRun';
export type { Reconfigured, ResearchRunOptions, ResearchRunSummary } from './run/researchRun';
export { UserWorkFound } from './git/userWork';
export type { FoundWork } from './git/userWork';
export { createRun } from './run/createRun';
export type { CreateRunOptions } from './run/createRun';
export type { TrainingGate } from './innerLoop/innerLoop';
export { latestRunTag, liveRunPid, runsDir } from './session/runDirectory';
export type { Worker } from './executors/worker';
export type { Level } from './run/outerLevels';
export type { StrategyReviewer } from './strategyReview/strategyReview';
export type { MechanismResearcher } from './mechanismResearch/mechanismResearch';
export { reviewMechanism } from './mechanismResearch/mechanismReview';
export { ABLATION_GROUPS, ablationMarkdown, runAblation } from './ablation/ablation';
export type { AblationGroup } from './ablation/ablation';

export type { Proposer } from './proposers/proposer';

export { ExecutorSetupError } from './executors/executor';
export { isAlive, processStartTime } from './process/processGroup';

export { GitError } from './git/git';
export { RunRepo } from './git/runRepo';
export { changedFiles, fileAt, mergeBase } from './git/revisionFiles';
export { runTagProblem } from './git/runTag';
export { RepoBusy, liveRepoWriter } from './session/repoLock';
export { repairKilledGit } from './run/killedGitRepair';
export type { LockHolder } from './session/repoLock';

export { estimateTokens, LlmError, MissingApiKeyError, OPENAI_BASE_URL } from './llm/llmClient';
export type { ChatMessage, ChatModel, ChatOptions, ChatResult, LlmCallListener } from './llm/chatModel';
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
