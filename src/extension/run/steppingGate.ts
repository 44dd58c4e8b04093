import { changedFiles, fileAt, type TrainingGate } from '../../core';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { showExperimentDiff } from '../git/experimentDiff';
import { firstChangedLine } from './gatePresentation';
import type { ResearchRunController } from './researchRunController';

/**
 * Stepping: when the run stops before training a candidate, its change opens as a diff; Run / Edit /
 * Skip are commands in the editor title, the palette and the gate's notice (AttentionSignals), which
 * closes itself once the gate is answered any way. Edit opens the
 * candidate's files in the checkout the run trains in; Run saves them and the engine commits the
 * edits as a new commit before training.
 */
export class SteppingGate implements vscode.Disposable {
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly controller: ResearchRunController,
    /** Shows the gate view (without taking focus). */
    private readonly revealGate: () => Promise<void>,
  ) {
    this.subscription = controller.onDidOpenGate((gate) => void this.present(gate));
  }

  private async present(gate: TrainingGate): Promise<void> {
    await this.revealGate();
    const tag = this.controller.state?.tag;
    if (tag) await showExperimentDiff({ tag, n: gate.n }, this.controller);
  }

  /** Trains the candidate, with the person's edits saved first. */
  async run(): Promise<void> {
    const gate = this.controller.awaitingGate;
    if (!gate) return;
    const root = gate.checkout.endsWith('/') ? gate.checkout : `${gate.checkout}/`;
    // workspace.save asks the editor, whose dirty state is the truth: the extension host's copy
    // (TextDocument.isDirty) can lag behind the last keystrokes.
    const inCheckout = vscode.workspace.textDocuments.filter((d) => d.uri.scheme === 'file' && d.uri.fsPath.startsWith(root));
    for (const d of inCheckout) await vscode.workspace.save(d.uri);
    this.controller.answerGate('run');
  }

  skip(): void {
    this.controller.answerGate('skip');
  }

  /** Opens the files the candidate changed, as they are in the checkout, with the cursor on the first change. */
  async edit(): Promise<void> {
    const gate = this.controller.awaitingGate;
    if (!gate) return;
    const files = await changedFiles(gate.checkout, gate.parent, gate.commit);
    for (const [i, f] of files.entries()) {
      const [before, after] = await Promise.all([fileAt(gate.checkout, gate.parent, f), fileAt(gate.checkout, gate.commit, f)]);
      const line = firstChangedLine(before ?? '', after ?? '');
      const selection = new vscode.Range(line, 0, line, 0);
      await vscode.window.showTextDocument(vscode.Uri.file(join(gate.checkout, f)), { preview: false, preserveFocus: i > 0, selection });
    }
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
