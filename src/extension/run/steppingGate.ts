import { changedFiles, type TrainingGate } from '../../core';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { showExperimentDiff } from '../git/experimentDiff';
import type { ResearchRunController } from './researchRunController';

/**
 * Stepping: when the run stops before training a candidate, its change opens as a diff and a
 * notification asks Run / Edit / Skip (the same three are commands in the editor title and the
 * palette while the run waits, so a dismissed notification loses nothing). Edit opens the
 * candidate's files in the checkout the run trains in; Run saves them and the engine commits the
 * edits as a new commit before training.
 */
export class SteppingGate implements vscode.Disposable {
  private readonly subscription: vscode.Disposable;

  constructor(private readonly controller: ResearchRunController) {
    this.subscription = controller.onDidOpenGate((gate) => void this.present(gate));
  }

  private async present(gate: TrainingGate): Promise<void> {
    const tag = this.controller.state?.tag;
    if (tag) await showExperimentDiff({ tag, n: gate.n }, this.controller);
    await this.ask(gate, `Autoresearch #${gate.n}: ${gate.description}. Train it?`, ['Run', 'Edit', 'Skip']);
  }

  private async ask(gate: TrainingGate, message: string, actions: string[]): Promise<void> {
    const choice = await vscode.window.showInformationMessage(message, ...actions);
    // The answer may have come another way (a command, Stop) while the notification was up.
    if (this.controller.awaitingGate !== gate) return;
    if (choice === 'Run') await this.run();
    else if (choice === 'Skip') this.skip();
    else if (choice === 'Edit') await this.edit();
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

  /** Opens the files the candidate changed, as they are in the checkout, for editing. */
  async edit(): Promise<void> {
    const gate = this.controller.awaitingGate;
    if (!gate) return;
    const files = await changedFiles(gate.checkout, gate.parent, gate.commit);
    for (const [i, f] of files.entries()) {
      await vscode.window.showTextDocument(vscode.Uri.file(join(gate.checkout, f)), { preview: false, preserveFocus: i > 0 });
    }
    await this.ask(gate, `Autoresearch #${gate.n}: change the candidate in the editor, then Run (your edits are saved and committed) or Skip.`, ['Run', 'Skip']);
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
