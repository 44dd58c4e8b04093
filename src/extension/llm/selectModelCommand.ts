import { listModels, OPENAI_BASE_URL } from '../../core';
import * as vscode from 'vscode';
import type { ApiKeyStore } from './apiKeyStore';
import { SETTINGS_SECTION } from '../commandIds';
import { modelChoices, type ModelChoice } from './modelChoices';
import { readRunSettings } from '../settings/runSettings';

/**
 * Autoresearch: Select Model. One quick pick with the endpoint's models (`GET /models` through the
 * openai client, the key from secret storage) and VS Code's language models; the choice goes to
 * the workspace settings `llm.backend` and `llm.model` / `llm.languageModel`.
 */
export async function selectModel(repoDir: string, apiKeys: ApiKeyStore): Promise<void> {
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
      (e: unknown) => ({ url, error: (e as Error).message }),
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
  if (!chosen) return;

  const target = vscode.ConfigurationTarget.Workspace;
  if (chosen.backend === 'vscode') {
    await config.update('llm.backend', 'vscode', target);
    await config.update('llm.languageModel', chosen.id, target);
    void vscode.window.showInformationMessage(`Autoresearch: the LLM proposer uses the VS Code language model ${chosen.id}.`);
    return;
  }
  const model = 'enterId' in chosen ? await vscode.window.showInputBox({ title: 'Autoresearch: model id', value: current.model, prompt: `A model ${url} serves` }) : chosen.model;
  if (!model?.trim()) return;
  await config.update('llm.backend', 'openai', target);
  await config.update('llm.model', model.trim(), target);
  void vscode.window.showInformationMessage(`Autoresearch: the LLM proposer uses ${model.trim()} at ${url}.`);
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
