/** Command, view and context-key ids, as contributed in package.json. */
export const COMMANDS = {
  startRun: 'bilevelAutoresearch.startRun',
  startRunStepping: 'bilevelAutoresearch.startRunStepping',
  resumeRun: 'bilevelAutoresearch.resumeRun',
  stopRun: 'bilevelAutoresearch.stopRun',
  pauseRun: 'bilevelAutoresearch.pauseRun',
  continueRun: 'bilevelAutoresearch.continueRun',
  step: 'bilevelAutoresearch.step',
  runMore: 'bilevelAutoresearch.runMore',
  /** finalize: the best result as one commit on a new branch, and report.md. */
  createBranchFromBest: 'bilevelAutoresearch.createBranchFromBest',
  runStrategyReviewNow: 'bilevelAutoresearch.runStrategyReviewNow',
  runMechanismResearchNow: 'bilevelAutoresearch.runMechanismResearchNow',
  gateRun: 'bilevelAutoresearch.gateRun',
  gateEdit: 'bilevelAutoresearch.gateEdit',
  gateSkip: 'bilevelAutoresearch.gateSkip',
  showGate: 'bilevelAutoresearch.showGate',
  showExperimentDiff: 'bilevelAutoresearch.showExperimentDiff',
  openLog: 'bilevelAutoresearch.openLog',
  showTrainingTerminal: 'bilevelAutoresearch.showTrainingTerminal',
  reviewMechanism: 'bilevelAutoresearch.reviewMechanism',
  showMechanismDiff: 'bilevelAutoresearch.showMechanismDiff',
  acceptMechanism: 'bilevelAutoresearch.acceptMechanism',
  rejectMechanism: 'bilevelAutoresearch.rejectMechanism',
  openDashboard: 'bilevelAutoresearch.openDashboard',
  setApiKey: 'bilevelAutoresearch.setApiKey',
  selectModel: 'bilevelAutoresearch.selectModel',
  initConfig: 'bilevelAutoresearch.initConfig',
  refresh: 'bilevelAutoresearch.refresh',
  /** Shows the output channel (a notice's Show Log). */
  showOutput: 'bilevelAutoresearch.showOutput',
} as const;

export const EXPERIMENTS_VIEW = 'bilevelAutoresearch.experiments';
export const MECHANISMS_VIEW = 'bilevelAutoresearch.mechanisms';
export const STRATEGY_VIEW = 'bilevelAutoresearch.strategy';
/** The candidate at the stepping gate (a webview view, shown while the gate waits). */
export const GATE_VIEW = 'bilevelAutoresearch.gate';

/** Context keys for `when` clauses. */
export const CONTEXT = {
  hasConfig: 'bilevelAutoresearch.hasConfig',
  hasRuns: 'bilevelAutoresearch.hasRuns',
  running: 'bilevelAutoresearch.running',
  /** A stepping run waits for Run / Edit / Skip on a candidate. */
  awaitingGate: 'bilevelAutoresearch.awaitingGate',
  /** The active editor shows a mechanism's change (Accept / Reject in its title bar). */
  mechanismDiff: 'bilevelAutoresearch.mechanismDiff',
  /** A model or endpoint was chosen in the editor (the walkthrough's "Choose who proposes" step). */
  modelChosen: 'bilevelAutoresearch.modelChosen',
  /** Some mechanism awaits a person's review. */
  mechanismsAwaitingReview: 'bilevelAutoresearch.mechanismsAwaitingReview',
} as const;

/** The section of the contributed settings. */
export const SETTINGS_SECTION = 'bilevelAutoresearch';

export const OUTPUT_CHANNEL_NAME = 'Bilevel Autoresearch';
