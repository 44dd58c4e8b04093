import * as vscode from 'vscode';
import { COMMANDS } from '../commandIds';
import { describeIncumbent, formatDelta, formatMetric, improvementOverBaseline } from '../views/experimentPresentation';
import type { ResearchRunController } from './researchRunController';

/** The status bar item: run state, the iteration in flight, the best metric and its Δ over the baseline. Click: the gate while it waits, else the dashboard. */
export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('bilevelAutoresearch.run', vscode.StatusBarAlignment.Left, 50);
  private readonly subscription: vscode.Disposable;

  constructor(private readonly controller: ResearchRunController) {
    this.item.name = 'Autoresearch run';
    this.item.command = COMMANDS.openDashboard;
    this.subscription = controller.onDidChange(() => this.update());
    this.update();
  }

  update(): void {
    const { state, running, stopping, pausing, awaitingGate } = this.controller;
    const delta = state ? formatDelta(improvementOverBaseline(state)) : '';
    const incumbent = state ? describeIncumbent(state) : '';
    const best = state?.best ? `best ${formatMetric(state.best.metric)}${delta ? ` ${delta}` : ''}${incumbent ? ` · ${incumbent}` : ''}` : '';
    const inFlight = state ? [...state.open.keys()] : [];
    const at = inFlight.length ? ` #${inFlight.join(', #')}` : '';
    let text: string;
    if (stopping) text = '$(loading~spin) Autoresearch: stopping';
    else if (awaitingGate) text = `$(debug-breakpoint-unverified) Autoresearch #${awaitingGate.n}: Run, Edit or Skip?`;
    else if (pausing) text = `$(loading~spin) Autoresearch${at}: pausing after this step`;
    else if (running) text = `$(loading~spin) Autoresearch${at}${best ? ` · ${best}` : ''}`;
    else text = `${state?.stopped === 'paused' ? '$(debug-pause)' : '$(beaker)'} Autoresearch${state?.stopped === 'paused' ? ' (paused)' : ''}${best ? ` · ${best}` : ''}`;
    this.item.text = text;
    this.item.command = awaitingGate ? COMMANDS.showGate : COMMANDS.openDashboard;
    this.item.tooltip = state
      ? [
          `Run ${state.tag} (${state.branch})${running ? ', running' : state.stopped ? `, ${state.stopped}` : ''}`,
          `${state.iterationsDone} iterations done`,
          state.best ? `Best ${state.metricName} ${formatMetric(state.best.metric)} at #${state.best.n} (${state.best.commit.slice(0, 7)})${delta ? `, ${delta} over the baseline` : ''}` : 'No result yet',
          ...(incumbent ? [`A mechanism kept a worse result: ${incumbent}`] : []),
          awaitingGate ? 'Click to see the candidate at the gate' : 'Click to open the dashboard',
        ].join('\n')
      : 'No autoresearch run in this workspace yet';
    this.item.accessibilityInformation = { label: text.replace(/\$\([^)]*\)\s*/g, '') };
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
