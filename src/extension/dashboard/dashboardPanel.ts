import { join } from 'node:path';
import * as vscode from 'vscode';
import { dashboardHtml, makeNonce } from '../../shared/dashboardHtml';
import type { ToWebview } from '../../shared/protocol';
import { readConfigFrozen } from '../settings/configFile';
import { DashboardFeed, lastSeq } from './dashboardFeed';
import { routeDashboardMessage } from './dashboardMessages';
import type { ExperimentRef } from '../views/experimentRef';
import type { ResearchRunController } from '../run/researchRunController';
import { readRunPayloads } from '../run/runTraceReader';

/** Live events are sent at most this often: one message per burst keeps the webview responsive. */
const FLUSH_MS = 100;

/**
 * Open Dashboard: the webview bundle (dist/webview) in a panel, with the HTML and CSP of
 * src/shared/dashboardHtml.ts. On the webview's `ready` it gets every run's trace (`init`), then
 * the live run's events as they happen; its "open diff" / "open log" clicks come back as commands.
 */
export class DashboardPanel implements vscode.Disposable {
  static readonly viewType = 'bilevelAutoresearch.dashboard';
  private panel: vscode.WebviewPanel | undefined;
  private readonly feed = new DashboardFeed();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly controller: ResearchRunController,
    private readonly log: vscode.LogOutputChannel,
    private readonly actions: { openDiff: (ref: ExperimentRef) => Promise<void>; openLog: (ref: ExperimentRef) => Promise<void> },
  ) {
    this.subscription = controller.onEvent((e) => {
      const tag = controller.state?.tag;
      if (!this.panel || !tag) return;
      this.feed.add(tag, e);
      this.scheduleFlush();
    });
  }

  /** Opens the dashboard, or brings it to the front; `tag` selects a run in it. */
  show(tag?: string): void {
    if (this.panel) {
      this.panel.reveal();
      if (tag) void this.post({ type: 'select', tag });
      return;
    }
    const root = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const panel = (this.panel = vscode.window.createWebviewPanel(DashboardPanel.viewType, 'Autoresearch Dashboard', vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [root],
    }));
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'activity-bar.svg');
    const w = panel.webview;
    w.html = dashboardHtml({
      scriptUri: w.asWebviewUri(vscode.Uri.joinPath(root, 'dashboard.js')).toString(),
      styleUri: w.asWebviewUri(vscode.Uri.joinPath(root, 'dashboard.css')).toString(),
      cspSource: w.cspSource,
      nonce: makeNonce(),
      title: 'Autoresearch Dashboard',
    });
    w.onDidReceiveMessage((m: unknown) =>
      routeDashboardMessage(m, {
        ready: () => this.init(tag),
        openDiff: (ref) => this.actions.openDiff(ref),
        openLog: (ref) => this.actions.openLog(ref),
        exportChart: (file) => this.saveChart(file.bytes, file.fileName),
        error: (message) => this.log.error(`dashboard: ${message}`),
      }).catch((e: unknown) => this.log.error(`dashboard: ${(e as Error).message}`)),
    );
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.feed.reset();
      if (this.flushTimer) clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    });
  }

  /** Every run's trace as it is on disk now; live events after it follow through the feed. */
  private async init(selected?: string): Promise<void> {
    this.feed.reset();
    const runs = readRunPayloads(this.controller.repoDir, readConfigFrozen(this.controller.repoDir));
    for (const r of runs) this.feed.initialized(r.tag, lastSeq(r.traceJsonl ?? ''));
    await this.post({ type: 'init', runs, selected: selected ?? this.controller.state?.tag });
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushTimer || !this.feed.pending) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      for (const m of this.feed.take()) void this.post(m);
    }, FLUSH_MS);
  }

  private async post(m: ToWebview): Promise<void> {
    if (this.panel) await this.panel.webview.postMessage(m);
  }

  private async saveChart(bytes: Buffer, fileName: string): Promise<void> {
    const uri = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(join(this.controller.repoDir, fileName)), title: 'Save the progress chart' });
    if (!uri) return;
    await vscode.workspace.fs.writeFile(uri, bytes);
    void vscode.window.showInformationMessage(`Autoresearch: saved ${uri.fsPath}`);
  }

  dispose(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.subscription.dispose();
    this.panel?.dispose();
  }
}
