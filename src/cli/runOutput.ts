import type { RunEvent } from '../shared/trace/events';
import { renderEvent } from '../shared/trace/renderEvent';
import { applyEvent, type RunState } from '../shared/trace/runState';
import { cleanTrainingLine, etaMs, progressNote, statusLine, type ProgressView } from './progressLine';

export interface RunOutputOptions {
  /** The iteration budget (`-n`). */
  total: number;
  /** A terminal: one status line is rewritten in place below the event lines. Otherwise plain lines only, never a \r. */
  tty: boolean;
  /** Every training line and LLM call as its own line (then no status line). */
  verbose: boolean;
  columns: () => number;
  write: (text: string) => void;
  /**
   * The run's state from its trace, asked for when the first event seen is not run.started (a
   * resumed run: what came before this process is only on disk). It includes that event.
   */
  stateOnDisk: () => RunState;
  now?: () => number;
}

const CLEAR_LINE = '\r\x1b[K';
const REDRAW_MS = 1000;

/**
 * What `bilevel run` prints: one line per event worth one (renderEvent), each result followed by
 * where the budget stands, and on a terminal a status line kept below them and rewritten in place:
 * the experiment, how long it has trained, elapsed, ETA, and its latest training line.
 */
export class RunOutput {
  private state: RunState | null = null;
  private readonly startedAt: number;
  /** Iterations finished (with a result or none, not interrupted) since this process started: the pace. */
  private finished = 0;
  private readonly iterationSince = new Map<number, number>();
  private readonly trainingSince = new Map<number, number>();
  private readonly latestLine = new Map<number, string>();
  /** The experiment the status line is about. */
  private focus: number | null = null;
  /** The status line on screen now, or null when none is. */
  private statusShown: string | null = null;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: RunOutputOptions) {
    this.now = opts.now ?? Date.now;
    this.startedAt = this.now();
  }

  private get live(): boolean {
    return this.opts.tty && !this.opts.verbose && !this.stopped;
  }

  readonly onEvent = (e: RunEvent): void => {
    this.fold(e);
    this.track(e);
    if (e.type === 'training.output') {
      if (this.opts.verbose) this.printLine(`    │ ${cleanTrainingLine(e.line)}`);
      else if (this.live) this.drawStatus();
      return;
    }
    const line = renderEvent(e, { verbose: this.opts.verbose });
    if (e.type === 'run.stopped' || e.type === 'run.paused') this.stop();
    if (line !== null) this.printLine(e.type === 'experiment.decided' && !this.isBaseline(e.n) ? `${line}  · ${this.noteAfter()}` : line);
    else if (this.live) this.drawStatus();
  };

  /** Takes the status line off the screen for good (the run ended, or failed). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clearStatus();
    this.stopped = true;
  }

  /** Where the run stands now, for the status line. */
  view(): ProgressView {
    const n = this.focus;
    const since = n === null ? undefined : this.trainingSince.get(n);
    const elapsedMs = this.now() - this.startedAt;
    const done = this.state?.iterationsDone ?? 0;
    return {
      done,
      total: this.opts.total,
      n,
      baseline: n !== null && this.isBaseline(n),
      trainingMs: since === undefined ? null : this.now() - since,
      elapsedMs,
      etaMs: etaMs(elapsedMs, this.finished, this.opts.total - done, n === null || this.isBaseline(n) ? 0 : this.now() - (this.iterationSince.get(n) ?? this.now())),
      line: n === null ? null : (this.latestLine.get(n) ?? null),
    };
  }

  private fold(e: RunEvent): void {
    if (e.type === 'training.output') return;
    this.state = this.state === null && e.type !== 'run.started' ? this.opts.stateOnDisk() : applyEvent(this.state, e);
  }

  private track(e: RunEvent): void {
    switch (e.type) {
      case 'iteration.started':
        this.iterationSince.set(e.n, this.now());
        this.focus = e.n;
        this.startTimer();
        break;
      case 'training.started':
        this.trainingSince.set(e.n, this.now());
        this.focus = e.n;
        break;
      case 'training.output':
        this.latestLine.set(e.n, e.line);
        this.focus = e.n;
        break;
      case 'iteration.finished': {
        if (e.result !== 'interrupted') this.finished++;
        this.iterationSince.delete(e.n);
        this.trainingSince.delete(e.n);
        this.latestLine.delete(e.n);
        // With several workers, the line moves to the latest experiment still in flight.
        if (this.focus === e.n) this.focus = this.state?.open.size ? Math.max(...this.state.open.keys()) : null;
        break;
      }
    }
  }

  private isBaseline(n: number): boolean {
    return (this.state?.open.get(n) ?? this.state?.experiments.find((x) => x.n === n))?.baseline ?? false;
  }

  /** The budget as it stands once the experiment just decided has finished (its iteration.finished is next). */
  private noteAfter(): string {
    const v = this.view();
    return progressNote({ ...v, done: v.done + 1, etaMs: etaMs(v.elapsedMs, this.finished + 1, this.opts.total - v.done - 1) });
  }

  private printLine(line: string): void {
    this.clearStatus();
    this.opts.write(`${line}\n`);
    if (this.live) this.drawStatus();
  }

  private drawStatus(): void {
    const text = statusLine(this.view(), this.opts.columns());
    if (this.statusShown === text) return;
    this.opts.write(`${CLEAR_LINE}${text}`);
    this.statusShown = text;
  }

  private clearStatus(): void {
    if (this.statusShown === null) return;
    this.opts.write(CLEAR_LINE);
    this.statusShown = null;
  }

  /** On a terminal, the clock in the status line moves even while training prints nothing. */
  private startTimer(): void {
    if (!this.live || this.timer) return;
    this.timer = setInterval(() => this.live && this.drawStatus(), REDRAW_MS);
    this.timer.unref();
  }
}
