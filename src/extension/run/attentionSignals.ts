import * as vscode from 'vscode';
import { badgeFor, noticeFor, waitingItems, waitingMessage, type Notice, type Waiting } from './attention';
import type { ResearchRunController } from './researchRunController';

/** A waiting item gone within this long (an auto-activated mechanism passes through "awaiting review") gets no notice. */
const SETTLE_MS = 800;

/**
 * Tells the person what needs them: a badge on the Autoresearch view container counting what waits
 * (the gate, mechanisms to review), a notice for each such item that closes itself once it is
 * answered anywhere (a progress notification: message notifications cannot be closed by an
 * extension, so a stale "Run / Skip" would stay), and one-off notices for run completed or failed,
 * new best and failed validation, each with the action that resolves it.
 */
export class AttentionSignals implements vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[];
  /** Open waiting notices by key: calling the function closes the notice. */
  private readonly open = new Map<string, () => void>();
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();
  private decidedHere = 0;

  constructor(
    private readonly controller: ResearchRunController,
    private readonly view: vscode.TreeView<unknown>,
  ) {
    this.subscriptions = [
      controller.onDidChange(() => this.reconcile()),
      controller.onEvent((e) => {
        if (e.type === 'run.started' || e.type === 'run.resumed') this.decidedHere = 0;
        if (e.type === 'experiment.decided') this.decidedHere++;
        const notice = noticeFor(e, controller.state, this.decidedHere);
        if (notice) void this.show(notice);
      }),
    ];
    this.reconcile();
  }

  /** Brings the badge and the waiting notices in line with what waits now. */
  private reconcile(): void {
    const gate = this.controller.awaitingGate;
    const items = waitingItems(this.controller.state, gate ? { n: gate.n, description: gate.description } : null);
    this.view.badge = badgeFor(items);
    const keys = new Set(items.map((i) => i.key));
    for (const [key, close] of this.open) {
      if (!keys.has(key)) {
        close();
        this.open.delete(key);
      }
    }
    for (const [key, timer] of this.pending) {
      if (!keys.has(key)) {
        clearTimeout(timer);
        this.pending.delete(key);
      }
    }
    for (const item of items) {
      if (this.open.has(item.key) || this.pending.has(item.key)) continue;
      this.pending.set(
        item.key,
        setTimeout(() => {
          this.pending.delete(item.key);
          this.openWaiting(item);
        }, SETTLE_MS),
      );
    }
  }

  private openWaiting(item: Waiting): void {
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: waitingMessage(item) }, () => new Promise<void>((resolve) => this.open.set(item.key, resolve)));
  }

  private async show(n: Notice): Promise<void> {
    const show = n.severity === 'error' ? vscode.window.showErrorMessage : n.severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    const choice = await show(n.message, ...n.actions.map((a) => a.label));
    const action = n.actions.find((a) => a.label === choice);
    if (action) await vscode.commands.executeCommand(action.command, ...(action.args ?? []));
  }

  dispose(): void {
    for (const close of this.open.values()) close();
    for (const timer of this.pending.values()) clearTimeout(timer);
    for (const s of this.subscriptions) s.dispose();
  }
}
