import { changedFiles, mergeBase } from '../../core';
import * as vscode from 'vscode';
import { gitShowUri } from '../git/gitShowContentProvider';
import type { MechanismRef } from '../views/mechanismsTreeProvider';
import type { ResearchRunController } from '../run/researchRunController';

/**
 * Review: a mechanism's branch against the run branch, from where the two parted (so only what
 * the mechanism adds shows, not what the run did since). The module opens in `vscode.diff`, with
 * Accept / Reject on it while the mechanism awaits review.
 */
export async function showMechanismDiff(ref: MechanismRef, controller: ResearchRunController): Promise<void> {
  const state = controller.stateOf(ref.tag);
  const m = state?.mechanisms.get(ref.name);
  if (!state || !m) {
    void vscode.window.showWarningMessage(`Autoresearch: no mechanism ${ref.name} in run ${ref.tag}.`);
    return;
  }
  const repo = controller.repoDir;
  const base = (await mergeBase(repo, state.branch, m.commit)) ?? `${m.commit}^`;
  const files = await changedFiles(repo, base, m.commit);
  // The module first: it is what a person reviews; mechanisms.json and the like follow.
  files.sort((a, b) => Number(b === m.file) - Number(a === m.file));
  const mechanism = { tag: ref.tag, name: ref.name };
  const sides = (path: string) => [gitShowUri({ repo, ref: base, path, mechanism }), gitShowUri({ repo, ref: m.commit, path, mechanism })] as const;
  // Short: the branches are in the review panel; a 150-character tab title helps nobody.
  const title = `mechanism ${m.name}`;
  if (!files.length) {
    void vscode.window.showInformationMessage(`Autoresearch: ${title} changes no file.`);
    return;
  }
  const [left, right] = sides(files[0]);
  await vscode.commands.executeCommand('vscode.diff', left, right, `${files[0]} (${title})`, { preview: false });
}
