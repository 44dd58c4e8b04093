// Imported first: its timestamp is taken before the rest of the bundle is evaluated.
import { isAlive, processStartTime, liveRunPid, runsDir } from '../core';
import { activationTimingLine } from './activationClock';
import * as vscode from 'vscode';
import { renderEvent } from '../shared/trace/renderEvent';
import { join } from 'node:path';
import type { MechanismRecord } from '../shared/trace/runState';
import { ApiKeyStore } from './llm/apiKeyStore';
import { COMMANDS, CONTEXT, EXPERIMENTS_VIEW, MECHANISMS_VIEW, OUTPUT_CHANNEL_NAME, SETTINGS_SECTION, STRATEGY_VIEW } from './commandIds';
import { CONFIG_FILE_NAME as CONFIG_FILE, readConfigFrozen } from './settings/configFile';
import { DashboardPanel } from './dashboard/dashboardPanel';
import { showExperimentDiff } from './git/experimentDiff';
import { openExperimentLog } from './views/experimentLog';
import { resolveExperimentRef } from './views/experimentPicker';
import type { ExperimentRef } from './views/experimentRef';
import { ExperimentsTreeProvider } from './views/experimentsTreeProvider';
import { GitShowContentProvider } from './git/gitShowContentProvider';
import { MechanismCodeLens } from './review/mechanismCodeLens';
import { showMechanismDiff } from './review/mechanismDiff';
import { MechanismReviewPanels } from './review/mechanismReviewPanel';
import { isMechanismRef, MechanismsTreeProvider, type MechanismRef } from './views/mechanismsTreeProvider';
import { judgeMechanism, type Verdict } from './review/mechanismVerdict';
import { ResearchRunController } from './run/researchRunController';
import { resumeOffer } from './run/resumeOffer';
import { RunStatusBar } from './run/runStatusBar';
import { readRunSettings } from './settings/runSettings';
import { finishedRunOffer } from './run/finishedRunOffer';
import type { StartMode } from './run/startRunCommand';
import { SteppingGate } from './run/steppingGate';
import { GateView } from './run/gateView';
import { AttentionSignals } from './run/attentionSignals';
import { StrategyTreeProvider } from './views/strategyTreeProvider';
import { findTrainingRepo } from './settings/trainingRepo';
import { TrainingTerminals } from './run/trainingTerminals';
import { stopQuestion } from './run/trainingHeader';

let controller: ResearchRunController | undefined;

/**
 * Wires the engine to VS Code: one controller runs the loop in the extension host; the views, the
 * training terminals, the status bar, the dashboard and the output channel consume its events.
 * Requires a trusted workspace (package.json: capabilities.untrustedWorkspaces).
 */
export function activate(context: vscode.ExtensionContext): void {
  const activateStartedAt = performance.now();
  const activateStartCpu = process.cpuUsage();
  const log = vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME, { log: true });
  context.subscriptions.push(log);
  const apiKeys = new ApiKeyStore(context.secrets);
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(GitShowContentProvider.scheme, new GitShowContentProvider()),
    vscode.commands.registerCommand(COMMANDS.setApiKey, () => apiKeys.promptAndStore()),
  );

  const repo = findTrainingRepo();
  if (!repo) {
    const noFolder = () => void vscode.window.showInformationMessage('Autoresearch: open your training repo as a folder first.');
    const registered = new Set<string>([COMMANDS.setApiKey]);
    for (const id of Object.values(COMMANDS)) if (!registered.has(id)) context.subscriptions.push(vscode.commands.registerCommand(id, noFolder));
    log.info('no folder open: nothing to do until one is');
    return;
  }

  const runController = (controller = new ResearchRunController(repo.dir, log));
  const experiments = new ExperimentsTreeProvider(runController);
  const experimentsView = vscode.window.createTreeView(EXPERIMENTS_VIEW, { treeDataProvider: experiments });
  const mechanisms = new MechanismsTreeProvider(runController);
  const strategy = new StrategyTreeProvider(runController, () => readConfigFrozen(repo.dir));
  const runSettings = () => readRunSettings((k, d) => vscode.workspace.getConfiguration(SETTINGS_SECTION).get(k, d));
  const showTerminal = () => runSettings().showTrainingTerminal;
  const openDiff = (ref: ExperimentRef) => showExperimentDiff(ref, runController);
  const openLog = (ref: ExperimentRef) => openExperimentLog(ref, runController);
  const dashboard = new DashboardPanel(context.extensionUri, runController, log, { openDiff, openLog });
  const terminals = new TrainingTerminals(runController, showTerminal);
  const gateView = new GateView(runController);
  const stepping = new SteppingGate(runController, () => gateView.reveal());
  const mechanismLens = new MechanismCodeLens(runController);
  const reviews = new MechanismReviewPanels(runController);
  context.subscriptions.push(
    runController,
    experiments,
    experimentsView,
    mechanisms,
    vscode.window.createTreeView(MECHANISMS_VIEW, { treeDataProvider: mechanisms }),
    strategy,
    vscode.window.createTreeView(STRATEGY_VIEW, { treeDataProvider: strategy }),
    terminals,
    new RunStatusBar(runController),
    dashboard,
    gateView,
    stepping,
    mechanismLens,
    reviews,
    new AttentionSignals(runController, experimentsView),
  );

  const setContext = (key: string, value: boolean) => void vscode.commands.executeCommand('setContext', key, value);
  setContext(CONTEXT.hasConfig, repo.hasConfig);
  const chosen = runSettings();
  setContext(CONTEXT.modelChosen, chosen.llmModel !== '' || chosen.languageModel !== '' || chosen.llmBaseURL !== '');
  context.subscriptions.push(
    runController.onDidChange(() => {
      const state = runController.state;
      experimentsView.description = experiments.runDescription;
      setContext(CONTEXT.running, runController.running);
      setContext(CONTEXT.awaitingGate, runController.awaitingGate !== null);
      setContext(CONTEXT.hasRuns, state !== null);
      setContext(CONTEXT.mechanismsAwaitingReview, !!state && [...state.mechanisms.values()].some((m) => m.status === 'awaiting-review'));
    }),
    runController.onEvent((e) => {
      const line = renderEvent(e);
      if (line !== null) log.info(line);
    }),
  );

  // Loaded on first use: they bring in the engine's config validation (ajv) and the LLM client.
  const startNow = async (mode: StartMode) => (await import('./run/startRunCommand')).startRun(runController, apiKeys, log, mode);
  const runMore = (more: number) => startNow({ resume: true, iterations: (s) => (s?.iterationsDone ?? 0) + more });
  // A finished run is no dead end: Start and Continue on it say so and offer more iterations or a new run.
  const start = async (mode: StartMode) => {
    const offer = runController.running ? null : finishedRunOffer(runController.state, mode, runSettings());
    if (!offer) return startNow(mode);
    const more = `Run ${offer.more} More`;
    const choice = await vscode.window.showInformationMessage(offer.message, more, 'New Run');
    if (choice === more) await runMore(offer.more);
    else if (choice === 'New Run') await startNow({ ...mode, resume: false, fresh: true });
  };
  const askRunMore = async () => {
    const answer = await vscode.window.showInputBox({ title: 'Run more iterations', prompt: 'How many more iterations on the latest run?', value: String(runSettings().iterations || 5), validateInput: (v) => (/^[1-9]\d*$/.test(v.trim()) ? undefined : 'a whole number, 1 or more') });
    if (answer) await runMore(Number(answer.trim()));
  };
  // Continue, Step and the "Now" levels resume the latest run here, or reach the run going on.
  const continueRun = () => start({ resume: true });
  const levelNow = (level: 'strategy' | 'mechanism') => (runController.running ? runController.requestLevel(level) : start({ resume: true, levelsNow: [level], iterations: (s) => s?.iterationsDone ?? 0 }));
  const judge = async (verdict: Verdict, arg?: unknown) => {
    const ref = isMechanismRef(arg) ? arg : reviewedInActiveEditor(mechanismLens) ?? (await pickMechanism(runController, (m) => m.status === 'awaiting-review'));
    if (ref) await judgeMechanism(ref, verdict, runController, log);
  };
  context.subscriptions.push(
    vscode.commands.registerCommand(COMMANDS.startRun, () => start({})),
    vscode.commands.registerCommand(COMMANDS.startRunStepping, () => start({ stepping: true })),
    vscode.commands.registerCommand(COMMANDS.resumeRun, continueRun),
    vscode.commands.registerCommand(COMMANDS.continueRun, continueRun),
    vscode.commands.registerCommand(COMMANDS.runMore, askRunMore),
    vscode.commands.registerCommand(COMMANDS.createBranchFromBest, async (arg?: unknown) => (await import('./finalize/createBranchFromBest')).createBranchFromBest(runController, log, typeof arg === 'string' ? arg : undefined)),
    vscode.commands.registerCommand(COMMANDS.step, () => start({ resume: true, stepping: true, iterations: (s) => (s?.iterationsDone ?? 0) + 1 })),
    vscode.commands.registerCommand(COMMANDS.pauseRun, () => runController.pause()),
    vscode.commands.registerCommand(COMMANDS.stopRun, async () => {
      // Stop kills the training in flight: after a minute of it, ask first.
      const question = stopQuestion(runController.state, Date.now());
      if (question && (await vscode.window.showWarningMessage(question, { modal: true }, 'Stop')) !== 'Stop') return;
      runController.stop();
    }),
    vscode.commands.registerCommand(COMMANDS.runStrategyReviewNow, () => levelNow('strategy')),
    vscode.commands.registerCommand(COMMANDS.runMechanismResearchNow, () => levelNow('mechanism')),
    vscode.commands.registerCommand(COMMANDS.gateRun, () => stepping.run()),
    vscode.commands.registerCommand(COMMANDS.gateEdit, () => stepping.edit()),
    vscode.commands.registerCommand(COMMANDS.gateSkip, () => stepping.skip()),
    vscode.commands.registerCommand(COMMANDS.showGate, () => gateView.reveal()),
    vscode.commands.registerCommand(COMMANDS.acceptMechanism, (arg?: unknown) => judge('accept', arg)),
    vscode.commands.registerCommand(COMMANDS.rejectMechanism, (arg?: unknown) => judge('reject', arg)),
    vscode.commands.registerCommand(COMMANDS.refresh, () => runController.reload()),
    vscode.commands.registerCommand(COMMANDS.showOutput, () => log.show(true)),
    vscode.commands.registerCommand(COMMANDS.showTrainingTerminal, () => {
      if (!terminals.reveal()) void vscode.window.showInformationMessage('Autoresearch: nothing has trained in this window yet; the log of each experiment is under Open Log.');
    }),
    vscode.commands.registerCommand(COMMANDS.openDashboard, (arg?: unknown) => dashboard.show(typeof arg === 'string' ? arg : undefined)),
    vscode.commands.registerCommand(COMMANDS.selectModel, async () => {
      if (await (await import('./llm/selectModelCommand')).selectModel(repo.dir, apiKeys)) setContext(CONTEXT.modelChosen, true);
    }),
    vscode.commands.registerCommand(COMMANDS.showExperimentDiff, async (arg?: unknown) => {
      const ref = await resolveExperimentRef(arg, runController, (p) => p.diffCommit !== undefined, 'Show the change of which experiment?');
      if (ref) await openDiff(ref);
    }),
    vscode.commands.registerCommand(COMMANDS.openLog, async (arg?: unknown) => {
      const ref = await resolveExperimentRef(arg, runController, (p) => p.contextValue.includes('hasLog'), 'Open the training log of which experiment?');
      if (ref) await openLog(ref);
    }),
    vscode.commands.registerCommand(COMMANDS.reviewMechanism, async (arg?: unknown) => {
      const ref = isMechanismRef(arg) ? arg : await pickMechanism(runController, () => true);
      if (ref) await reviews.show(ref);
    }),
    vscode.commands.registerCommand(COMMANDS.showMechanismDiff, async (arg?: unknown) => {
      const ref = isMechanismRef(arg) ? arg : await pickMechanism(runController, () => true);
      if (ref) await showMechanismDiff(ref, runController);
    }),
    vscode.commands.registerCommand(COMMANDS.initConfig, async () => {
      if (await (await import('./settings/initConfigCommand')).initConfig(repo.dir, log)) setContext(CONTEXT.hasConfig, true);
    }),
  );

  // The config appearing or going away (init, git checkout) and runs written by the CLI.
  const configWatcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(repo.dir, CONFIG_FILE));
  const traceWatcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(repo.dir, '.autoresearch/runs/*/trace.jsonl'));
  let reloadPending: ReturnType<typeof setTimeout> | undefined;
  const reloadSoon = () => {
    if (runController.running || reloadPending) return;
    reloadPending = setTimeout(() => {
      reloadPending = undefined;
      runController.reload();
    }, 250);
  };
  context.subscriptions.push(
    configWatcher,
    traceWatcher,
    configWatcher.onDidCreate(() => setContext(CONTEXT.hasConfig, true)),
    configWatcher.onDidDelete(() => setContext(CONTEXT.hasConfig, false)),
    traceWatcher.onDidCreate(reloadSoon),
    traceWatcher.onDidChange(reloadSoon),
    { dispose: () => reloadPending && clearTimeout(reloadPending) },
  );

  runController.reload();
  const viewsReadyAt = performance.now();
  const viewsReadyCpu = process.cpuUsage();
  const shown = runController.state;
  log.info(`${activationTimingLine(activateStartedAt, activateStartCpu, viewsReadyAt, viewsReadyCpu)} (${shown ? `run ${shown.tag}, ${shown.experiments.length} experiments` : 'no run yet'})`);

  // A run this window (or a crashed host) left unfinished: offer to pick it up, unless a live process (the CLI) holds it.
  const offer = shown && !liveRunPid(join(runsDir(repo.dir), shown.tag)) ? resumeOffer(shown, trainingAlive) : null;
  if (offer) {
    log.info(offer.message);
    void vscode.window.showInformationMessage(offer.message, offer.action).then((choice) => {
      if (choice) void vscode.commands.executeCommand(COMMANDS.resumeRun);
    });
  }
}

/** The pid is alive and started when the trace says its training did (not a reused pid). */
function trainingAlive(pid: number, startedAt: string | undefined): boolean {
  if (!isAlive(pid)) return false;
  const started = processStartTime(pid);
  return started === undefined || !startedAt || Math.abs(started - Date.parse(startedAt)) < 10_000;
}

/** The mechanism whose diff is in the active editor, if it awaits review. */
function reviewedInActiveEditor(lens: MechanismCodeLens): MechanismRef | undefined {
  const uri = vscode.window.activeTextEditor?.document.uri;
  return uri ? lens.reviewedIn(uri) : undefined;
}

async function pickMechanism(controller: ResearchRunController, usable: (m: MechanismRecord) => boolean): Promise<MechanismRef | undefined> {
  const state = controller.state;
  const items = state ? [...state.mechanisms.values()].reverse().filter(usable).map((m) => ({ label: m.name, description: m.status, ref: { tag: state.tag, name: m.name } })) : [];
  if (!items.length) {
    void vscode.window.showInformationMessage('Autoresearch: no mechanism of this run is up for that.');
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { placeHolder: 'Which mechanism?' }))?.ref;
}

/** Stops a run in progress (training is killed, the experiment recorded as interrupted) before the host exits. */
export async function deactivate(): Promise<void> {
  await controller?.stopAndWait(4000);
  controller = undefined;
}
