import * as vscode from 'vscode';
import type { RunEvent } from '../../shared/trace/events';
import { experimentTitle, formatDelta, formatMetric } from '../views/experimentPresentation';
import { ExperimentTerminal } from './experimentTerminal';
import type { ResearchRunController } from './researchRunController';

/** Terminals of finished experiments kept open for scrolling back (older ones are closed; their logs stay). */
const KEEP_FINISHED = 3;
const MAX_NAME = 60;

/**
 * Shows each experiment's training in its own integrated terminal, named after the experiment
 * (`Autoresearch #3: LEARNING_RATE 0.003 → 0.006`), fed by the engine's training.* events.
 */
export class TrainingTerminals implements vscode.Disposable {
  private readonly open = new Map<number, { pty: ExperimentTerminal; terminal: vscode.Terminal; finished: boolean }>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly controller: ResearchRunController,
    private readonly shouldShow: () => boolean,
  ) {
    this.subscriptions.push(
      controller.onEvent((e) => this.onEvent(e)),
      vscode.window.onDidCloseTerminal((t) => {
        for (const [n, entry] of this.open) if (entry.terminal === t) this.open.delete(n);
      }),
    );
  }

  /** The terminal name for experiment n. */
  static terminalName(n: number, title: string): string {
    const name = `Autoresearch #${n}: ${title}`;
    return name.length > MAX_NAME ? `${name.slice(0, MAX_NAME - 1)}…` : name;
  }

  private onEvent(e: RunEvent): void {
    switch (e.type) {
      case 'training.started': {
        this.open.get(e.n)?.terminal.dispose();
        const x = this.controller.state?.experiments.find((y) => y.n === e.n);
        const pty = new ExperimentTerminal(() => this.controller.stop());
        const terminal = vscode.window.createTerminal({
          name: TrainingTerminals.terminalName(e.n, x ? experimentTitle(x) : 'training'),
          pty,
          iconPath: new vscode.ThemeIcon('beaker'),
          isTransient: true,
        });
        this.open.set(e.n, { pty, terminal, finished: false });
        pty.writeLine(`\x1b[2m$ ${e.command}   (commit ${e.commit.slice(0, 7)}, log ${e.log})\x1b[0m`);
        if (this.shouldShow()) terminal.show(true);
        this.closeOldFinished();
        break;
      }
      case 'training.output':
        this.open.get(e.n)?.pty.writeLine(e.line);
        break;
      case 'training.finished': {
        const entry = this.open.get(e.n);
        if (!entry) break;
        entry.finished = true;
        const how = e.outcome === 'ok' ? `\x1b[32mfinished in ${e.seconds.toFixed(1)} s\x1b[0m` : `\x1b[31m${e.outcome}${e.reason ? `: ${e.reason}` : ''}\x1b[0m`;
        entry.pty.writeLine('');
        entry.pty.writeLine(how);
        break;
      }
      case 'experiment.decided': {
        const color = e.status === 'keep' ? 32 : e.status === 'crash' ? 31 : 33;
        this.open.get(e.n)?.pty.writeLine(`\x1b[1;${color}m${e.status}\x1b[0m ${formatMetric(e.metric)} ${formatDelta(e.delta)}`.trimEnd());
        break;
      }
      case 'experiment.interrupted':
        this.open.get(e.n)?.pty.writeLine(`\x1b[33minterrupted: ${e.reason}\x1b[0m`);
        break;
      default:
        break;
    }
  }

  private closeOldFinished(): void {
    const finished = [...this.open.entries()].filter(([, v]) => v.finished).sort(([a], [b]) => a - b);
    for (const [n, v] of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) {
      v.terminal.dispose();
      this.open.delete(n);
    }
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
    for (const v of this.open.values()) v.pty.dispose();
    this.open.clear();
  }
}
