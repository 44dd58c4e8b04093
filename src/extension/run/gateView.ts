import * as vscode from 'vscode';
import { makeNonce } from '../../shared/dashboardHtml';
import { COMMANDS, GATE_VIEW } from '../commandIds';
import { presentGate, type GatePresentation } from './gatePresentation';
import type { ResearchRunController } from './researchRunController';

/** What the view's buttons send: the gate command they stand for. */
const ANSWERS: Record<string, string> = { run: COMMANDS.gateRun, edit: COMMANDS.gateEdit, skip: COMMANDS.gateSkip };

/**
 * The candidate at the stepping gate, in a view of the Autoresearch container that stays until the
 * gate is answered: what it is, the hypothesis, who proposed it, what it changes, and labelled Run /
 * Edit / Skip buttons (the same commands as the editor title, the palette and the keybindings).
 */
export class GateView implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private readonly subscriptions: vscode.Disposable[];
  private shownKey = '';

  constructor(private readonly controller: ResearchRunController) {
    this.subscriptions = [vscode.window.registerWebviewViewProvider(GATE_VIEW, this, { webviewOptions: { retainContextWhenHidden: true } }), controller.onDidChange(() => this.render())];
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = { enableScripts: true, localResourceRoots: [] };
    view.webview.onDidReceiveMessage((m: { answer?: string }) => {
      const gate = this.controller.awaitingGate;
      const tag = this.controller.state?.tag;
      if (m.answer === 'diff' && gate && tag) void vscode.commands.executeCommand(COMMANDS.showExperimentDiff, { tag, n: gate.n });
      const command = m.answer ? ANSWERS[m.answer] : undefined;
      if (command) void vscode.commands.executeCommand(command);
    });
    view.onDidDispose(() => (this.view = undefined));
    this.shownKey = '';
    this.render();
  }

  /** Brings the view to the front without taking focus from the diff (the keybindings work there). */
  async reveal(): Promise<void> {
    if (this.view) this.view.show(true);
    else await vscode.commands.executeCommand(`${GATE_VIEW}.focus`);
  }

  private render(): void {
    if (!this.view) return;
    const gate = this.controller.awaitingGate;
    const state = this.controller.state;
    const p = gate && state ? presentGate(state, gate) : null;
    const key = p ? JSON.stringify(p) : '';
    if (key === this.shownKey) return;
    this.shownKey = key;
    this.view.description = p ? `#${p.n}` : undefined;
    this.view.webview.html = gateHtml(p, makeNonce());
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function gateHtml(p: GatePresentation | null, nonce: string): string {
  const body = p
    ? `<h2 data-testid="gate-title">#${p.n} ${esc(p.description)}</h2>
<div class="buttons">
  <button data-answer="run" title="Train it (Ctrl+Alt+Enter)">Run</button>
  <button data-answer="edit" class="secondary" title="Change the files first, then Run">Edit</button>
  <button data-answer="skip" class="secondary" title="Do not train it (Ctrl+Alt+Backspace)">Skip</button>
</div>
<p class="meta">proposed by <strong data-testid="gate-proposer">${esc(p.proposedBy)}</strong></p>
${p.hypothesis ? `<p data-testid="gate-hypothesis"><em>Hypothesis:</em> ${esc(p.hypothesis)}</p>` : ''}
${p.changes.length ? `<pre class="diff" data-testid="gate-changes">${p.changes.map((c) => `<span class="del">- ${esc(c.name)} = ${esc(c.from)}</span>\n<span class="add">+ ${esc(c.name)} = ${esc(c.to)}</span>`).join('\n')}</pre>` : ''}
<p><a href="#" data-answer="diff">Show the diff</a> · keys: Ctrl+Alt+Enter Run, Ctrl+Alt+E Edit, Ctrl+Alt+Backspace Skip</p>`
    : '<p>No candidate waits at the gate.</p>';
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<style nonce="${nonce}">
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 8px; }
h2 { font-size: 1.1em; margin: 8px 0 4px; overflow-wrap: anywhere; }
.meta { color: var(--vscode-descriptionForeground); margin: 0 0 6px; }
pre.diff { font-family: var(--vscode-editor-font-family); white-space: pre-wrap; background: var(--vscode-textCodeBlock-background); padding: 4px 6px; }
.add { color: var(--vscode-gitDecoration-addedResourceForeground); } .del { color: var(--vscode-gitDecoration-deletedResourceForeground); }
.buttons { display: flex; gap: 6px; margin: 8px 0; }
button { background: var(--vscode-button-background); color: var(--vscode-button-foreground); border: none; padding: 4px 12px; cursor: pointer; }
button.secondary { background: var(--vscode-button-secondaryBackground); color: var(--vscode-button-secondaryForeground); }
a { color: var(--vscode-textLink-foreground); }
</style></head><body>${body}
<script nonce="${nonce}">
const vscode = acquireVsCodeApi();
for (const el of document.querySelectorAll('[data-answer]')) el.addEventListener('click', (e) => { e.preventDefault(); vscode.postMessage({ answer: el.dataset.answer }); });
</script></body></html>`;
}
