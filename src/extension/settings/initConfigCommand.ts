import { proposeConfig } from '../../core';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { CONFIG_FILE_NAME as CONFIG_FILE } from './configFile';

/**
 * The welcome view's "Create Config": the engine's init (`bilevel init`) inspects the repo and
 * writes autoresearch.config.json, which is then opened for review. Resolves to whether one was written.
 */
export async function initConfig(repoDir: string, log: vscode.LogOutputChannel): Promise<boolean> {
  const path = join(repoDir, CONFIG_FILE);
  if (existsSync(path)) {
    await vscode.window.showTextDocument(vscode.Uri.file(path));
    return true;
  }
  try {
    const { config, notes } = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Autoresearch: inspecting the repo…' },
      async () => proposeConfig(repoDir),
    );
    writeFileSync(path, JSON.stringify(config, null, 2) + '\n');
    log.info(`wrote ${path}\n  ${notes.join('\n  ')}`);
    await vscode.window.showTextDocument(vscode.Uri.file(path));
    void vscode.window.showInformationMessage(`Autoresearch: wrote ${CONFIG_FILE} (${notes.join('; ')}). Review it and commit it, then start a run.`);
    return true;
  } catch (e) {
    void vscode.window.showErrorMessage(`Autoresearch: ${(e as Error).message}`);
    return false;
  }
}
