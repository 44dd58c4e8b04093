import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { classifyOutcome, DEFAULT_KILL_GRACE_MS, directoryProblem, errorMessage, hardTimeoutMs, notStarted, scrubbed, type Executor, type TrainingRequest, type TrainingResult } from './executor';
import { killProcessGroup } from '../process/processGroup';
import { callSafely, TrainingOutput } from './trainingOutput';

/** After the command exits, how long to wait for its output pipes to close before cutting them. */
const OUTPUT_SETTLE_MS = 1000;

export interface LocalExecutorOptions {
  /** Between SIGTERM and SIGKILL when a run is stopped. */
  killGraceMs?: number;
  /** Shell that runs the command with `-c`; bash where there is one, else /bin/sh. */
  shell?: string;
  maxLineLength?: number;
}

function defaultShell(): string {
  return existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh';
}

/**
 * Runs training on this machine, in its own process group so that a timeout or Stop kills everything
 * the command started. When the command exits, whatever it left running in its group is killed too: a
 * stray worker must not hold the GPU into the next experiment.
 */
export class LocalExecutor implements Executor {
  readonly kind = 'local';
  readonly where = 'local';

  constructor(private readonly options: LocalExecutorOptions = {}) {}

  async run(req: TrainingRequest): Promise<TrainingResult> {
    const started = Date.now();
    try {
      return await this.execute(req, started);
    } catch (e) {
      return notStarted(req, started, errorMessage(e));
    }
  }

  private async execute(req: TrainingRequest, started: number): Promise<TrainingResult> {
    if (req.signal?.aborted) return notStarted(req, started, 'stopped before it started', true);
    const badDirectory = directoryProblem(req.cwd);
    if (badDirectory) return notStarted(req, started, badDirectory);
    const output = TrainingOutput.open(req);
    if (typeof output === 'string') return notStarted(req, started, output);

    const graceMs = this.options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;

    let child: ChildProcess;
    try {
      child = spawn(this.options.shell ?? defaultShell(), ['-c', req.command], {
        cwd: req.cwd,
        env: scrubbed(req, { ...process.env, PYTHONUNBUFFERED: '1', ...req.env }),
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      await output.close();
      return notStarted(req, started, errorMessage(e));
    }

    const end = output.follow(child, this.options.maxLineLength);

    let startError: string | undefined;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (e) => {
        if (child.pid === undefined) startError = errorMessage(e);
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
      hardTimeoutMs(req.timeoutSeconds),
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
    await end(OUTPUT_SETTLE_MS);

    const reading = output.scanner.reading();
    const { outcome, reason } = classifyOutcome({
      exitCode: code,
      signal,
      timedOut,
      interrupted,
      metric: reading.metric,
      metricName: req.metric.name,
      lastErrorLine: output.lastErrorLine,
      timeoutSeconds: req.timeoutSeconds,
      startError,
      invalidMetric: reading.invalidMetric,
    });
    const result: TrainingResult = { outcome, exitCode: code, signal, metric: reading.metric, secondary: reading.secondary, seconds };
    if (reason !== undefined) result.reason = reason;
    if (output.logProblem !== undefined) result.logProblem = output.logProblem;
    return result;
  }
}
