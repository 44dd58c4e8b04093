import * as vscode from 'vscode';
import { COMMANDS } from '../commandIds';
import { mechanismsInViewOrder, presentMechanism } from './mechanismPresentation';
import type { ResearchRunController } from '../run/researchRunController';

/** Which mechanism a command is about: the run and the mechanism's name (the view's elements are these). */
export interface MechanismRef {
  tag: string;
  name: string;
}

export function isMechanismRef(x: unknown): x is MechanismRef {
  return typeof x === 'object' && x !== null && typeof (x as MechanismRef).tag === 'string' && typeof (x as MechanismRef).name === 'string';
}

/**
 * The Mechanisms view: every mechanism level 2 proposed in the shown run, those awaiting review
 * first, with inline Review / Accept / Reject. Clicking one opens its change (Review).
 */
export class MechanismsTreeProvider implements vscode.TreeDataProvider<MechanismRef>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<MechanismRef | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly controller: ResearchRunController) {
    this.subscription = controller.onDidChange(() => this.changeEmitter.fire(undefined));
  }

  getChildren(element?: MechanismRef): MechanismRef[] {
    const state = this.controller.state;
    if (element || !state) return [];
    return mechanismsInViewOrder(state).map((m) => ({ tag: state.tag, name: m.name }));
  }

  getTreeItem(ref: MechanismRef): vscode.TreeItem {
    const state = this.controller.stateOf(ref.tag);
    const m = state?.mechanisms.get(ref.name);
    if (!m) return new vscode.TreeItem(ref.name);
    const p = presentMechanism(m, state!.hookStats.get(m.name));
    const item = new vscode.TreeItem(p.label, vscode.TreeItemCollapsibleState.None);
    item.id = `${ref.tag}/${ref.name}`;
    item.description = p.description;
    item.tooltip = new vscode.MarkdownString(p.tooltip);
    item.iconPath = new vscode.ThemeIcon(p.icon, p.color ? new vscode.ThemeColor(p.color) : undefined);
    item.contextValue = p.contextValue;
    item.accessibilityInformation = { label: p.accessibilityLabel };
    item.command = { command: COMMANDS.reviewMechanism, title: 'Review Mechanism', arguments: [ref] };
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changeEmitter.dispose();
  }
}
