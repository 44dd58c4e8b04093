import * as vscode from 'vscode';
import { COMMANDS } from '../commandIds';
import type { ExperimentRef } from './experimentRef';
import { describeRun, presentExperiment } from './experimentPresentation';
import type { ResearchRunController } from '../run/researchRunController';

/**
 * The Experiments view: one row per iteration of the shown run, newest first, with its status
 * icon, metric and Δ. Fed by the controller: live engine events while a run goes on, the trace on
 * disk otherwise. Elements are plain {tag, n} refs, so commands get the same argument from here
 * as from the dashboard.
 */
export class ExperimentsTreeProvider implements vscode.TreeDataProvider<ExperimentRef>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<ExperimentRef | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly subscription: vscode.Disposable;
  private pending: ReturnType<typeof setTimeout> | undefined;
  /** Refs are kept per run and iteration, so the view can reveal and keep selection across refreshes. */
  private readonly refs = new Map<string, ExperimentRef>();

  constructor(private readonly controller: ResearchRunController) {
    this.subscription = controller.onDidChange(() => this.scheduleRefresh());
  }

  /** The title-bar line for the view (run tag and best result). */
  get runDescription(): string | undefined {
    const state = this.controller.state;
    return state ? describeRun(state, this.controller.running) : undefined;
  }

  getChildren(element?: ExperimentRef): ExperimentRef[] {
    const state = this.controller.state;
    if (element || !state) return [];
    return state.experiments.map((x) => this.ref(state.tag, x.n)).reverse();
  }

  getParent(): undefined {
    return undefined;
  }

  getTreeItem(ref: ExperimentRef): vscode.TreeItem {
    const state = this.controller.stateOf(ref.tag);
    const x = state?.experiments.find((y) => y.n === ref.n);
    if (!state || !x) return new vscode.TreeItem(`#${ref.n}`);
    const p = presentExperiment(x, state, this.controller.running, this.controller.awaitingGate?.n);
    const item = new vscode.TreeItem(p.label, vscode.TreeItemCollapsibleState.None);
    item.id = `${ref.tag}#${ref.n}`;
    item.description = p.description;
    item.tooltip = new vscode.MarkdownString(p.tooltip);
    item.iconPath = new vscode.ThemeIcon(p.icon, p.color ? new vscode.ThemeColor(p.color) : undefined);
    item.contextValue = p.contextValue;
    item.accessibilityInformation = { label: p.accessibilityLabel };
    if (p.diffCommit) item.command = { command: COMMANDS.showExperimentDiff, title: 'Show Experiment Diff', arguments: [ref] };
    return item;
  }

  private ref(tag: string, n: number): ExperimentRef {
    const key = `${tag}#${n}`;
    let r = this.refs.get(key);
    if (!r) this.refs.set(key, (r = { tag, n }));
    return r;
  }

  /** Events come in bursts (decided, finished, started); one repaint per burst. */
  private scheduleRefresh(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.changeEmitter.fire(undefined);
    }, 30);
  }

  dispose(): void {
    if (this.pending) clearTimeout(this.pending);
    this.subscription.dispose();
    this.changeEmitter.dispose();
  }
}
