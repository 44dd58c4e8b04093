import { changedFiles } from '../../core';
import * as vscode from 'vscode';
import type { ExperimentRef } from '../views/experimentRef';
import { experimentTitle, presentExperiment } from '../views/experimentPresentation';
import { gitShowUri } from './gitShowContentProvider';
import type { ResearchRunController } from '../run/researchRunController';

/**
 * Opens an experiment's change: its commit against its parent (the best commit it was built on),
 * as read-only `autoresearch-git:` documents. One file opens in `vscode.diff`, several in
 * `vscode.changes`. A cache hit shows the change of the experiment it repeated.
 */
export async function showExperimentDiff(ref: ExperimentRef, controller: ResearchRunController): Promise<void> {
  const state = controller.stateOf(ref.tag);
  const x = state?.experiments.find((y) => y.n === ref.n);
  if (!state || !x) {
    void vscode.window.showWarningMessage(`Autoresearch: no experiment #${ref.n} in run ${ref.tag}.`);
    return;
  }
  if (x.baseline) {
    void vscode.window.showInformationMessage('Autoresearch: the baseline trains your code unchanged; there is no change to show.');
    return;
  }
  const commit = presentExperiment(x, state, controller.running).diffCommit;
  if (!commit) {
    void vscode.window.showInformationMessage(`Autoresearch: experiment #${x.n} was never committed (${x.result ?? 'in progress'}); no change to show.`);
    return;
  }
  const repo = controller.repoDir;
  const parent = `${commit}^`;
  const files = await changedFiles(repo, parent, commit);
  const title = `#${x.n} ${experimentTitle(x)}`;
  if (!files.length) {
    void vscode.window.showInformationMessage(`Autoresearch: ${title} changes no file.`);
    return;
  }
  const sides = (path: string) => [gitShowUri({ repo, ref: parent, path }), gitShowUri({ repo, ref: commit, path })] as const;
  if (files.length === 1) {
    const [left, right] = sides(files[0]);
    await vscode.commands.executeCommand('vscode.diff', left, right, `${files[0]} (${title})`, { preview: true });
    return;
  }
  const resources = files.map((f) => {
    const [left, right] = sides(f);
    return [right, left, right];
  });
  await vscode.commands.executeCommand('vscode.changes', title, resources);
}
