import * as vscode from 'vscode';
import type { MechanismRef } from '../views/mechanismsTreeProvider';
import type { ResearchRunController } from '../run/researchRunController';

export type Verdict = 'accept' | 'reject';

/**
 * Accept or Reject a mechanism awaiting review. During a run here the verdict goes through the run
 * (one process writes the trace; it applies at the next level boundary); otherwise the engine's
 * mechanismReview merges the mechanism branch onto the run branch (accept) or records the
 * rejection, and the views reload from the trace.
 */
export async function judgeMechanism(ref: MechanismRef, verdict: Verdict, controller: ResearchRunController, log: vscode.LogOutputChannel): Promise<void> {
  const m = controller.stateOf(ref.tag)?.mechanisms.get(ref.name);
  if (!m) {
    void vscode.window.showWarningMessage(`Autoresearch: no mechanism ${ref.name} in run ${ref.tag}.`);
    return;
  }
  if (m.status !== 'awaiting-review' && !(verdict === 'reject' && m.status === 'active')) {
    void vscode.window.showInformationMessage(`Autoresearch: mechanism ${m.name} is ${m.status}; there is nothing to ${verdict}.`);
    return;
  }
  let reason = '';
  if (verdict === 'reject') {
    const answer = await vscode.window.showInputBox({ title: `Reject mechanism ${m.name}`, prompt: 'Why? (recorded in the trace; may be empty)', ignoreFocusOut: true });
    if (answer === undefined) return;
    reason = answer.trim() || 'rejected in review';
  }
  const verb = verdict === 'accept' ? 'accepting' : 'rejecting';
  try {
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Autoresearch: ${verb} mechanism ${m.name}${whenItApplies(controller)}…` }, async () => {
      const inRun = controller.reviewMechanismInRun(m.name, verdict, reason);
      if (inRun) return inRun;
      const { reviewMechanism, loadTargetConfig } = await import('../../core');
      await reviewMechanism(controller.repoDir, loadTargetConfig(controller.repoDir), ref.tag, m.name, verdict, reason);
      controller.reload();
    });
  } catch (e) {
    log.error(`${verb} mechanism ${m.name}: ${(e as Error).message}`);
    void vscode.window.showErrorMessage(`Autoresearch: ${verb} mechanism ${m.name} failed: ${(e as Error).message}`);
    return;
  }
  log.info(`mechanism ${m.name} ${verdict === 'accept' ? 'accepted: merged onto the run branch' : `rejected: ${reason}`}`);
  void vscode.window.showInformationMessage(
    verdict === 'accept' ? `Autoresearch: mechanism ${m.name} is active; it is on the run branch now.` : `Autoresearch: mechanism ${m.name} rejected.`,
  );
}

/** When a verdict given now takes effect: right away, after the current step, or once the gate that holds the step is answered. */
function whenItApplies(controller: ResearchRunController): string {
  const gate = controller.awaitingGate;
  if (gate) return ` once you answer the gate (#${gate.n} waits for Run, Edit or Skip)`;
  return controller.running ? ' after the current step' : '';
}
