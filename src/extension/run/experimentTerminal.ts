import * as vscode from 'vscode';

/** Output kept for a terminal VS Code has not opened yet; the full output is in the experiment's log. */
const MAX_BACKLOG_LINES = 5000;

/**
 * Training output in an integrated terminal, written by the extension (no shell), one experiment
 * after another.
 * Lines written before VS Code opens the terminal are kept and shown on open. Ctrl+C in it asks
 * the run to stop, as it does for `bilevel run`.
 */
export class ExperimentTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  readonly onDidWrite = this.writeEmitter.event;
  private readonly nameEmitter = new vscode.EventEmitter<string>();
  /** The terminal is reused from one experiment to the next: its name follows the one training in it. */
  readonly onDidChangeName = this.nameEmitter.event;
  private opened = false;
  private backlog: string[] = [];
  private interruptRequested = false;

  constructor(private readonly onInterrupt: () => void) {}

  open(): void {
    this.opened = true;
    for (const chunk of this.backlog) this.writeEmitter.fire(chunk);
    this.backlog = [];
  }

  close(): void {
    // The terminal was closed by the user: training goes on, its output stays in the log.
  }

  handleInput(data: string): void {
    if (data.includes('\x03') && !this.interruptRequested) {
      this.interruptRequested = true;
      this.writeLine('\x1b[33m^C stopping the run: ending the current step cleanly\x1b[0m');
      this.onInterrupt();
    }
  }

  /** The next experiment trains in this terminal: its name, and Ctrl+C stops the run again. */
  startExperiment(name: string): void {
    this.interruptRequested = false;
    this.nameEmitter.fire(name);
  }

  /** Writes one line of output. `\r` inside a line (progress bars) is passed through. */
  writeLine(text: string): void {
    this.write(`${text.replace(/\r?\n/g, '\r\n')}\r\n`);
  }

  private write(chunk: string): void {
    if (this.opened) this.writeEmitter.fire(chunk);
    else if (this.backlog.push(chunk) > MAX_BACKLOG_LINES) this.backlog.splice(0, this.backlog.length - MAX_BACKLOG_LINES);
  }

  dispose(): void {
    this.writeEmitter.dispose();
    this.nameEmitter.dispose();
  }
}
