import { bestBranchName, finalizeRun, FinalizeRefused } from '../../core';
import * as vscode from 'vscode';
import type { ResearchRunController } from '../run/researchRunController';
import { branchNameProblem, finalizedMessage, liveRunQuestion } from './finalizeOutcome';

/**
 * Autoresearch: Create Branch from Best. Takes the run's best result home through core's
 * finalizeRun: a new branch from where the run started with the winning change as one commit, and
 * report.md beside the trace. A run going on in this window is paused first if the person agrees
 * (finalize refuses a live run); a run the CLI holds is refused by finalize with its reason.
 */
export async function createBranchFromBest(controller: ResearchRunController, log: vscode.LogOutputChannel, tagArg?: string): Promise<void> {
  const tag = tagArg ?? controller.state?.tag;
  if (!tag) {
    void vscode.window.showInformationMessage('Autoresearch: no run yet, so no best to take home.');
    return;
  }
  if (controller.running && controller.state?.tag === tag) {
    const pause = 'Pause, Then Create';
    if ((await vscode.window.showWarningMessage(liveRunQuestion(tag), { modal: true }, pause)) !== pause) return;
    controller.pause();
    await controller.whenIdle();
  }
  const branch = await vscode.window.showInputBox({
    title: 'Create Branch from Best',
    prompt: `A new branch from where run ${tag} started, holding its best result as one commit (without .autoresearch/)`,
    value: bestBranchName(tag),
    validateInput: branchNameProblem,
  });
  if (!branch) return;
  try {
    const r = await finalizeRun(controller.repoDir, tag, { branch: branch.trim() });
    const message = finalizedMessage(r);
    log.info(`${message} Report: ${r.report}`);
    const open = 'Open Report';
    if ((await vscode.window.showInformationMessage(message, open)) === open) await vscode.window.showTextDocument(vscode.Uri.file(r.report));
  } catch (e) {
    if (!(e instanceof FinalizeRefused)) throw e;
    log.warn(`create branch from best: ${e.message}`);
    void vscode.window.showWarningMessage(`Autoresearch: ${e.message}`);
  }
}
