import { listModels, MissingApiKeyError, OPENAI_BASE_URL } from '../../core';
import * as vscode from 'vscode';
import type { ApiKeyStore } from './apiKeyStore';
import { SETTINGS_SECTION } from '../commandIds';
import { missingKeyMessageFrom, settingsScopeChoices } from './llmSettingsTarget';
import { modelChoices, type ModelChoice } from './modelChoices';
import { readRunSettings } from '../settings/runSettings';

/**
 * Autoresearch: Select Model. One quick pick with the endpoint's models (`GET /models` through the
 * openai client, the key from secret storage) and VS Code's language models, with entries to change
 * the endpoint URL and to set the key; the choice (`llm.backend`, `llm.model` / `llm.languageModel`,
 * `llm.baseURL`) goes to the user settings, or the workspace settings when the person picks them
 * (never silently into the training repo's .vscode/settings.json). True when a model was chosen.
 */
export async function selectModel(repoDir: string, apiKeys: ApiKeyStore): Promise<boolean> {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION, vscode.Uri.file(repoDir));
  const settings = readRunSettings((k, d) => config.get(k, d));
  const fromConfig = await configuredLlm(repoDir);
  const url = settings.llmBaseURL || fromConfig.baseURL || process.env.OPENAI_BASE_URL || OPENAI_BASE_URL;
  const current = { backend: settings.llmBackend, model: settings.llmModel || fromConfig.model || '', languageModel: settings.languageModel };

  const pick = vscode.window.createQuickPick<vscode.QuickPickItem & { choice?: ModelChoice }>();
  pick.title = 'Autoresearch: Select Model';
  pick.placeholder = 'The model that proposes experiments';
  pick.busy = true;
  pick.matchOnDescription = true;
  pick.show();
  const [endpoint, languageModels] = await Promise.all([
    listModels({ baseURL: url, apiKey: await apiKeys.get() }).then(
      (models) => ({ url, models }),
      (e: unknown) => (e instanceof MissingApiKeyError ? { url, error: missingKeyMessageFrom((e as Error).message), missingKey: true } : { url, error: (e as Error).message }),
    ),
    Promise.resolve(vscode.lm.selectChatModels()).then(
      (ms) => ms.map((m) => ({ id: m.id, name: m.name, vendor: m.vendor, family: m.family })),
      () => [],
    ),
  ]);
  const entries = modelChoices({ endpoint, languageModels, current });
  pick.items = entries.map((e) => (e.separator ? { label: e.label, kind: vscode.QuickPickItemKind.Separator } : { label: e.label, description: e.description, detail: e.detail, choice: e.choice }));
  pick.activeItems = pick.items.filter((_, i) => entries[i].picked);
  pick.busy = false;
  const chosen = await new Promise<ModelChoice | undefined>((resolve) => {
    pick.onDidAccept(() => {
      const c = pick.selectedItems[0]?.choice;
      if (c) resolve(c);
    });
    pick.onDidHide(() => resolve(undefined));
  });
  pick.dispose();
  if (!chosen) return false;

  if ('setKey' in chosen) {
    await apiKeys.promptAndStore();
    return selectModel(repoDir, apiKeys);
  }
  if ('changeUrl' in chosen) {
    const baseURL = await vscode.window.showInputBox({ title: 'Autoresearch: endpoint URL', value: url, prompt: 'An OpenAI-compatible endpoint, e.g. http://localhost:11434/v1', validateInput: (v) => (/^https?:\/\/\S+$/.test(v.trim()) ? undefined : 'an http(s) URL') });
    if (!baseURL?.trim()) return false;
    const scope = await pickScope(config, ['llm.baseURL']);
    if (!scope) return false;
    await config.update('llm.baseURL', baseURL.trim(), scope);
    return selectModel(repoDir, apiKeys);
  }
  if (chosen.backend === 'vscode') {
    const scope = await pickScope(config, ['llm.backend', 'llm.languageModel']);
    if (!scope) return false;
    await config.update('llm.backend', 'vscode', scope);
    await config.update('llm.languageModel', chosen.id, scope);
    void vscode.window.showInformationMessage(`Autoresearch: the LLM proposer uses the VS Code language model ${chosen.id}.`);
    return true;
  }
  const model = 'enterId' in chosen ? await vscode.window.showInputBox({ title: 'Autoresearch: model id', value: current.model, prompt: `A model ${url} serves` }) : chosen.model;
  if (!model?.trim()) return false;
  const scope = await pickScope(config, ['llm.backend', 'llm.model']);
  if (!scope) return false;
  await config.update('llm.backend', 'openai', scope);
  await config.update('llm.model', model.trim(), scope);
  void vscode.window.showInformationMessage(`Autoresearch: the LLM proposer uses ${model.trim()} at ${url}.`);
  return true;
}

/** Asks where the choice goes: user settings (the default) or this repo's workspace settings. */
async function pickScope(config: vscode.WorkspaceConfiguration, keys: string[]): Promise<vscode.ConfigurationTarget | undefined> {
  const workspaceHasValue = keys.some((k) => config.inspect(k)?.workspaceValue !== undefined);
  const entries = settingsScopeChoices(workspaceHasValue);
  const picked = await vscode.window.showQuickPick(entries.map((e) => ({ label: e.label, detail: e.detail, scope: e.scope })), { title: 'Autoresearch: save the choice in…' });
  if (!picked) return undefined;
  return picked.scope === 'user' ? vscode.ConfigurationTarget.Global : vscode.ConfigurationTarget.Workspace;
}

/** llm.baseURL and llm.model of autoresearch.config.json; empty when it cannot be read (Select Model still works). */
async function configuredLlm(repoDir: string): Promise<{ baseURL?: string; model?: string }> {
  try {
    const { loadTargetConfig } = await import('../../core');
    const { llm } = loadTargetConfig(repoDir);
    return { baseURL: llm.baseURL, model: llm.model };
  } catch {
    return {};
  }
}
