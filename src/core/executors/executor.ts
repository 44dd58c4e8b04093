import { statSync } from 'node:fs';
import type { Outcome } from '../../shared/trace/events';
import type { Secrets } from '../secrets/secrets';
import type { MetricSpec } from '../target/metric';

/** One training run to execute. Executors differ in where it runs (here, over ssh, under slurm), not in what it means. */
export interface TrainingRequest {
  /** Experiment number, for naming. */
  n: number;
  /** Working copy to run in (locally: the checkout the commit is in). */
  cwd: string;
  /** The commit to train. Remote executors sync exactly this commit; the local one runs `cwd` as it is. */
  commit: string;
  /** Shell command, e.g. "python3 train.py". */
  command: string;
  env?: Record<string, string>;
  /** Variables the command's environment never carries, and values no output line shows (redacted at TrainingOutput.line). */
  secrets?: Secrets;
  /** Hard timeout: the whole run is killed and the outcome is 'timeout'. */
  timeoutSeconds: number;
  /** Full output (stdout and stderr interleaved in arrival order) is written here; directories are created. */
  logPath: string;
  metric: MetricSpec;
  /** Stop: kill the run now, outcome 'interrupted'. */
  signal?: AbortSignal;
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /**
   * Called once the run has started. `pid`: a local process group whose end ends the run (the command's
   * locally, the ssh client's over ssh), for `killProcessGroup`; a Slurm job has none and gives its job id.
   */
  onStart?: (pid: number | undefined, slurmJobId?: number) => void;
}

export interface TrainingResult {
  outcome: Outcome;
  exitCode: number | null;
  signal: string | null;
  metric: number | null;
  secondary: Record<string, number>;
  /** Wall time. */
  seconds: number;
  /** Human-readable, for crash/timeout/interrupted. */
  reason?: string;
  /** The log could not be written (a full disk): said once, never a failure of the run. */
  logProblem?: string;
}

/** Runs training. `run` resolves for every failure of the training itself; those are outcomes, not errors. */
export interface Executor {
  readonly kind: string;
  /** Where it trains, for people: `local`, `ssh gpu-box`, `slurm (partition gpu)`. */
  readonly where?: string;
  run(req: TrainingRequest): Promise<TrainingResult>;
  /** Checks that runs can start here at all; throws an ExecutorSetupError saying what to fix. */
  preflight?(): Promise<void>;
}

export interface OutcomeFacts {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  interrupted: boolean;
  metric: number | null;
  metricName: string;
  /** Last non-empty line the run wrote to stderr: usually the exception. */
  lastErrorLine?: string;
  /** For the timeout reason. */
  timeoutSeconds?: number;
  /** The run never started (missing directory, spawn failure). */
  startError?: string;
  /** The metric's last printed value when it was not a finite number, e.g. "nan". */
  invalidMetric?: string;
}

const MAX_REASON_DETAIL = 300;

/** ": <text>" for a reason, trimmed and cut to a readable length; nothing for no text. */
export function reasonDetail(text: string | undefined): string {
  if (!text) return '';
  const line = text.trim();
  return `: ${line.length > MAX_REASON_DETAIL ? `${line.slice(0, MAX_REASON_DETAIL)}…` : line}`;
}

/**
 * How a run ended. Precedence: interrupted > timeout > crash > ok. A crash is a non-zero exit, death by a
 * signal, a run that never started, or a clean exit without a finite metric (a diverged run is not a result).
 */
export function classifyOutcome(facts: OutcomeFacts): Pick<TrainingResult, 'outcome' | 'reason'> {
  if (facts.interrupted) return { outcome: 'interrupted', reason: 'stopped' };
  if (facts.timedOut) {
    return { outcome: 'timeout', reason: facts.timeoutSeconds !== undefined ? `timed out after ${facts.timeoutSeconds} s` : 'timed out' };
  }
  if (facts.startError !== undefined) return { outcome: 'crash', reason: `could not start${reasonDetail(facts.startError)}` };
  if (facts.signal !== null) return { outcome: 'crash', reason: `killed by ${facts.signal}${reasonDetail(facts.lastErrorLine)}` };
  if (facts.exitCode !== 0) {
    const how = facts.exitCode === null ? 'exited abnormally' : `exit code ${facts.exitCode}`;
    return { outcome: 'crash', reason: `${how}${reasonDetail(facts.lastErrorLine)}` };
  }
  if (facts.metric === null || !Number.isFinite(facts.metric)) {
    if (facts.invalidMetric !== undefined) return { outcome: 'crash', reason: `${facts.metricName} was ${facts.invalidMetric}` };
    return { outcome: 'crash', reason: `no ${facts.metricName} line in output` };
  }
  return { outcome: 'ok' };
}

/** The result of a run that never started (stopped first, or it could not be launched). */
export function notStarted(req: TrainingRequest, started: number, startError: string, interrupted = false): TrainingResult {
  const { outcome, reason } = classifyOutcome({ exitCode: null, signal: null, timedOut: false, interrupted, metric: null, metricName: req.metric.name, startError });
  return { outcome, reason, exitCode: null, signal: null, metric: null, secondary: {}, seconds: (Date.now() - started) / 1000 };
}

/**
 * The executor cannot run anything as configured (a missing tool, an unreachable host or controller, a
 * setting the cluster rejects). Thrown, not an outcome: no experiment is to blame, and the next would fail too.
 */
export class ExecutorSetupError extends Error {}

/** Why `cwd` cannot be a run's working directory, if it cannot. */
export function directoryProblem(cwd: string): string | undefined {
  try {
    if (statSync(cwd).isDirectory()) return undefined;
    return `working directory ${cwd} is not a directory`;
  } catch {
    return `working directory ${cwd} does not exist`;
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * A preflight that runs once and is shared by every caller, run again only after it failed (the setup
 * may have been fixed meanwhile).
 */
export function onceUntilFailure(check: () => Promise<void>): () => Promise<void> {
  let ready: Promise<void> | undefined;
  return () => {
    ready ??= check().catch((e: unknown) => {
      ready = undefined;
      throw e;
    });
    return ready;
  };
}

/** Between SIGTERM and SIGKILL when a run is stopped, unless an executor is told otherwise. */
export const DEFAULT_KILL_GRACE_MS = 3000;

// setTimeout fires at once for delays beyond a signed 32-bit number of milliseconds.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A run's hard timeout as a delay for setTimeout: never negative, and a huge one stays huge. */
export function hardTimeoutMs(timeoutSeconds: number): number {
  return Math.min(Math.max(0, timeoutSeconds * 1000), MAX_TIMER_MS);
}

/** `env` without the request's secret variables. */
export function scrubbed<E extends Record<string, string | undefined>>(req: Pick<TrainingRequest, 'secrets'>, env: E): E {
  return req.secrets ? req.secrets.scrub(env) : env;
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
