/** The section of the contributed settings, and the prefix of every command id and context key below. */
export const SETTINGS_SECTION = 'bilevelAutoresearch';

/** Each name to its id in package.json: the section, a dot and the name. */
const ids = <const N extends string>(names: readonly N[]) =>
  Object.fromEntries(names.map((n) => [n, `${SETTINGS_SECTION}.${n}`])) as { readonly [K in N]: `${typeof SETTINGS_SECTION}.${K}` };

/**
 * Command ids, as contributed in package.json. createBranchFromBest is finalize (the best result as one
 * commit on a new branch, and report.md); showOutput shows the output channel (a notice's Show Log).
 */
export const COMMANDS = ids([
  'startRun', 'startRunStepping', 'resumeRun', 'stopRun', 'pauseRun', 'continueRun', 'step', 'runMore', 'createBranchFromBest',
  'runStrategyReviewNow', 'runMechanismResearchNow', 'gateRun', 'gateEdit', 'gateSkip', 'showGate', 'showExperimentDiff',
  'openLog', 'showTrainingTerminal', 'reviewMechanism', 'showMechanismDiff', 'acceptMechanism', 'rejectMechanism',
  'openDashboard', 'setApiKey', 'selectModel', 'initConfig', 'refresh', 'showOutput',
]);

export const EXPERIMENTS_VIEW = 'bilevelAutoresearch.experiments';
export const MECHANISMS_VIEW = 'bilevelAutoresearch.mechanisms';
export const STRATEGY_VIEW = 'bilevelAutoresearch.strategy';
/** The candidate at the stepping gate (a webview view, shown while the gate waits). */
export const GATE_VIEW = 'bilevelAutoresearch.gate';

/**
 * Context keys for `when` clauses. awaitingGate: a stepping run waits for Run / Edit / Skip on a
 * candidate. mechanismDiff: the active editor shows a mechanism's change (Accept / Reject in its title
 * bar). modelChosen: a model or endpoint was chosen in the editor (the walkthrough's "Choose who
 * proposes" step). mechanismsAwaitingReview: some mechanism awaits a person's review.
 */
export const CONTEXT = ids(['hasConfig', 'hasRuns', 'running', 'awaitingGate', 'mechanismDiff', 'modelChosen', 'mechanismsAwaitingReview']);

export const OUTPUT_CHANNEL_NAME = 'Bilevel Autoresearch';
