import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { classifyOutcome, DEFAULT_KILL_GRACE_MS, errorMessage, ExecutorSetupError, hardTimeoutMs, notStarted, onceUntilFailure, scrubbed, type Executor, type TrainingRequest, type TrainingResult } from './executor';
import { killProcessGroup } from '../process/processGroup';
import { git, GitError } from '../git/git';
import { shellCommand, shellQuote, shippedScript } from './shell';
import { callSafely, TrainingOutput } from './trainingOutput';

/**
 * Runs training on another machine over ssh. The host is whatever the system `ssh` client makes of it
 * (so `Host` aliases, keys, ProxyJump in ~/.ssh/config all work); nothing ever prompts (BatchMode).
 *
 * Each run: `git push` the exact commit to `refs/autoresearch/sync/<n>` of the remote working copy,
 * then one ssh session that checks it out (detached, forced) and runs the command in its own session
 * and process group, its stdout and stderr streaming back as the log. Nothing else is fetched. The
 * scripts that run on the host are remote/sshPreflight.sh and remote/sshRun.sh.
 *
 * The remote run is tied to that ssh session: a small bash wrapper on the remote side starts the
 * command with setsid and then reads its stdin, which is the ssh channel. The local side writes a
 * heartbeat line every few seconds. When stdin reaches EOF (the local ssh client died, or we closed
 * it to stop the run) or stays silent for `silenceSeconds` (a network that dropped without a FIN), the
 * wrapper kills the whole process group: SIGTERM, then SIGKILL after the grace period. This does not
 * depend on sshd sending SIGHUP (it does not without a tty) nor on its keepalive settings, which we do
 * not control. The wrapper reports what happened on stderr in lines tagged with a per-run random
 * marker, which the local side takes out of the output.
 */

/** What the options not given are (the kill grace is every executor's). */
const DEFAULTS = { connectTimeoutSeconds: 10, heartbeatMs: 5000, silenceSeconds: 30 } satisfies Partial<SshExecutorOptions>;
/** After asking the remote to stop, how long beyond its kill grace to wait for it to confirm before cutting the connection. */
const STOP_CONFIRM_MS = 5000;
/** After the remote reported the end, how long to wait for ssh to exit (a process that escaped the group may hold the channel). */
const EXIT_SETTLE_MS = 2000;
/** After ssh exits, how long to wait for its output pipes to close. */
const OUTPUT_SETTLE_MS = 1000;
/** Preflight: connect timeout plus this for the check itself. */
const PREFLIGHT_EXTRA_MS = 30_000;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface SshExecutorOptions {
  /** A host name, user@host, or a Host alias of the ssh config. */
  host: string;
  /** The remote working copy (a clone of the training repo): absolute, or relative to the remote home (`~/` works). */
  remoteDir: string;
  /** Passed as `ssh -F`: this config file instead of ~/.ssh/config (tests, unusual setups). */
  sshConfigFile?: string;
  connectTimeoutSeconds?: number;
  /** Between SIGTERM and SIGKILL when the remote run is stopped. */
  killGraceMs?: number;
  /** How often the local side tells the remote side it is still there. */
  heartbeatMs?: number;
  /** The remote side kills the run after hearing nothing for this long (a dead network). Keep it well above the heartbeat. */
  silenceSeconds?: number;
  maxLineLength?: number;
}

// --- Pure pieces: command lines, reading what the remote side says -------------------------------

/** Options for every ssh this executor starts, git's included. */
export function sshOptions(options: Pick<SshExecutorOptions, 'sshConfigFile' | 'connectTimeoutSeconds'>): string[] {
  const timeout = Math.max(1, Math.round(options.connectTimeoutSeconds ?? DEFAULTS.connectTimeoutSeconds));
  const o = (setting: string) => ['-o', setting];
  return [
    ...(options.sshConfigFile !== undefined ? ['-F', options.sshConfigFile] : []),
    ...o('BatchMode=yes'),
    ...o(`ConnectTimeout=${timeout}`),
    // The local side notices a dead network too, within about 30 s.
    ...o('ServerAliveInterval=10'),
    ...o('ServerAliveCountMax=3'),
    // A connection of our own: its end must be the run's end, which a shared master connection would blur.
    ...o('ControlMaster=no'),
    ...o('ControlPath=none'),
    // The config's forwards would collide between parallel runs; a RemoteCommand would replace ours.
    ...o('ClearAllForwardings=yes'),
    ...o('RemoteCommand=none'),
    ...o('RequestTTY=no'),
    // Warnings (e.g. "Permanently added ... to the list of known hosts") are not training output.
    ...o('LogLevel=ERROR'),
  ];
}

/** GIT_SSH_COMMAND with the same options, so that `git push` reaches the host exactly as the run does. */
export function gitSshCommand(options: Pick<SshExecutorOptions, 'sshConfigFile' | 'connectTimeoutSeconds'>): string {
  return ['ssh', ...sshOptions(options)].map(shellQuote).join(' ');
}

/** The remote working copy as a git remote: scp-like syntax, where a relative path is relative to the remote home. */
export function gitRemote(host: string, remoteDir: string): string {
  const path = remoteDir === '~' ? '.' : remoteDir.startsWith('~/') ? remoteDir.slice(2) || '.' : remoteDir;
  return `${host}:${path}`;
}

export function syncRef(n: number): string {
  return `refs/autoresearch/sync/${n}`;
}

/** The command line for the remote login shell that checks the host and remoteDir (remote/sshPreflight.sh). */
export function preflightCommand(remoteDir: string, marker: string): string {
  return shellCommand('sh', shippedScript('sshPreflight.sh'), 'bilevel-ssh', [remoteDir, marker]);
}

export interface RemoteRunSpec {
  remoteDir: string;
  commit: string;
  command: string;
  env: Record<string, string>;
  /** Unset on the remote side too: the remote login may set them (a profile), and they must not reach the command. */
  unset?: readonly string[];
  killGraceMs: number;
  silenceSeconds: number;
  marker: string;
}

/** The command line for the remote login shell that checks out and runs one experiment (remote/sshRun.sh). */
export function remoteRunCommand(spec: RemoteRunSpec): string {
  const unset = spec.unset ?? [];
  const bad = [...Object.keys(spec.env), ...unset].filter((name) => !ENV_NAME.test(name));
  if (bad.length) throw new ExecutorSetupError(`environment variable name${bad.length > 1 ? 's' : ''} ${bad.map((b) => JSON.stringify(b)).join(', ')} cannot be passed to a remote shell`);
  // env's -u options come before its assignments.
  const envArgs = [...unset.flatMap((name) => ['-u', name]), 'PYTHONUNBUFFERED=1', ...Object.entries(spec.env).map(([name, value]) => `${name}=${value}`)];
  const graceTicks = String(Math.max(0, Math.ceil(spec.killGraceMs / 100)));
  const silence = String(Math.max(1, Math.round(spec.silenceSeconds)));
  return shellCommand('bash --norc --noprofile', shippedScript('sshRun.sh'), 'bilevel-ssh', [spec.remoteDir, spec.commit, spec.command, graceTicks, silence, spec.marker, ...envArgs]);
}

export function newMarker(): string {
  return `@@bilevel-ssh-${randomBytes(8).toString('hex')}@@`;
}

export type RemoteReport =
  | { kind: 'setup'; problem: string }
  | { kind: 'started'; pgid: number }
  | { kind: 'watchdog' }
  | { kind: 'exit'; exitCode: number | null; signal: string | null };

/**
 * Takes the wrapper's report out of a stderr line. The report may follow a partial line the command
 * wrote without a newline; that part is returned as `text`, the command's own output.
 */
export function splitReport(line: string, marker: string): { text?: string; report?: RemoteReport } {
  const at = line.indexOf(marker);
  if (at < 0) return { text: line };
  const before = line.slice(0, at);
  const text = before.length > 0 ? { text: before } : {};
  const [kind = '', ...rest] = line.slice(at + marker.length).trim().split(' ');
  const detail = rest.join(' ');
  let report: RemoteReport | undefined;
  if (kind === 'setup') report = { kind, problem: detail };
  else if (kind === 'started' && /^\d+$/.test(detail)) report = { kind, pgid: Number(detail) };
  else if (kind === 'watchdog') report = { kind };
  else if (kind === 'exit' && rest[0] === 'code' && /^\d+$/.test(rest[1] ?? '')) report = { kind, exitCode: Number(rest[1]), signal: null };
  else if (kind === 'exit' && rest[0] === 'signal' && rest[1]) report = { kind, exitCode: null, signal: `SIG${rest[1].replace(/^SIG/, '')}` };
  return report ? { ...text, report } : text;
}

/** The last non-empty line of some output. */
function lastLine(text: string): string | undefined {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .pop();
}

/** What to tell the user when ssh itself failed (exit code 255): the cause, then what to do about it. */
export function describeSshFailure(host: string, stderr: string, sshConfigFile?: string): string {
  const said = lastLine(stderr) ?? 'ssh exited with code 255 and no message';
  const config = sshConfigFile ?? '~/.ssh/config';
  if (/Could not resolve hostname/i.test(stderr)) {
    return `cannot reach ${host}: ${said}. Is "${host}" a host name, or a Host alias in ${config}?`;
  }
  if (/Permission denied|Too many authentication failures|no more authentication methods/i.test(stderr)) {
    return `${host} refused the login: ${said}. The ssh executor never prompts (BatchMode=yes): give ssh a key it can use unattended (ssh-agent, or IdentityFile for this host in ${config}) and check that \`ssh ${host} true\` works without a prompt.`;
  }
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i.test(stderr)) {
    return `the host key of ${host} is unknown or has changed (${said}): connect once with \`ssh ${host}\` to check and accept it.`;
  }
  if (/Connection refused|timed out|No route to host|Network is unreachable|Connection closed|Connection reset|kex_exchange_identification/i.test(stderr)) {
    return `cannot reach ${host}: ${said}. Check the host name and Port in ${config} and that the machine and its sshd are up.`;
  }
  return `ssh to ${host} failed: ${said}.`;
}

/** The preflight's verdict as a message for the user; undefined when all is well. */
export function preflightProblem(host: string, remoteDir: string, verdict: string): string | undefined {
  const [kind = '', ...rest] = verdict.trim().split(' ');
  const detail = rest.join(' ');
  const where = `remoteDir ${remoteDir} on ${host}`;
  const cloneHint = `clone your training repo there first: \`ssh ${host} git clone <your repo's url> ${remoteDir}\``;
  switch (kind) {
    case 'ok':
      return undefined;
    case 'missing-tool':
      return `${host} has no ${detail} on the PATH of a non-interactive ssh session; the ssh executor needs bash, git and setsid there.`;
    case 'no-dir':
      return `${where} does not exist; ${cloneHint}.`;
    case 'not-dir':
      return `${where} is not a directory; point remoteDir at a clone of your training repo.`;
    case 'no-access':
      return `${where} cannot be entered (permissions); check who owns it.`;
    case 'not-git':
      return `${where} is not a git working copy (${detail}); ${cloneHint}.`;
    case 'not-top':
      return `${where} is inside the git working copy ${detail}, not at its top; set remoteDir to ${detail}.`;
    case 'dirty':
      return `${where} has uncommitted changes to tracked files (${detail}). Each experiment is checked out there with --force, which would throw them away: commit, stash (\`ssh ${host} git -C ${remoteDir} stash\`) or discard them first.`;
    case 'git-failed':
      return `git failed in ${where}: ${detail}.`;
    default:
      return `the check of ${where} gave an answer this version does not know: ${verdict}.`;
  }
}

export interface RemoteRunFacts {
  /** The wrapper's report of how the command ended; absent when the connection ended first. */
  exit?: { exitCode: number | null; signal: string | null };
  /** The remote watchdog killed the run: its stdin ended or went silent. */
  watchdogFired: boolean;
  /** Why we asked the remote side to stop, if we did. */
  stopRequested?: 'interrupted' | 'timeout';
}

/**
 * How a remote run ended, in the local executor's terms. A stop we asked for is ours, whatever the
 * connection did after. Otherwise a run that ended without a report, or that the watchdog killed, lost
 * its connection: not a result of the experiment.
 */
export function remoteEnd(facts: RemoteRunFacts): { exitCode: number | null; signal: string | null; interrupted: boolean; timedOut: boolean; connectionLost: boolean } {
  const exitCode = facts.exit?.exitCode ?? null;
  const signal = facts.exit?.signal ?? null;
  const interrupted = facts.stopRequested === 'interrupted';
  const timedOut = facts.stopRequested === 'timeout';
  const connectionLost = facts.stopRequested === undefined && (facts.exit === undefined || facts.watchdogFired);
  return { exitCode, signal, interrupted, timedOut, connectionLost };
}

// --- I/O -------------------------------------------------------------------------------------------

interface Captured {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Could not be started at all (e.g. no such program). */
  startError?: string;
  aborted: boolean;
}

/** Runs a short command to its end, in its own process group so that a stop or timeout ends all of it. */
function capture(file: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<Captured> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(file, args, { cwd: opts.cwd, env: opts.env ?? process.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      resolve({ code: null, stdout: '', stderr: '', startError: errorMessage(e), aborted: false });
      return;
    }
    let stdout = '';
    let stderr = '';
    let aborted = false;
    let startError: string | undefined;
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const stop = () => {
      if (child.pid !== undefined) void killProcessGroup(child.pid, 1000);
    };
    const onAbort = () => {
      aborted = true;
      stop();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = opts.timeoutMs !== undefined ? setTimeout(stop, opts.timeoutMs) : undefined;
    child.once('error', (e) => {
      if (child.pid === undefined) startError = errorMessage(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({ code, stdout, stderr, startError, aborted });
    });
  });
}


function interruptedBeforeTraining(req: TrainingRequest, started: number): TrainingResult {
  return notStarted(req, started, 'stopped before it started', true);
}

/**
 * Runs training over ssh (see the top of this file). `preflight()` checks the host and the remote
 * working copy; `run` calls it before its first experiment, so a bad setup is an ExecutorSetupError
 * before anything is trained, never a crash. Errors before training starts (the push, the checkout)
 * are ExecutorSetupErrors too: they are the setup's, not the experiment's.
 */
export class SshExecutor implements Executor {
  readonly kind = 'ssh';
  get where(): string {
    return `ssh ${this.options.host}`;
  }
  private readonly checkOnce = onceUntilFailure(() => this.check());

  constructor(private readonly options: SshExecutorOptions) {
    if (!options.host.trim() || options.host.startsWith('-')) throw new ExecutorSetupError(`ssh executor: host ${JSON.stringify(options.host)} is not a host name or ssh alias`);
    if (!options.remoteDir.trim()) throw new ExecutorSetupError('ssh executor: remoteDir is empty');
  }

  /**
   * Checks that the host answers without a prompt, has bash, git and setsid, and that remoteDir is the
   * top of a git working copy without uncommitted changes to tracked files (untracked files, such as
   * data or checkpoints, are left alone). Throws an ExecutorSetupError saying what to do. Runs once per
   * executor (again after a failure).
   */
  preflight(): Promise<void> {
    return this.checkOnce();
  }

  private async check(): Promise<void> {
    const { host, remoteDir } = this.options;
    const marker = newMarker();
    const timeoutMs = (this.options.connectTimeoutSeconds ?? DEFAULTS.connectTimeoutSeconds) * 1000 + PREFLIGHT_EXTRA_MS;
    const result = await capture('ssh', [...sshOptions(this.options), '--', host, preflightCommand(remoteDir, marker)], { timeoutMs });
    if (result.startError !== undefined) throw new ExecutorSetupError(`ssh executor: cannot run the ssh client (${result.startError}); install OpenSSH's ssh.`);
    const verdict = result.stdout
      .split('\n')
      .find((line) => line.startsWith(marker))
      ?.slice(marker.length);
    if (verdict === undefined) {
      if (result.code === 255) throw new ExecutorSetupError(`ssh executor: ${describeSshFailure(host, result.stderr, this.options.sshConfigFile)}`);
      const said = lastLine(result.stderr);
      throw new ExecutorSetupError(
        `ssh executor: the check of remoteDir ${remoteDir} on ${host} did not answer (exit code ${result.code ?? 'none'}${said ? `: ${said}` : ''}); the remote login shell must run sh-style commands.`,
      );
    }
    const problem = preflightProblem(host, remoteDir, verdict);
    if (problem !== undefined) throw new ExecutorSetupError(`ssh executor: ${problem}`);
  }

  async run(req: TrainingRequest): Promise<TrainingResult> {
    const started = Date.now();
    if (req.signal?.aborted) return interruptedBeforeTraining(req, started);
    await this.preflight();
    if (req.signal?.aborted) return interruptedBeforeTraining(req, started);
    const commit = await this.resolveCommit(req);
    if (!(await this.push(req, commit))) return interruptedBeforeTraining(req, started);

    const output = TrainingOutput.open(req);
    if (typeof output === 'string') return notStarted(req, started, output);
    return this.train(req, commit, output);
  }

  /** The full id of the commit to train, from the local repository. */
  private async resolveCommit(req: TrainingRequest): Promise<string> {
    let id = '';
    let why = '';
    try {
      id = (await git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${req.commit}^{commit}`], { cwd: req.cwd })).trim();
    } catch (e) {
      if (!(e instanceof GitError)) throw e;
      // --quiet says nothing when the name is simply not a commit; anything it does say is the reason.
      why = e.stderr.trim() ? ` (${lastLine(e.stderr)})` : e.exitCode === null ? ` (${e.message})` : '';
    }
    if (!/^[0-9a-f]{40,64}$/.test(id)) throw new ExecutorSetupError(`ssh executor: ${req.commit} is not a commit in ${req.cwd}${why}`);
    return id;
  }

  /** Pushes the commit to the remote working copy; false when stopped meanwhile. */
  private async push(req: TrainingRequest, commit: string): Promise<boolean> {
    const { host, remoteDir } = this.options;
    const remote = gitRemote(host, remoteDir);
    const env = { GIT_SSH_COMMAND: gitSshCommand(this.options), GIT_TERMINAL_PROMPT: '0' };
    // No hooks: this syncs a working copy, it does not publish anything.
    const args = ['push', '--quiet', '--no-verify', '--force', remote, `${commit}:${syncRef(req.n)}`];
    try {
      await git(args, { cwd: req.cwd, env, signal: req.signal });
      return true;
    } catch (e) {
      if (req.signal?.aborted) return false;
      if (!(e instanceof GitError)) throw e;
      const detail = e.exitCode === null && !e.stderr ? e.message : e.stderr;
      const reach = /^(ssh:|kex_|Connection|Host key|.*Permission denied)/m.test(detail) ? `${describeSshFailure(host, detail, this.options.sshConfigFile)} ` : '';
      throw new ExecutorSetupError(`ssh executor: could not push ${commit.slice(0, 12)} to ${remote}: ${reach}${lastLine(detail) ?? `git exited with code ${e.exitCode}`}`);
    }
  }

  private async train(req: TrainingRequest, commit: string, output: TrainingOutput): Promise<TrainingResult> {
    const { options } = this;
    const graceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    const marker = newMarker();
    const remote = remoteRunCommand({
      remoteDir: options.remoteDir,
      commit,
      command: req.command,
      env: scrubbed(req, req.env ?? {}),
      unset: req.secrets?.names,
      killGraceMs: graceMs,
      silenceSeconds: options.silenceSeconds ?? DEFAULTS.silenceSeconds,
      marker,
    });

    let setupProblem: string | undefined;
    let exitReport: RemoteRunFacts['exit'];
    let watchdogFired = false;
    let stopRequested: RemoteRunFacts['stopRequested'];

    const started = Date.now();
    let child: ChildProcess;
    try {
      // Its own process group: the id onStart reports stops the local client, and with it the remote run.
      child = spawn('ssh', [...sshOptions(options), '--', options.host, remote], { env: scrubbed(req, process.env), detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (e) {
      await output.close();
      throw new ExecutorSetupError(`ssh executor: cannot run the ssh client (${errorMessage(e)})`);
    }
    const sshPid = child.pid;

    let cutTimer: NodeJS.Timeout | undefined;
    const cutConnection = (afterMs: number) => {
      clearTimeout(cutTimer);
      cutTimer = setTimeout(() => {
        if (sshPid !== undefined) void killProcessGroup(sshPid, 500);
      }, afterMs);
    };

    const handleReport = (report: RemoteReport) => {
      if (report.kind === 'started') {
        if (sshPid !== undefined && req.onStart) callSafely(() => req.onStart!(sshPid));
      } else if (report.kind === 'watchdog') {
        watchdogFired = true;
      } else if (report.kind === 'setup') {
        setupProblem = report.problem;
      } else {
        exitReport = { exitCode: report.exitCode, signal: report.signal };
        // Done; a process that escaped the group could still hold the channel open.
        cutConnection(EXIT_SETTLE_MS);
      }
    };
    // The wrapper reports on stderr, and those lines are taken out; stdout is the command's alone.
    const end = output.follow(child, options.maxLineLength, (line, stream) => {
      if (stream === 'stdout') return line;
      const { text, report } = splitReport(line, marker);
      if (report) handleReport(report);
      return text;
    });

    let spawnError: string | undefined;
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (e) => {
        if (child.pid === undefined) spawnError = errorMessage(e);
        resolve();
      });
    });

    // The heartbeat: silence on this channel is how the remote side learns the network is gone.
    child.stdin!.on('error', () => {
      // ssh has gone; its exit says the rest.
    });
    const heartbeat = setInterval(() => {
      if (child.stdin!.writable) child.stdin!.write('\n');
    }, options.heartbeatMs ?? DEFAULTS.heartbeatMs);
    // Closing stdin is the stop signal: the remote watchdog sees EOF and kills the group.
    const requestStop = (why: 'interrupted' | 'timeout') => {
      if (stopRequested !== undefined || exitReport !== undefined) return;
      stopRequested = why;
      clearInterval(heartbeat);
      child.stdin!.end();
      cutConnection(graceMs + STOP_CONFIRM_MS);
    };
    const timer = setTimeout(() => requestStop('timeout'), hardTimeoutMs(req.timeoutSeconds));
    const onAbort = () => requestStop('interrupted');
    req.signal?.addEventListener('abort', onAbort, { once: true });

    await exited;
    const seconds = (Date.now() - started) / 1000;
    clearInterval(heartbeat);
    clearTimeout(timer);
    clearTimeout(cutTimer);
    req.signal?.removeEventListener('abort', onAbort);
    await end(OUTPUT_SETTLE_MS);

    if (spawnError !== undefined) throw new ExecutorSetupError(`ssh executor: cannot run the ssh client (${spawnError})`);
    if (setupProblem !== undefined && stopRequested === undefined) {
      throw new ExecutorSetupError(`ssh executor: could not prepare remoteDir ${options.remoteDir} on ${options.host}: ${setupProblem}`);
    }

    const ended = remoteEnd({ exit: exitReport, watchdogFired, stopRequested });
    const reading = output.scanner.reading();
    const classified = classifyOutcome({
      exitCode: ended.exitCode,
      signal: ended.signal,
      timedOut: ended.timedOut,
      interrupted: ended.interrupted || ended.connectionLost,
      metric: reading.metric,
      metricName: req.metric.name,
      lastErrorLine: output.lastErrorLine,
      timeoutSeconds: req.timeoutSeconds,
      invalidMetric: reading.invalidMetric,
    });
    const reason = ended.connectionLost ? 'connection lost' : classified.reason;
    const result: TrainingResult = { outcome: classified.outcome, exitCode: ended.exitCode, signal: ended.signal, metric: reading.metric, secondary: reading.secondary, seconds };
    if (reason !== undefined) result.reason = reason;
    return result;
  }
}
