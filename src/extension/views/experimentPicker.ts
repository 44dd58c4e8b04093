import * as vscode from 'vscode';
import { isExperimentRef, type ExperimentRef } from './experimentRef';
import { presentExperiment, type ExperimentPresentation } from './experimentPresentation';
import type { ResearchRunController } from '../run/researchRunController';

/**
 * The experiment a command is about: its argument when it came from the view or the dashboard,
 * else one picked from the shown run (newest first) among those `usable` for the command.
 */
export async function resolveExperimentRef(
  arg: unknown,
  controller: ResearchRunController,
  usable: (p: ExperimentPresentation) => boolean,
  placeHolder: string,
): Promise<ExperimentRef | undefined> {
  if (isExperimentRef(arg)) return arg;
  const state = controller.state;
  if (!state) {
    void vscode.window.showInformationMessage('Autoresearch: no run yet in this workspace.');
    return undefined;
  }
  const items = [...state.experiments]
    .reverse()
    .map((x) => ({ x, p: presentExperiment(x, state, controller.running) }))
    .filter(({ p }) => usable(p))
    .map(({ x, p }) => ({ label: p.label, description: p.description, ref: { tag: state.tag, n: x.n } }));
  if (!items.length) {
    void vscode.window.showInformationMessage(`Autoresearch: no experiment of run ${state.tag} has that yet.`);
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true }))?.ref;
}
