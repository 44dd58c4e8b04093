import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, openSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { MetricScanner } from '../target/metric';
import { errorMessage, settlesWithin, type TrainingRequest } from './executor';

/**
 * What every executor does with a training run's output, wherever it runs: split it into lines, and
 * give each line to the metric scanner, the log file (with back-pressure; a full disk never fails the
 * run, since the metric is read from the stream), the request's onLine listener, and the record of the
 * last non-blank line that a crash reason quotes.
 */

export const DEFAULT_MAX_LINE_LENGTH = 64 * 1024;

export type Stream = 'stdout' | 'stderr';

/**
 * Splits a stream of text into lines. `\n`, `\r\n` and a lone `\r` all end a line, so carriage-return
 * progress bars become one line per update; a lone `\r` on an empty line (the usual `print("\r...")`)
 * produces nothing. Lines longer than `maxLineLength` are cut, with a note of how much was dropped, so
 * output without newlines cannot grow without bound.
 */
export class LineSplitter {
  private partial = '';
  private dropped = 0;
  /** The previous chunk ended in `\r`: a `\n` starting the next chunk belongs to it. */
  private afterCarriageReturn = false;
  /** ...and that `\r` ended an empty line, which is a real (blank) line only if the `\n` follows. */
  private blankLineIfNewline = false;

  constructor(private readonly maxLineLength = DEFAULT_MAX_LINE_LENGTH) {}

  push(chunk: string): string[] {
    const lines: string[] = [];
    let start = 0;
    if (this.afterCarriageReturn && chunk.startsWith('\n')) {
      if (this.blankLineIfNewline) lines.push('');
      start = 1;
    }
    this.afterCarriageReturn = false;
    this.blankLineIfNewline = false;
    for (let i = start; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === 10) {
        this.append(chunk, start, i);
        lines.push(this.take());
        start = i + 1;
      } else if (c === 13) {
        this.append(chunk, start, i);
        const empty = this.partial.length === 0 && this.dropped === 0;
        if (chunk.charCodeAt(i + 1) === 10) {
          lines.push(this.take());
          i++;
        } else if (i + 1 === chunk.length) {
          this.afterCarriageReturn = true;
          this.blankLineIfNewline = empty;
          if (!empty) lines.push(this.take());
        } else if (!empty) {
          lines.push(this.take());
        }
        start = i + 1;
      }
    }
    this.append(chunk, start, chunk.length);
    return lines;
  }

  /** The final line, when the stream did not end with a newline. */
  end(): string[] {
    this.afterCarriageReturn = false;
    this.blankLineIfNewline = false;
    return this.partial.length > 0 || this.dropped > 0 ? [this.take()] : [];
  }

  private append(chunk: string, from: number, to: number): void {
    const room = this.maxLineLength - this.partial.length;
    const length = to - from;
    if (length <= room) {
      if (length > 0) this.partial += chunk.slice(from, to);
    } else {
      this.partial += chunk.slice(from, from + room);
      this.dropped += length - room;
    }
  }

  private take(): string {
    const line = this.dropped > 0 ? `${this.partial} … [line cut: ${this.dropped} more characters]` : this.partial;
    this.partial = '';
    this.dropped = 0;
    return line;
  }
}

/** Listener failures must not take the run's bookkeeping down with them. */
export function callSafely(fn: () => void): void {
  try {
    fn();
  } catch {
    // The caller's listener is not ours to fix; the run goes on.
  }
}

export class TrainingOutput {
  readonly scanner: MetricScanner;
  private lastError: string | undefined;
  private lastOutput: string | undefined;
  private logBroken = false;
  /** Why the log stopped taking lines (a full disk), said once; the run goes on without it. */
  logProblem: string | undefined;

  private constructor(
    private readonly req: TrainingRequest,
    private readonly log: WriteStream,
  ) {
    this.scanner = new MetricScanner(req.metric);
    log.on('error', (e) => {
      if (this.logBroken) return;
      this.logBroken = true;
      this.logProblem = `the log ${req.logPath} could not be written (${errorMessage(e)}); training goes on, its metric is read from the output`;
      if (req.onLine) callSafely(() => req.onLine!(`[bilevel] ${this.logProblem}`, 'stderr'));
    });
  }

  /** Creates the run's log file; a message when it cannot be written. */
  static open(req: TrainingRequest): TrainingOutput | string {
    try {
      mkdirSync(dirname(req.logPath), { recursive: true });
      return new TrainingOutput(req, createWriteStream(req.logPath, { fd: openSync(req.logPath, 'w') }));
    } catch (e) {
      return `cannot write the log ${req.logPath}: ${errorMessage(e)}`;
    }
  }

  /** Records one line; false when the log's buffer is full (the producer should wait for `drained()`). */
  line(raw: string, stream: Stream): boolean {
    // Every line reaches the log, the crash reason (the trace) and onLine (the terminal) through here.
    const line = this.req.secrets ? this.req.secrets.redact(raw) : raw;
    this.scanner.push(line);
    if (line.trim() !== '') {
      if (stream === 'stderr') this.lastError = line;
      else this.lastOutput = line;
    }
    const room = this.logBroken || this.log.write(`${line}\n`);
    if (this.req.onLine) callSafely(() => this.req.onLine!(line, stream));
    return room;
  }

  /** The log can take more (or broke, or closed: waiting longer would gain nothing). */
  drained(): Promise<void> {
    if (this.logBroken || this.log.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.log.off('drain', done);
        this.log.off('error', done);
        this.log.off('close', done);
        resolve();
      };
      this.log.once('drain', done);
      this.log.once('error', done);
      this.log.once('close', done);
    });
  }

  /**
   * Follows a child's stdout and stderr line by line, pausing both while the log drains. `filter` sees
   * each line first and returns what to record (undefined: nothing). Returns the end, for once the child
   * has exited: it waits up to `settleMs` for the pipes to close, records the last unfinished lines and
   * closes the log.
   */
  follow(child: ChildProcess, maxLineLength?: number, filter: (line: string, stream: Stream) => string | undefined = (line) => line): (settleMs: number) => Promise<void> {
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const splitters = { stdout: new LineSplitter(maxLineLength), stderr: new LineSplitter(maxLineLength) };
    let waiting = false;
    const take = (raw: string, stream: Stream) => {
      const line = filter(raw, stream);
      if (line === undefined || this.line(line, stream) || waiting) return;
      waiting = true;
      child.stdout?.pause();
      child.stderr?.pause();
      void this.drained().then(() => {
        waiting = false;
        child.stdout?.resume();
        child.stderr?.resume();
      });
    };
    for (const stream of ['stdout', 'stderr'] as const) {
      const readable = child[stream]!;
      readable.setEncoding('utf8');
      readable.on('data', (chunk: string) => {
        for (const line of splitters[stream].push(chunk)) take(line, stream);
      });
    }
    return async (settleMs) => {
      if (!(await settlesWithin(closed, settleMs))) {
        // Something outside the run still holds the pipes; what it writes now is not this run's output.
        child.stdout?.destroy();
        child.stderr?.destroy();
      }
      for (const stream of ['stdout', 'stderr'] as const) for (const line of splitters[stream].end()) take(line, stream);
      await this.close();
    };
  }

  /** The last non-blank line, stderr's first: what a crash reason quotes. */
  get lastErrorLine(): string | undefined {
    return this.lastError ?? this.lastOutput;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.log.closed) return resolve();
      this.log.once('close', () => resolve());
      this.log.end();
    });
  }
}
