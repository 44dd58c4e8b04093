import { GitError, MissingApiKeyError, Secrets, ConfigError, CONFIG_FILE, loadTargetConfig, repairKilledGit, UserWorkFound, type Level, type ChatModel, type LlmCallListener } from '../../core';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { RunState } from '../../shared/trace/runState';
import type { ApiKeyStore } from '../llm/apiKeyStore';
import { COMMANDS, SETTINGS_SECTION } from '../commandIds';
import { LanguageModelChat } from '../llm/languageModelChat';
import { missingKeyMessageFrom } from '../llm/llmSettingsTarget';
import type { ResearchRunController } from './researchRunController';
import { applyRunSettings, readRunSettings, type RunSettings } from '../settings/runSettings';
import { userWorkChoices } from './userWorkOffer';

export interface StartMode {
  /** Resume the latest run whatever `resumeLatestRun` says (Resume Run, Continue, Step, the activation offer). */
  resume?: boolean;
  /** Stop before each training run, whatever the `stepping` setting says. */
  stepping?: boolean;
  /** Iterations in all for this run, instead of the `iterations` setting (Step: one more than done). */
  iterations?: (state: RunState | null) => number;
  /** Levels to run right away (Run Strategy Review Now, Run Mechanism Research Now). */
  levelsNow?: Level[];
  /** A new run with a new tag, whatever `resumeLatestRun` says (New Run on a finished run). */
  fresh?: boolean;
  /** Resume taking the user's commit as the run's new starting point (Adopt My Commit after UserWorkFound). */
  adopt?: boolean;
}

/** No VS Code language model answers the selector: the person must install a provider or pick another model. */
class NoLanguageModelError extends Error {}

/**
 * Autoresearch: Start Run (and Resume Run). Loads autoresearch.config.json, applies the
 * `bilevelAutoresearch.*` settings over it, builds the proposer (the OpenAI-compatible endpoint
 * with the key from secret storage, or a VS Code language model) and the workers, and runs the
 * loop in the extension host until it is done or stopped.
 */
export async function startRun(controller: ResearchRunController, apiKeys: ApiKeyStore, log: vscode.LogOutputChannel, mode: StartMode = {}): Promise<void> {
  if (controller.running) {
    void vscode.window.showInformationMessage('Autoresearch: a run is already going on in this window.');
    return;
  }
  const repoDir = controller.repoDir;
  const settings = readRunSettings((key, fallback) => vscode.workspace.getConfiguration(SETTINGS_SECTION, vscode.Uri.file(repoDir)).get(key, fallback));
  const resume = !mode.fresh && (mode.resume || settings.resumeLatestRun);
  const retry = (again: StartMode) => startRun(controller, apiKeys, log, { ...mode, ...again });
  let run: Promise<unknown>;
  try {
    // Before the config's checks read the tree: a run killed inside a git checkout left it half-done.
    await repairKilledGit(repoDir);
    const config = applyRunSettings(loadTargetConfig(repoDir), settings);
    const llm = await llmFor(settings, apiKeys);
    run = controller.start({
      config,
      llm,
      secrets: Secrets.of(config.run.secretEnv, process.env, [llm.apiKey]),
      iterations: mode.iterations?.(controller.state) ?? settings.iterations,
      fresh: !resume,
      stepping: mode.stepping ?? settings.stepping,
      levelsNow: mode.levelsNow,
      adopt: mode.adopt,
    });
  } catch (e) {
    await reportStartFailure(e, repoDir, log, retry);
    return;
  }
  log.info(`run started in ${repoDir}: ${settings.iterations} iterations${resume ? ' (resuming the latest run if any)' : ' (fresh run)'}`);
  // The run's own progress is in the views; this says what is being prepared before the first event.
  void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: resume ? 'Autoresearch: resuming the run…' : 'Autoresearch: creating the run branch…' }, async () => {
    let firstEvent: vscode.Disposable | undefined;
    await Promise.race([new Promise<void>((r) => (firstEvent = controller.onEvent(() => r()))), run.catch(() => undefined)]);
    firstEvent?.dispose();
  });
  try {
    await run;
  } catch (e) {
    await reportStartFailure(e, repoDir, log, retry);
  }
}

/**
 * Where LLM calls go, looked up once, here: the API key from secret storage for the endpoint, or
 * a VS Code language model (`chat`) when the `llm.backend` setting says so.
 */
async function llmFor(settings: RunSettings, apiKeys: ApiKeyStore): Promise<{ apiKey?: string; chat?: (onLlmCall: LlmCallListener) => ChatModel }> {
  if (settings.llmBackend !== 'vscode') return { apiKey: await apiKeys.get() };
  const models = await vscode.lm.selectChatModels(settings.languageModel ? { id: settings.languageModel } : undefined);
  if (!models.length) {
    throw new NoLanguageModelError(
      settings.languageModel
        ? `the VS Code language model ${settings.languageModel} is not available (is its provider extension installed and signed in?)`
        : 'no VS Code language model is available: install a chat model provider, or use an OpenAI-compatible endpoint',
    );
  }
  return { chat: (onLlmCall) => new LanguageModelChat(models[0], onLlmCall) };
}

async function reportStartFailure(e: unknown, repoDir: string, log: vscode.LogOutputChannel, retry: (again: StartMode) => Promise<void>): Promise<void> {
  const message = e instanceof Error ? e.message : String(e);
  log.error(message);
  if (e instanceof MissingApiKeyError) {
    const choice = await vscode.window.showErrorMessage(`Autoresearch: ${missingKeyMessageFrom(message)}`, 'Set API Key', 'Select Model');
    if (choice === 'Set API Key') await vscode.commands.executeCommand(COMMANDS.setApiKey);
    if (choice === 'Select Model') await vscode.commands.executeCommand(COMMANDS.selectModel);
  } else if (e instanceof NoLanguageModelError) {
    const choice = await vscode.window.showErrorMessage(`Autoresearch: ${message}`, 'Select Model');
    if (choice) await vscode.commands.executeCommand(COMMANDS.selectModel);
  } else if (e instanceof ConfigError) {
    const choice = await vscode.window.showErrorMessage(`Autoresearch: ${message}`, `Open ${CONFIG_FILE}`);
    if (choice) await vscode.window.showTextDocument(vscode.Uri.file(join(repoDir, CONFIG_FILE)));
  } else if (e instanceof UserWorkFound) {
    // The user's commit is where the run was about to write: take it up as the new baseline, or start over.
    const choice = await vscode.window.showWarningMessage(`Autoresearch: ${message}`, ...userWorkChoices(e.found));
    if (choice === 'Adopt My Commit') await retry({ resume: true, fresh: false, adopt: true });
    if (choice === 'New Run') await retry({ resume: false, fresh: true, adopt: false });
  } else if (e instanceof GitError) {
    void vscode.window.showErrorMessage(`Autoresearch: ${message}`);
  } else {
    const choice = await vscode.window.showErrorMessage(`Autoresearch: the run stopped with an error: ${message}`, 'Open Log');
    if (choice) log.show();
  }
}
