import { fileAt } from '../../core';
import * as vscode from 'vscode';
import { makeNonce } from '../../shared/dashboardHtml';
import { COMMANDS } from '../commandIds';
import type { ResearchRunController } from '../run/researchRunController';
import { readRunEvents } from '../run/runTraceReader';
import type { MechanismRef } from '../views/mechanismsTreeProvider';
import { mechanismDossier, type MechanismDossier } from './mechanismDossier';

/**
 * One review panel per mechanism, like a pull request: its dossier (diagnosis, rationale, research
 * steps, validation checks with output, replay result, the code wrapped inline) and labelled Accept
 * / Reject buttons (Reject asks why). It follows the mechanism's status while open.
 */
export class MechanismReviewPanels implements vscode.Disposable {
  private readonly panels = new Map<string, { panel: vscode.WebviewPanel; ref: MechanismRef; shown: string }>();
  private readonly subscription: vscode.Disposable;

  constructor(private readonly controller: ResearchRunController) {
    this.subscription = controller.onDidChange(() => {
      for (const p of this.panels.values()) void this.render(p);
    });
  }

  async show(ref: MechanismRef): Promise<void> {
    const key = `${ref.tag}/${ref.name}`;
    const open = this.panels.get(key);
    if (open) {
      open.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel('bilevelAutoresearch.mechanismReview', `Review: ${ref.name}`, vscode.ViewColumn.Active, { enableScripts: true, localResourceRoots: [] });
    const entry = { panel, ref, shown: '' };
    this.panels.set(key, entry);
    panel.onDidDispose(() => this.panels.delete(key));
    panel.webview.onDidReceiveMessage((m: { verdict?: string }) => {
      if (m.verdict === 'accept') void vscode.commands.executeCommand(COMMANDS.acceptMechanism, ref);
      else if (m.verdict === 'reject') void vscode.commands.executeCommand(COMMANDS.rejectMechanism, ref);
      else if (m.verdict === 'diff') void vscode.commands.executeCommand(COMMANDS.showMechanismDiff, ref);
    });
    await this.render(entry);
  }

  private async render(entry: { panel: vscode.WebviewPanel; ref: MechanismRef; shown: string }): Promise<void> {
    const m = this.controller.stateOf(entry.ref.tag)?.mechanisms.get(entry.ref.name);
    if (!m) return;
    const code = (await fileAt(this.controller.repoDir, m.commit, m.file)) ?? '';
    const gate = this.controller.awaitingGate;
    const d = mechanismDossier(m, readRunEvents(this.controller.repoDir, entry.ref.tag), code);
    const note = gate ? `The run waits at the gate for #${gate.n}: a verdict applies once you answer it (Run, Edit or Skip).` : this.controller.running ? 'A run is going on: a verdict applies after its current step.' : '';
    const key = JSON.stringify([d, note]);
    if (key === entry.shown) return;
    entry.shown = key;
    entry.panel.title = `Review: ${d.name} (${d.status})`;
    entry.panel.webview.html = reviewHtml(d, note, makeNonce());
  }

  dispose(): void {
    this.subscription.dispose();
    for (const p of this.panels.values()) p.panel.dispose();
  }
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const section = (title: string, body: string, testid: string) => (body ? `<h3>${title}</h3><div data-testid="${testid}">${body}</div>` : '');

function reviewHtml(d: MechanismDossier, note: string, nonce: string): string {
  const checks = d.checks.map((c) => `<li class="${c.ok ? 'ok' : 'bad'}"><strong>${c.ok ? '✓' : '✗'} ${esc(c.name)}</strong>: <span>${esc(c.detail)}</span></li>`).join('');
  const steps = d.steps
    .map((s) => `<details><summary>${s.ok ? '✓' : '✗'} ${esc(s.step)}${s.error ? `: ${esc(s.error)}` : ''}</summary><pre>${esc(s.response)}</pre></details>`)
    .join('');
  const lines = d.code.replace(/\n$/, '').split('\n');
  const code = lines.map((l, i) => `<span class="ln">${i + 1}</span><span class="add">+ ${esc(l)}</span>`).join('\n');
  const buttons = [
    d.canAccept && '<button data-verdict="accept">Accept</button>',
    d.canReject && `<button data-verdict="reject" class="secondary">Reject…</button>`,
  ].filter(Boolean);
  return `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<style nonce="${nonce}">
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); max-width: 980px; padding: 0 16px 24px; }
h1 { font-size: 1.4em; margin-bottom: 2px; } h3 { margin: 18px 0 6px; }
.status { display: inline-block; padding: 1px 8px; border-radius: 8px; background: var(--vscode-badge-background); color: var(--vscode-badge-foreground); }
.buttons { display: flex; gap: 8px; margin: 12px 0; align-items: center; }
button { background: var(--vscode-button-background); color: var(--vscode-button-foreground); border: none; padding: 5px 16px; cursor: pointer; font-size: 1em; }
button.secondary { background: var(--vscode-button-secondaryBackground); color: var(--vscode-button-secondaryForeground); }
.note { color: var(--vscode-descriptionForeground); }
li.ok strong { color: var(--vscode-testing-iconPassed); } li.bad strong { color: var(--vscode-testing-iconFailed); }
pre, .code { font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); white-space: pre-wrap; overflow-wrap: anywhere; }
.code { background: var(--vscode-textCodeBlock-background); padding: 6px; }
.ln { display: inline-block; width: 3em; color: var(--vscode-editorLineNumber-foreground); user-select: none; }
.add { background: var(--vscode-diffEditor-insertedLineBackground); }
a { color: var(--vscode-textLink-foreground); }
</style></head><body>
<h1>${esc(d.name)}</h1>
<p><span class="status" data-testid="review-status">${esc(d.status)}</span> ${d.reason ? `<span data-testid="review-reason">${esc(d.reason)}</span>` : ''}</p>
<p>${esc(d.description)}</p>
<div class="buttons">${buttons.join('')}<a href="#" data-verdict="diff">Open the diff in the editor</a></div>
${note && (d.canAccept || d.canReject) ? `<p class="note" data-testid="review-note">${esc(note)}</p>` : ''}
${section('Diagnosis', d.diagnosis && `<p>${esc(d.diagnosis)}</p>`, 'review-diagnosis')}
${section('Rationale', [d.rationale, d.behaviour].filter(Boolean).map((t) => `<p>${esc(t)}</p>`).join(''), 'review-rationale')}
${section('Validation', checks && `<ul>${checks}</ul>`, 'review-checks')}
${section('Replay', d.replay ? `<p>${d.replay.ok ? '✓' : '✗'} ${esc(d.replay.detail)}</p>` : '', 'review-replay')}
${section('Research steps', steps, 'review-steps')}
${section(`Code: ${esc(d.file)} (hooks: ${esc(d.hooks.join(', ') || 'none')})`, `<div class="code">${code}</div>`, 'review-code')}
<script nonce="${nonce}">
const vscode = acquireVsCodeApi();
for (const el of document.querySelectorAll('[data-verdict]')) el.addEventListener('click', (e) => { e.preventDefault(); vscode.postMessage({ verdict: el.dataset.verdict }); });
</script></body></html>`;
}
