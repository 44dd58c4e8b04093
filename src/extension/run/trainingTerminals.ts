import * as vscode from 'vscode';
import type { RunEvent } from '../../shared/trace/events';
import { experimentTitle, formatDelta, formatMetric } from '../views/experimentPresentation';
import { ExperimentTerminal } from './experimentTerminal';
import type { ResearchRunController } from './researchRunController';
import { trainingHeader } from './trainingHeader';

const MAX_NAME = 60;

/** One terminal and the experiment training in it (null between experiments: free for the next). */
interface TerminalSlot {
  pty: ExperimentTerminal;
  terminal: vscode.Terminal;
  n: number | null;
  /** The outcome line printed for the experiment, so experiment.interrupted does not repeat it. */
  outcome: string;
}

/**
 * Shows training in integrated terminals, one per worker: an experiment takes a terminal no other
 * experiment trains in (so parallel workers each have theirs), and a finished experiment's terminal
 * is reused by the next, which starts with a header line (number, change, where it trains). The
 * terminal is named after the experiment in it (`Autoresearch #3: LEARNING_RATE 0.003 → 0.006`).
 * It comes to the front on the first training of the window only (never taking focus); after
 * that, when the person opens it.
 */
export class TrainingTerminals implements vscode.Disposable {
  private readonly slots: TerminalSlot[] = [];
  private readonly subscriptions: vscode.Disposable[] = [];
  private revealed = false;

  constructor(
    private readonly controller: ResearchRunController,
    private readonly shouldShow: () => boolean,
  ) {
    this.subscriptions.push(
      controller.onEvent((e) => this.onEvent(e)),
      vscode.window.onDidCloseTerminal((t) => {
        const i = this.slots.findIndex((s) => s.terminal === t);
        if (i >= 0) this.slots.splice(i, 1)[0].pty.dispose();
      }),
    );
  }

  /** The terminal name for experiment n. */
  static terminalName(n: number, title: string): string {
    const name = `Autoresearch #${n}: ${title}`;
    return name.length > MAX_NAME ? `${name.slice(0, MAX_NAME - 1)}…` : name;
  }

  private slotOf(n: number): TerminalSlot | undefined {
    return this.slots.find((s) => s.n === n);
  }

  private onEvent(e: RunEvent): void {
    switch (e.type) {
      case 'training.started': {
        const x = this.controller.state?.experiments.find((y) => y.n === e.n);
        const title = x ? experimentTitle(x) : 'training';
        const name = TrainingTerminals.terminalName(e.n, title);
        let slot = this.slotOf(e.n) ?? this.slots.find((s) => s.n === null);
        if (slot) {
          slot.pty.writeLine('');
          slot.pty.startExperiment(name);
        } else {
          const pty = new ExperimentTerminal(() => this.controller.stop());
          slot = { pty, terminal: vscode.window.createTerminal({ name, pty, iconPath: new vscode.ThemeIcon('beaker'), isTransient: true }), n: null, outcome: '' };
          this.slots.push(slot);
        }
        slot.n = e.n;
        slot.outcome = '';
        slot.pty.writeLine(`\x1b[1m${trainingHeader(e, title)}\x1b[0m`);
        slot.pty.writeLine(`\x1b[2m$ ${e.command}   (log ${e.log})\x1b[0m`);
        if (!this.revealed && this.shouldShow()) slot.terminal.show(true);
        this.revealed = true;
        break;
      }
      case 'training.output':
        this.slotOf(e.n)?.pty.writeLine(e.line);
        break;
      case 'training.finished': {
        const slot = this.slotOf(e.n);
        if (!slot) break;
        slot.outcome = e.outcome === 'ok' ? '' : `${e.outcome}${e.reason ? `: ${e.reason}` : ''}`;
        slot.pty.writeLine('');
        slot.pty.writeLine(e.outcome === 'ok' ? `\x1b[32mfinished in ${e.seconds.toFixed(1)} s\x1b[0m` : `\x1b[31m${slot.outcome}\x1b[0m`);
        break;
      }
      case 'experiment.decided': {
        const slot = this.slotOf(e.n);
        if (!slot) break;
        const color = e.status === 'keep' ? 32 : e.status === 'crash' ? 31 : 33;
        slot.pty.writeLine(`\x1b[1;${color}m${e.status}\x1b[0m ${formatMetric(e.metric)} ${formatDelta(e.delta)}`.trimEnd());
        slot.n = null;
        break;
      }
      case 'experiment.interrupted': {
        const slot = this.slotOf(e.n);
        if (!slot) break;
        // Training already said "interrupted: stopped"; the experiment's end says it only if it is news.
        if (slot.outcome !== `interrupted: ${e.reason}`) slot.pty.writeLine(`\x1b[33minterrupted: ${e.reason}\x1b[0m`);
        slot.n = null;
        break;
      }
      default:
        break;
    }
  }

  /** Brings the terminal of the experiment training now (else the latest one used) to the front, on request. */
  reveal(): boolean {
    const slot = this.slots.find((s) => s.n !== null) ?? this.slots[this.slots.length - 1];
    slot?.terminal.show(true);
    return slot !== undefined;
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
    for (const s of this.slots) s.pty.dispose();
    this.slots.length = 0;
  }
}
