import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { classifyOutcome, directoryProblem, errorMessage, ExecutorSetupError, notStarted, onceUntilFailure, reasonDetail, scrubbed, type Executor, type TrainingRequest, type TrainingResult } from './executor';
import { shellQuote } from './shell';
import { callSafely, LineSplitter, TrainingOutput } from './trainingOutput';
import type { Secrets } from '../secrets/secrets';

/**
 * Training as Slurm batch jobs. The job runs the command in the request's working directory, which the
 * cluster's nodes share with this machine (Slurm clusters share the filesystem), and writes its output
 * to a file next to the run's log; that file is followed as it grows, so output streams as it does for
 * a local run. Job states come from `scontrol show job` (the controller's live view); `sacct` only once
 * the controller has forgotten the job, because accounting is written asynchronously and often lags.
 */

export interface SlurmExecutorOptions {
  partition?: string;
  /** `--gpus`: a count, or type:count such as "a100:2". Clusters that only know `--gres` use `directives`. */
  gpus?: number | string;
  /** `--time`. Default: the request's hard timeout rounded up to whole minutes. */
  timeLimitMinutes?: number;
  /** Extra `#SBATCH` lines, e.g. "--mem=32G" or "--account=proj" (a leading "#SBATCH" is optional). */
  directives?: string[];
  /** How often to ask the controller about the job. Default 5. */
  pollSeconds?: number;
  /** Environment for the Slurm commands themselves (sbatch, scontrol, scancel), e.g. SLURM_CONF. */
  env?: Record<string, string>;
  /** A job still pending after this long is cancelled (outcome interrupted). Default: wait as long as it takes. */
  maxQueueMinutes?: number;
  maxLineLength?: number;
}

/** What Slurm says about a job. */
export interface SlurmJobStatus {
  /** JobState as scontrol prints it (PENDING, RUNNING, COMPLETING, COMPLETED, FAILED, ...). */
  state: string;
  /** scontrol's Reason: why a job is pending, or how it ended ("None" when there is none). */
  reason: string;
  /** Exit code of the batch script (the part of ExitCode before the colon). */
  exitCode: number | null;
  /** Signal that ended the batch script (after the colon), 0 for none. */
  signal: number | null;
}

/** Why we ran scancel: Stop, our hard timeout, or a job that waited in the queue longer than allowed. */
export type SlurmCancelCause = 'stop' | 'timeout' | 'queue';

export interface SlurmOutcomeFacts {
  /** The job's final status; undefined when it could not be read. */
  status: SlurmJobStatus | undefined;
  cancelledBy?: SlurmCancelCause;
  metric: number | null;
  metricName: string;
  invalidMetric?: string;
  /** Last non-empty line of the job's output (stdout and stderr are one file): usually the exception. */
  lastLine?: string;
  timeoutSeconds?: number;
  timeLimitMinutes?: number;
  maxQueueMinutes?: number;
  /** The pending reason when a queued job was given up on. */
  pendingReason?: string;
  /** Why the final status is unknown. */
  unknownState?: string;
}

/** States a job does not leave. Anything else (PENDING, RUNNING, COMPLETING, CONFIGURING, SUSPENDED, REQUEUED, ...) may still change. */
const FINAL_STATES = new Set(['COMPLETED', 'CANCELLED', 'FAILED', 'TIMEOUT', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE', 'OUT_OF_MEMORY', 'SPECIAL_EXIT', 'REVOKED']);

export function isFinalSlurmState(state: string): boolean {
  return FINAL_STATES.has(state);
}

/** States in which the job has not started running yet: the run's clock does not tick. */
export function isQueuedSlurmState(state: string): boolean {
  return state === 'PENDING' || state === 'CONFIGURING' || state === 'REQUEUED' || state === 'REQUEUE_HOLD' || state === 'REQUEUE_FED';
}

export function signalName(signal: number): string | undefined {
  return Object.entries(osConstants.signals).find(([, n]) => n === signal)?.[0];
}

/**
 * How a Slurm job ended, as an outcome. A COMPLETED job is judged like a local run (it needs the metric),
 * even when we had asked to cancel it: it finished first. A job we cancelled is interrupted (Stop),
 * timeout (our hard timeout) or interrupted (it never left the queue). Slurm's own limits (TIMEOUT,
 * DEADLINE) are timeouts. PREEMPTED, and CANCELLED by someone else, are interrupted: the cluster took the
 * job away, which says nothing about the experiment, and a crash would teach the proposer that its
 * change broke training. FAILED, NODE_FAIL, OUT_OF_MEMORY, BOOT_FAIL and the rest are crashes.
 */
export function slurmOutcome(f: SlurmOutcomeFacts): Pick<TrainingResult, 'outcome' | 'reason'> {
  const status = f.status;
  if (status?.state === 'COMPLETED') {
    return classifyOutcome({
      exitCode: status.exitCode ?? 0,
      signal: null,
      timedOut: false,
      interrupted: false,
      metric: f.metric,
      metricName: f.metricName,
      lastErrorLine: f.lastLine,
      invalidMetric: f.invalidMetric,
    });
  }
  if (f.cancelledBy === 'stop') return { outcome: 'interrupted', reason: 'stopped' };
  if (f.cancelledBy === 'timeout') {
    return { outcome: 'timeout', reason: f.timeoutSeconds !== undefined ? `timed out after ${f.timeoutSeconds} s` : 'timed out' };
  }
  if (f.cancelledBy === 'queue') {
    const limit = f.maxQueueMinutes !== undefined ? ` within ${f.maxQueueMinutes} min` : '';
    const pending = f.pendingReason && f.pendingReason !== 'None' ? ` (pending: ${f.pendingReason})` : '';
    return { outcome: 'interrupted', reason: `not started by Slurm${limit}${pending}` };
  }
  if (!status) return { outcome: 'crash', reason: `final Slurm state unknown${reasonDetail(f.unknownState)}` };
  switch (status.state) {
    case 'TIMEOUT': {
      const limit = f.timeLimitMinutes !== undefined ? ` of ${f.timeLimitMinutes} min` : '';
      return { outcome: 'timeout', reason: `Slurm's time limit${limit} was reached (state TIMEOUT)` };
    }
    case 'DEADLINE':
      return { outcome: 'timeout', reason: "Slurm's deadline passed (state DEADLINE)" };
    case 'PREEMPTED':
      return { outcome: 'interrupted', reason: 'preempted by Slurm' };
    case 'CANCELLED':
      return { outcome: 'interrupted', reason: 'cancelled outside the loop (Slurm state CANCELLED)' };
  }
  const sig = status.signal ? signalName(status.signal) : undefined;
  const code = `exit code ${status.exitCode ?? '?'}:${status.signal ?? '?'}${sig ? `, ${sig}` : ''}`;
  return { outcome: 'crash', reason: `Slurm state ${status.state} (${code})${reasonDetail(f.lastLine)}` };
}

const PERMANENT_PENDING: Record<string, string> = {
  PartitionTimeLimit: "the time limit is above the partition's MaxTime",
  PartitionNodeLimit: 'the job asks for more nodes than the partition allows',
  BadConstraints: 'no node can satisfy the request',
  InvalidAccount: 'the account is not valid',
  InvalidQOS: 'the QOS is not valid',
};

/**
 * Why a pending job will never start, from its pending reason; undefined when waiting may help. These
 * are settings of ours the cluster cannot satisfy (e.g. a time limit over the partition's MaxTime), so
 * every experiment would hang in the queue the same way.
 */
export function permanentPendingReason(reason: string): string | undefined {
  if (PERMANENT_PENDING[reason]) return PERMANENT_PENDING[reason];
  // e.g. QOSMaxWallDurationPerJobLimit, AssocMaxGRESPerJob: one job over a per-job limit never fits.
  if (/^(QOS|Assoc)\w*PerJob(Limit)?$/.test(reason)) return 'the job asks for more than a per-job limit of its QOS or association allows';
  return undefined;
}

function parseExitCode(text: string | undefined): [number | null, number | null] {
  const m = /^(\d+):(\d+)$/.exec(text ?? '');
  return m ? [Number(m[1]), Number(m[2])] : [null, null];
}

/** The job's status from `scontrol show job -o <id>`; undefined when the text has no JobState. */
export function parseScontrolJob(text: string): SlurmJobStatus | undefined {
  // Leading whitespace in the pattern: ExitCode must not match DerivedExitCode.
  const field = (name: string) => new RegExp(`(?:^|\\s)${name}=(\\S*)`).exec(text)?.[1];
  const state = field('JobState');
  if (!state) return undefined;
  const [exitCode, signal] = parseExitCode(field('ExitCode'));
  return { state, reason: field('Reason') ?? 'None', exitCode, signal };
}

/** The job's status from `sacct -n -X -P -o State,ExitCode`: "CANCELLED by 0|0:15". */
export function parseSacctJob(text: string): SlurmJobStatus | undefined {
  const line = text.split('\n').find((l) => l.trim() !== '');
  if (!line) return undefined;
  const [stateField, exitField] = line.trim().split('|');
  const state = stateField?.split(' ')[0];
  if (!state) return undefined;
  const [exitCode, signal] = parseExitCode(exitField);
  return { state, reason: 'None', exitCode, signal };
}

/** The job id from `sbatch --parsable`: "123", or "123;cluster" on a multi-cluster setup. */
export function parseSbatchJobId(stdout: string): number | undefined {
  const m = /^(\d+)(?:;\S+)?\s*$/m.exec(stdout);
  return m ? Number(m[1]) : undefined;
}

/** `--time` in minutes: the configured limit, else the hard timeout rounded up; undefined for no limit. */
export function slurmTimeLimitMinutes(timeoutSeconds: number, configured?: number): number | undefined {
  if (configured !== undefined) return configured;
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) return undefined;
  return Math.max(1, Math.ceil(timeoutSeconds / 60));
}

/**
 * The batch script: our directives, the user's after them (a later #SBATCH line wins), then the
 * request's environment and the command. `--no-requeue`: the loop, not Slurm, decides whether an
 * experiment runs again; a requeued job would start over in the middle of being read. With an
 * `endMarker`, the script prints it on a line of its own when the command is done (keeping the
 * command's exit status), so that the job's end is seen in its output at once, not at the next poll
 * of the controller.
 */
export function slurmBatchScript(command: string, env: Record<string, string> | undefined, directives: string[] = [], endMarker?: string): string {
  const lines = ['#!/bin/bash', '#SBATCH --no-requeue'];
  for (const d of directives) lines.push(`#SBATCH ${d.replace(/^#SBATCH\s+/, '').trim()}`);
  lines.push('export PYTHONUNBUFFERED=1');
  for (const [name, value] of Object.entries(env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`environment variable name ${JSON.stringify(name)} is not valid in a shell`);
    lines.push(`export ${name}=${shellQuote(value)}`);
  }
  lines.push(command);
  if (endMarker !== undefined) lines.push('status=$?', `printf '%s\\n' ${shellQuote(endMarker)}`, 'exit "$status"');
  lines.push('');
  return lines.join('\n');
}

export interface SbatchRequest {
  n: number;
  scriptPath: string;
  outputPath: string;
  cwd: string;
  timeLimitMinutes?: number;
  partition?: string;
  gpus?: number | string;
}

/**
 * Arguments for sbatch. On the command line, not in the script, so that they win over a directive and
 * need no quoting. `%` is a filename pattern character for Slurm (`%j` is the job id): doubled, it is a `%`.
 */
export function sbatchArguments(r: SbatchRequest): string[] {
  const args = ['--parsable', `--job-name=autoresearch-${r.n}`, `--output=${r.outputPath.replace(/%/g, '%%')}`, `--chdir=${r.cwd}`];
  if (r.timeLimitMinutes !== undefined) args.push(`--time=${r.timeLimitMinutes}`);
  if (r.partition !== undefined) args.push(`--partition=${r.partition}`);
  if (r.gpus !== undefined) args.push(`--gpus=${r.gpus}`);
  args.push(r.scriptPath);
  return args;
}

/** Where a run's batch script and raw job output go: next to its log, `<n>.slurm.sh` and `<n>.slurm.out`. */
export function slurmJobFiles(logPath: string): { script: string; output: string } {
  const base = resolve(logPath).replace(/\.log$/, '');
  return { script: `${base}.slurm.sh`, output: `${base}.slurm.out` };
}

// --- I/O -------------------------------------------------------------------------------------------

interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The command is not on PATH. */
  missing: boolean;
}

const COMMAND_TIMEOUT_MS = 60_000;
/** How often the output file is read; the job's state is asked for every `pollSeconds`. */
const TAIL_MS = 250;
/** After scancel: ask for the state every `pollMs`, repeat scancel every `retryMs`, give up waiting after `waitMs`. */
const CANCEL = { pollMs: 1000, retryMs: 10_000, waitMs: 120_000 };
/** Once the command is done, how often to ask until Slurm says the job has ended (usually within a second). */
const ENDING_POLL_MS = 200;
/** The controller may be restarted or fail over mid-run; after this long without an answer, stop waiting. */
const CONTROLLER_GRACE_MS = 300_000;
/** After the job has ended, one more look at its output file (on NFS, the last writes may show late). */
const OUTPUT_SETTLE_MS = 500;
const READ_CHUNK = 1 << 20;

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}

function commandProblem(command: string, r: CommandResult): string {
  if (r.missing) return `${command} not found on PATH`;
  return firstLine(r.stderr) || firstLine(r.stdout) || `${command} exited with ${r.code ?? 'a signal'}`;
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolvePause) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolvePause();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The job's output file as it grows, passed on line by line to the log, the metric scanner and onLine. */
class OutputFollower {
  /** The batch script printed its end marker: the command is done. */
  endSeen = false;
  private offset = 0;
  private readonly decoder = new StringDecoder('utf8');
  private readonly splitter: LineSplitter;

  constructor(
    private readonly path: string,
    readonly output: TrainingOutput,
    private readonly endMarker: string,
    maxLineLength?: number,
  ) {
    this.splitter = new LineSplitter(maxLineLength);
  }

  /** Reads what was written since the last call; true when there was anything. */
  async poll(): Promise<boolean> {
    let handle;
    try {
      // Opened anew each time: on NFS, opening is what revalidates the cached size.
      handle = await open(this.path, 'r');
    } catch {
      return false; // Not created yet: the job has not started.
    }
    try {
      const { size } = await handle.stat();
      // Shorter than what we read: the job started over (requeued by a directive) and truncated it.
      if (size < this.offset) this.offset = 0;
      let read = false;
      while (this.offset < size) {
        const buffer = Buffer.alloc(Math.min(READ_CHUNK, size - this.offset));
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        read = true;
        await this.handle(this.splitter.push(this.decoder.write(buffer.subarray(0, bytesRead))));
      }
      return read;
    } finally {
      await handle.close();
    }
  }

  /** The final line, when the output did not end with a newline. */
  async finish(): Promise<void> {
    const rest = this.decoder.end();
    await this.handle([...(rest ? this.splitter.push(rest) : []), ...this.splitter.end()]);
  }

  private async handle(lines: string[]): Promise<void> {
    let full = false;
    for (let line of lines) {
      // The marker may follow a last line the command wrote without a newline.
      const at = line.indexOf(this.endMarker);
      if (at >= 0) {
        this.endSeen = true;
        line = line.slice(0, at);
        if (line === '') continue;
      }
      // Slurm writes stdout and stderr to one file: their order is kept, their names are not.
      if (!this.output.line(line, 'stdout')) full = true;
    }
    if (full) await this.output.drained();
  }
}

type JobQuery = { kind: 'status'; status: SlurmJobStatus } | { kind: 'gone'; detail: string } | { kind: 'error'; detail: string };

/** What watching a job found. */
interface JobWatch {
  status?: SlurmJobStatus;
  /** Why we cancelled it; 'setup' when it could never start. */
  cancelledBy?: SlurmCancelCause | 'setup';
  /** When we saw it running (state or output), ms since the epoch. */
  runningSince?: number;
  ended: number;
  unknownState?: string;
  /** The pending reason when we gave up on the queue. */
  pendingReason?: string;
  /** Still not ended when we stopped waiting for it after scancel. */
  stillRunning?: boolean;
  setupError?: ExecutorSetupError;
}

/**
 * Runs training as Slurm batch jobs (see the top of this file). The hard timeout counts from when the
 * job is seen RUNNING: time in the queue is the cluster's, not the experiment's. A job may wait in the
 * queue as long as it takes unless `maxQueueMinutes` is set; one that can never start (its pending
 * reason says so) is cancelled and reported as an ExecutorSetupError.
 */
export class SlurmExecutor implements Executor {
  readonly kind = 'slurm';
  get where(): string {
    return this.options.partition ? `slurm (partition ${this.options.partition})` : 'slurm';
  }
  private readonly checkOnce = onceUntilFailure(() => this.check());
  private readonly directives: string[];

  constructor(private readonly options: SlurmExecutorOptions = {}) {
    this.directives = options.directives ?? [];
    for (const d of this.directives) {
      if (/[\r\n]/.test(d)) throw new ExecutorSetupError(`slurm directive ${JSON.stringify(d)} spans lines; give one option per directive`);
    }
  }

  /**
   * Checks that Slurm's commands are here, the controller answers and the partition exists; throws an
   * ExecutorSetupError saying which is not so. Runs once per executor (again after a failure).
   */
  preflight(): Promise<void> {
    return this.checkOnce();
  }

  /** Cancels a job (e.g. one left behind by a run that died); false when scancel failed. */
  async cancelJob(jobId: number): Promise<boolean> {
    return (await this.slurm('scancel', [String(jobId)])).code === 0;
  }

  async run(req: TrainingRequest): Promise<TrainingResult> {
    await this.preflight();
    const started = Date.now();
    if (req.signal?.aborted) return notStarted(req, started, 'stopped before it started', true);
    const badDirectory = directoryProblem(req.cwd);
    if (badDirectory) return notStarted(req, started, badDirectory);

    const files = slurmJobFiles(req.logPath);
    const endMarker = `@@bilevel-slurm-end-${randomBytes(8).toString('hex')}@@`;
    const log = TrainingOutput.open(req);
    if (typeof log === 'string') return notStarted(req, started, log);

    const timeLimitMinutes = slurmTimeLimitMinutes(req.timeoutSeconds, this.options.timeLimitMinutes);
    let jobId: number;
    try {
      // A stale output file from an earlier attempt would be read as this job's output until Slurm truncates it.
      rmSync(files.output, { force: true });
      writeFileSync(files.script, slurmBatchScript(req.command, req.env && scrubbed(req, req.env), this.directives, endMarker));
      jobId = await this.submit(
        req,
        sbatchArguments({
          n: req.n,
          scriptPath: files.script,
          outputPath: files.output,
          cwd: resolve(req.cwd),
          timeLimitMinutes,
          partition: this.options.partition,
          gpus: this.options.gpus,
        }),
      );
    } catch (e) {
      await log.close();
      if (e instanceof ExecutorSetupError) throw e;
      return notStarted(req, started, errorMessage(e));
    }
    if (req.onStart) callSafely(() => req.onStart!(undefined, jobId));

    const output = new OutputFollower(files.output, log, endMarker, this.options.maxLineLength);
    const watch = await this.watch(jobId, req, output);
    await output.poll();
    // Without the end marker (killed, cancelled), the last writes may still be on their way.
    if (!output.endSeen) {
      await pause(OUTPUT_SETTLE_MS);
      await output.poll();
    }
    await output.finish();
    await log.close();
    // The log now holds everything the job wrote; a job still running may write on, so its file stays.
    if (!watch.stillRunning) rmSync(files.output, { force: true });
    if (watch.setupError) throw watch.setupError;

    const reading = log.scanner.reading();
    let { outcome, reason } = slurmOutcome({
      status: watch.status,
      cancelledBy: watch.cancelledBy === 'setup' ? undefined : watch.cancelledBy,
      metric: reading.metric,
      metricName: req.metric.name,
      invalidMetric: reading.invalidMetric,
      lastLine: log.lastErrorLine,
      timeoutSeconds: req.timeoutSeconds,
      timeLimitMinutes,
      maxQueueMinutes: this.options.maxQueueMinutes,
      pendingReason: watch.pendingReason,
      unknownState: watch.unknownState,
    });
    if (watch.stillRunning) reason = `${reason ?? outcome}; Slurm job ${jobId} had not ended ${CANCEL.waitMs / 1000} s after scancel`;
    const signal = watch.status?.signal ? (signalName(watch.status.signal) ?? `signal ${watch.status.signal}`) : null;
    const result: TrainingResult = {
      outcome,
      exitCode: signal !== null ? null : (watch.status?.exitCode ?? null),
      signal,
      metric: reading.metric,
      secondary: reading.secondary,
      // Training time: from RUNNING when it got there; queueing is not the experiment's.
      seconds: (watch.ended - (watch.runningSince ?? started)) / 1000,
    };
    if (reason !== undefined) result.reason = reason;
    return result;
  }

  /** `secrets`: kept out of the command's environment (sbatch passes its own on to the job). */
  private slurm(command: string, args: string[], secrets?: Secrets): Promise<CommandResult> {
    return new Promise((resolveCommand) => {
      execFile(
        command,
        args,
        { env: scrubbed({ secrets }, { ...process.env, ...this.options.env }), timeout: COMMAND_TIMEOUT_MS, maxBuffer: 4 << 20, encoding: 'utf8' },
        (error, stdout, stderr) => {
          if (!error) return resolveCommand({ code: 0, stdout, stderr, missing: false });
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') return resolveCommand({ code: null, stdout, stderr, missing: true });
          // A number is the exit status; anything else (killed at our timeout, output too long) is in the message.
          if (typeof code === 'number') return resolveCommand({ code, stdout, stderr, missing: false });
          resolveCommand({ code: null, stdout, stderr: stderr || error.message, missing: false });
        },
      );
    });
  }

  private async check(): Promise<void> {
    for (const command of ['sbatch', 'scontrol', 'scancel']) {
      if ((await this.slurm(command, ['--version'])).missing) {
        throw new ExecutorSetupError(
          `${command} not found on PATH: the slurm executor runs Slurm's client commands (sbatch, scontrol, scancel) on this machine (Debian/Ubuntu: apt-get install slurm-client)`,
        );
      }
    }
    const ping = await this.slurm('scontrol', ['ping']);
    if (ping.code !== 0) throw new ExecutorSetupError(`the Slurm controller is not reachable (scontrol ping: ${commandProblem('scontrol', ping)})`);
    const partition = this.options.partition;
    if (partition !== undefined) {
      const shown = await this.slurm('scontrol', ['show', 'partition', '-o', partition]);
      if (shown.code !== 0) {
        const names = (await this.slurm('sinfo', ['-h', '-o', '%R'])).stdout.split('\n').map((l) => l.trim()).filter(Boolean);
        const known = names.length ? `; partitions here: ${[...new Set(names)].join(', ')}` : '';
        throw new ExecutorSetupError(`Slurm partition "${partition}" does not exist (${commandProblem('scontrol', shown)})${known}`);
      }
    }
  }

  /** Submits; throws an ExecutorSetupError when sbatch refuses: the same request would be refused every time. */
  private async submit(req: TrainingRequest, args: string[]): Promise<number> {
    const r = await this.slurm('sbatch', args, req.secrets);
    const jobId = r.code === 0 ? parseSbatchJobId(r.stdout) : undefined;
    if (jobId !== undefined) return jobId;
    if (r.code === 0) throw new ExecutorSetupError(`sbatch printed no job id: ${firstLine(r.stdout) || '(nothing)'}`);
    throw new ExecutorSetupError(`sbatch refused the job: ${commandProblem('sbatch', r)}`);
  }

  private async query(jobId: number): Promise<JobQuery> {
    const shown = await this.slurm('scontrol', ['show', 'job', '-o', String(jobId)]);
    if (shown.code === 0) {
      const status = parseScontrolJob(shown.stdout);
      return status ? { kind: 'status', status } : { kind: 'error', detail: `unreadable scontrol output: ${firstLine(shown.stdout)}` };
    }
    if (!/invalid job id/i.test(shown.stderr + shown.stdout)) return { kind: 'error', detail: commandProblem('scontrol', shown) };
    // The controller has forgotten the job (MinJobAge passed): accounting, where there is any, still knows it.
    const acct = await this.slurm('sacct', ['-n', '-X', '-P', '-j', String(jobId), '-o', 'State,ExitCode']);
    const status = acct.code === 0 ? parseSacctJob(acct.stdout) : undefined;
    if (status) return { kind: 'status', status };
    const why = acct.code === 0 ? 'has no record of it' : commandProblem('sacct', acct);
    return { kind: 'gone', detail: `slurmctld no longer knows job ${jobId}, and sacct ${acct.missing ? 'is not installed' : why}` };
  }

  /** Follows the job until it ends (or we give up on it), cancelling it on Stop and at the timeouts. */
  private async watch(jobId: number, req: TrainingRequest, output: OutputFollower): Promise<JobWatch> {
    const submitted = Date.now();
    const pollMs = Math.max(100, (this.options.pollSeconds ?? 5) * 1000);
    const timeoutMs = req.timeoutSeconds * 1000;
    const maxQueueMs = this.options.maxQueueMinutes !== undefined ? this.options.maxQueueMinutes * 60_000 : Infinity;
    const w: Omit<JobWatch, 'ended'> = {};
    let lastPoll = -Infinity;
    let lastCancel = -Infinity;
    let cancelSince: number | undefined;
    let failingSince: number | undefined;

    const cancel = async (cause: NonNullable<JobWatch['cancelledBy']>) => {
      w.cancelledBy ??= cause;
      cancelSince ??= Date.now();
      lastCancel = Date.now();
      lastPoll = -Infinity; // Look again at once: a pending job is cancelled immediately.
      await this.cancelJob(jobId);
    };

    for (;;) {
      const endSeenBefore = output.endSeen;
      if (await output.poll()) w.runningSince ??= Date.now();
      // The command is done: ask for the final state now and then often, not at the next poll.
      if (output.endSeen && !endSeenBefore) lastPoll = -Infinity;
      if (req.signal?.aborted && w.cancelledBy === undefined) await cancel('stop');
      else if (w.cancelledBy !== undefined && Date.now() - lastCancel >= CANCEL.retryMs) await cancel(w.cancelledBy);

      const interval = Math.min(pollMs, output.endSeen ? ENDING_POLL_MS : cancelSince !== undefined ? CANCEL.pollMs : Infinity);
      if (Date.now() - lastPoll >= interval) {
        lastPoll = Date.now();
        const q = await this.query(jobId);
        if (q.kind === 'status') {
          failingSince = undefined;
          w.status = q.status;
          if (isFinalSlurmState(q.status.state)) break;
          if (!isQueuedSlurmState(q.status.state)) w.runningSince ??= Date.now();
          const never = q.status.state === 'PENDING' ? permanentPendingReason(q.status.reason) : undefined;
          if (never && w.cancelledBy === undefined) {
            w.setupError = new ExecutorSetupError(`Slurm would never start job ${jobId}: it is pending with reason ${q.status.reason} (${never}); cancelled it`);
            await cancel('setup');
          }
        } else if (q.kind === 'gone') {
          w.unknownState = q.detail;
          break;
        } else {
          failingSince ??= Date.now();
          if (Date.now() - failingSince > CONTROLLER_GRACE_MS) {
            w.setupError = new ExecutorSetupError(
              `lost contact with the Slurm controller for ${CONTROLLER_GRACE_MS / 1000} s (${q.detail}); job ${jobId} may still be running: scancel ${jobId}`,
            );
            break;
          }
        }
      }

      if (w.cancelledBy === undefined) {
        if (w.runningSince !== undefined && Date.now() - w.runningSince >= timeoutMs) await cancel('timeout');
        else if (w.runningSince === undefined && Date.now() - submitted >= maxQueueMs) {
          w.pendingReason = w.status?.reason;
          await cancel('queue');
        }
      }
      if (cancelSince !== undefined && Date.now() - cancelSince > CANCEL.waitMs) {
        w.stillRunning = true;
        break;
      }
      // Woken by Stop until we have cancelled; after that the signal stays aborted and would not let it sleep.
      await pause(Math.min(output.endSeen ? ENDING_POLL_MS : TAIL_MS, pollMs), w.cancelledBy === undefined ? req.signal : undefined);
    }
    return { ...w, ended: Date.now() };
  }
}

