import { runsDir } from '../../core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ExperimentRef } from './experimentRef';
import type { ResearchRunController } from '../run/researchRunController';

/** Opens an experiment's full training output, `.autoresearch/runs/<tag>/logs/<n>.log`. */
export async function openExperimentLog(ref: ExperimentRef, controller: ResearchRunController): Promise<void> {
  const x = controller.stateOf(ref.tag)?.experiments.find((y) => y.n === ref.n);
  const path = x?.training?.log || join(runsDir(controller.repoDir), ref.tag, 'logs', `${ref.n}.log`);
  if (!existsSync(path)) {
    void vscode.window.showInformationMessage(`Autoresearch: experiment #${ref.n} has no training log (it was not trained).`);
    return;
  }
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path));
  await vscode.window.showTextDocument(doc, { preview: true });
}
