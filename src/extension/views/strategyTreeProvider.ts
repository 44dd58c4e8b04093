import * as vscode from 'vscode';
import type { ResearchRunController } from '../run/researchRunController';
import { strategyRows, type StrategyRow } from './strategyPresentation';

/** The Strategy view: the strategy in force (level 1.5), as the shown run's trace says. */
export class StrategyTreeProvider implements vscode.TreeDataProvider<StrategyRow>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<StrategyRow | undefined>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly controller: ResearchRunController,
    private readonly configFrozen: () => string[],
  ) {
    this.subscription = controller.onDidChange(() => this.changeEmitter.fire(undefined));
  }

  getChildren(element?: StrategyRow): StrategyRow[] {
    const state = this.controller.state;
    return element || !state ? [] : strategyRows(state, this.configFrozen());
  }

  getTreeItem(row: StrategyRow): vscode.TreeItem {
    const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
    item.id = row.id;
    item.description = row.description;
    item.tooltip = row.tooltip;
    item.iconPath = new vscode.ThemeIcon(row.icon);
    item.accessibilityInformation = { label: `${row.label}: ${row.description}` };
    return item;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changeEmitter.dispose();
  }
}
