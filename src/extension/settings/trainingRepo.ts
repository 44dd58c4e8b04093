import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { CONFIG_FILE_NAME as CONFIG_FILE } from './configFile';

/**
 * The training repo the extension works on: the first workspace folder holding
 * autoresearch.config.json, else the first folder (where init would write one). Undefined with no
 * folder open.
 */
export function findTrainingRepo(): { dir: string; hasConfig: boolean } | undefined {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  const withConfig = folders.find((f) => existsSync(join(f.uri.fsPath, CONFIG_FILE)));
  if (withConfig) return { dir: withConfig.uri.fsPath, hasConfig: true };
  return folders[0] ? { dir: folders[0].uri.fsPath, hasConfig: false } : undefined;
}
