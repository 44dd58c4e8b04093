import * as vscode from 'vscode';
import { COMMANDS, CONTEXT } from '../commandIds';
import { GIT_SHOW_SCHEME, parseGitShowUri } from '../git/gitShowUri';
import { isReviewable } from '../views/mechanismPresentation';
import type { MechanismRef } from '../views/mechanismsTreeProvider';
import type { ResearchRunController } from '../run/researchRunController';

/**
 * "Accept mechanism" / "Reject" on a mechanism's diff: CodeLenses on the proposed side (shown where
 * `diffEditor.codeLens` is on; VS Code hides lenses in diffs by default), and the
 * `mechanismDiff` context key for the editor title actions, both only while the mechanism awaits
 * review.
 */
export class MechanismCodeLens implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changeEmitter.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly controller: ResearchRunController) {
    this.subscriptions = [
      vscode.languages.registerCodeLensProvider({ scheme: GIT_SHOW_SCHEME }, this),
      controller.onDidChange(() => {
        this.changeEmitter.fire();
        this.updateContext();
      }),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateContext()),
    ];
    this.updateContext();
  }

  /** The mechanism under review in this document, when it is the proposed side and still awaits review. */
  reviewedIn(uri: vscode.Uri): MechanismRef | undefined {
    if (uri.scheme !== GIT_SHOW_SCHEME) return undefined;
    let target;
    try {
      target = parseGitShowUri(uri.path, uri.query);
    } catch {
      return undefined;
    }
    if (!target.mechanism) return undefined;
    const m = this.controller.stateOf(target.mechanism.tag)?.mechanisms.get(target.mechanism.name);
    return m && isReviewable(m) && target.ref === m.commit ? target.mechanism : undefined;
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const ref = this.reviewedIn(doc.uri);
    if (!ref) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    return [
      new vscode.CodeLens(top, { title: `$(check) Accept mechanism ${ref.name}`, command: COMMANDS.acceptMechanism, arguments: [ref], tooltip: 'Merge it onto the run branch and activate it' }),
      new vscode.CodeLens(top, { title: '$(close) Reject', command: COMMANDS.rejectMechanism, arguments: [ref], tooltip: 'Record the rejection; the branch stays for the record' }),
    ];
  }

  private updateContext(): void {
    const uri = vscode.window.activeTextEditor?.document.uri;
    void vscode.commands.executeCommand('setContext', CONTEXT.mechanismDiff, !!uri && this.reviewedIn(uri) !== undefined);
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
    this.changeEmitter.dispose();
  }
}
