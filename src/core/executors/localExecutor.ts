import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, openSync, statSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { MetricScanner } from '../target/metric';
import { classifyOutcome, notStarted, type Executor, type TrainingRequest, type TrainingResult } from './executor';
import { killProcessGroup } from './processGroup';

export const DEFAULT_MAX_LINE_LENGTH = 64 * 1024;
const DEFAULT_KILL_GRACE_MS = 3000;
/** After the command exits, how long to wait for its output pipes to close before cutting them. */
const OUTPUT_SETTLE_MS = 1000;
// setTimeout fires at once for delays beyond a signed 32-bit number of milliseconds.
const MAX_TIMER_MS = 2 ** 31 - 1;

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

export interface LocalExecutorOptions {
  /** Between SIGTERM and SIGKILL when a run is stopped. */
  killGraceMs?: number;
  /** Shell that runs the command with `-c`; bash where there is one, else /bin/sh. */
  shell?: string;
  maxLineLength?: number;
}

type Stream = 'stdout' | 'stderr';

function defaultShell(): string {
  return existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh';
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Listener failures must not take the run's bookkeeping down with them. */
export function callSafely(fn: () => void): void {
  try {
    fn();
  } catch {
    // The caller's listener is not ours to fix; the run goes on.
  }
}

export function directoryProblem(cwd: string): string | undefined {
  try {
    if (statSync(cwd).isDirectory()) return undefined;
    return `working directory ${cwd} is not a directory`;
  } catch {
    return `working directory ${cwd} does not exist`;
  }
}

export function closeLog(log: WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (log.closed) return resolve();
    log.once('close', () => resolve());
    log.end();
  });
}

/** Waits for `promise` at most `ms`; true when it settled in time. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs training on this machine, in its own process group so that a timeout or Stop kills everything
 * the command started. When the command exits, whatever it left running in its group is killed too: a
 * stray worker must not hold the GPU into the next experiment.
 */
export class LocalExecutor implements Executor {
  readonly kind = 'local';

  constructor(private readonly options: LocalExecutorOptions = {}) {}

  async run(req: TrainingRequest): Promise<TrainingResult> {
    const started = Date.now();
    try {
      return await this.execute(req, started);
    } catch (e) {
      return notStarted(req, started, message(e));
    }
  }


  private async execute(req: TrainingRequest, started: number): Promise<TrainingResult> {
    const scanner = new MetricScanner(req.metric);
    if (req.signal?.aborted) return notStarted(req, started, 'stopped before it started', true);
    const badDirectory = directoryProblem(req.cwd);
    if (badDirectory) return notStarted(req, started, badDirectory);

    let log: WriteStream;
    try {
      mkdirSync(dirname(req.logPath), { recursive: true });
      log = createWriteStream(req.logPath, { fd: openSync(req.logPath, 'w') });
    } catch (e) {
      return notStarted(req, started, `cannot write the log ${req.logPath}: ${message(e)}`);
    }

    const graceMs = this.options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    const splitters = { stdout: new LineSplitter(this.options.maxLineLength), stderr: new LineSplitter(this.options.maxLineLength) };
    let lastErrorLine: string | undefined;
    let lastOutputLine: string | undefined;
    let logBroken = false;
    let waitingForDrain = false;

    let child: ChildProcess;
    try {
      child = spawn(this.options.shell ?? defaultShell(), ['-c', req.command], {
        cwd: req.cwd,
        env: { ...process.env, PYTHONUNBUFFERED: '1', ...req.env },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      await closeLog(log);
      return notStarted(req, started, message(e));
    }

    const pauseOutput = () => {
      child.stdout?.pause();
      child.stderr?.pause();
    };
    const resumeOutput = () => {
      waitingForDrain = false;
      child.stdout?.resume();
      child.stderr?.resume();
    };
    log.on('error', () => {
      // A full disk must not fail the experiment: the metric is read from the stream, not from the log.
      logBroken = true;
      resumeOutput();
    });

    const handleLine = (line: string, stream: Stream) => {
      scanner.push(line);
      if (line.trim() !== '') {
        if (stream === 'stderr') lastErrorLine = line;
        else lastOutputLine = line;
      }
      if (!logBroken && !log.write(`${line}\n`) && !waitingForDrain) {
        waitingForDrain = true;
        pauseOutput();
        log.once('drain', resumeOutput);
      }
      if (req.onLine) callSafely(() => req.onLine!(line, stream));
    };
    for (const stream of ['stdout', 'stderr'] as const) {
      const readable = child[stream]!;
      readable.setEncoding('utf8');
      readable.on('data', (chunk: string) => {
        for (const line of splitters[stream].push(chunk)) handleLine(line, stream);
      });
    }

    let startError: string | undefined;
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (e) => {
        if (child.pid === undefined) startError = message(e);
        resolve({ code: null, signal: null });
      });
    });

    const pgid = child.pid;
    let hasExited = false;
    let timedOut = false;
    let interrupted = false;
    let stopping: Promise<void> | undefined;
    const stopGroup = () => {
      if (pgid !== undefined) stopping ??= killProcessGroup(pgid, graceMs);
    };
    const timer = setTimeout(
      () => {
        if (hasExited) return;
        timedOut = true;
        stopGroup();
      },
      Math.min(Math.max(0, req.timeoutSeconds * 1000), MAX_TIMER_MS),
    );
    const onAbort = () => {
      if (hasExited) return;
      interrupted = true;
      stopGroup();
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });
    if (pgid !== undefined && req.onStart) callSafely(() => req.onStart!(pgid));

    const { code, signal } = await exited;
    hasExited = true;
    const seconds = (Date.now() - started) / 1000;
    clearTimeout(timer);
    req.signal?.removeEventListener('abort', onAbort);

    stopGroup();
    await stopping;
    if (!(await settlesWithin(closed, OUTPUT_SETTLE_MS))) {
      // Something outside the group still holds the pipes; what it writes now is not this run's output.
      child.stdout?.destroy();
      child.stderr?.destroy();
    }
    for (const stream of ['stdout', 'stderr'] as const) {
      for (const line of splitters[stream].end()) handleLine(line, stream);
    }
    await closeLog(log);

    const reading = scanner.reading();
    const { outcome, reason } = classifyOutcome({
      exitCode: code,
      signal,
      timedOut,
      interrupted,
      metric: reading.metric,
      metricName: req.metric.name,
      lastErrorLine: lastErrorLine ?? lastOutputLine,
      timeoutSeconds: req.timeoutSeconds,
      startError,
      invalidMetric: reading.invalidMetric,
    });
    const result: TrainingResult = { outcome, exitCode: code, signal, metric: reading.metric, secondary: reading.secondary, seconds };
    if (reason !== undefined) result.reason = reason;
    return result;
  }
}
