import { spawn } from 'node:child_process';
// The project's one guarded way to signal a process group (a leaf module; it belongs below both folders).
import { killProcessGroup } from '../process/processGroup';

/**
 * The one way this project runs git: core, the executors and the extension all come through here.
 * Plain `spawn` rather than simple-git: simple-git cannot feed stdin (commit messages, blobs) and
 * waits a fixed 50 ms after every command that prints nothing, which was most of the loop's overhead.
 */

/** A git command that failed: git's own message (stderr) and exit status, or why it never ran. */
export class GitError extends Error {
  constructor(
    message: string,
    /** git's exit status; null when it did not run to an exit (not installed, stopped). */
    readonly exitCode: number | null = null,
    /** What git wrote to stderr, as written. */
    readonly stderr = '',
  ) {
    super(message);
    this.name = 'GitError';
  }
}

export interface GitOptions {
  /** The directory git runs in (the repository or a worktree of it). */
  cwd: string;
  /** Written to git's stdin, byte for byte (commit messages, blobs, trees). */
  input?: string;
  /** Variables set for this call, on top of the process's environment. */
  env?: Record<string, string | undefined>;
  /**
   * Stops the command. git then runs in its own process group, so that what it started (ssh under
   * `git push`) stops with it.
   */
  signal?: AbortSignal;
}

/** How a failed command is named in its error: identity overrides say nothing about the failure. */
function shown(args: string[]): string {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-c' && args[i + 1]?.startsWith('user.')) i++;
    else out.push(args[i]);
  }
  return out.join(' ');
}

const STOP_GRACE_MS = 1000;

/** Runs `git args` and resolves with its stdout; any failure rejects with a GitError. */
export function git(args: string[], options: GitOptions): Promise<string> {
  const { cwd, input, env, signal } = options;
  const name = `git ${shown(args)}`;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new GitError(`${name} was stopped before it started`));
    const child = spawn('git', args, {
      cwd,
      env: env ? { ...process.env, ...env } : process.env,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: signal !== undefined,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let startError: Error | undefined;
    let stopped = false;
    const onAbort = () => {
      stopped = true;
      // A detached child leads its own group, so its pid is never one the guard refuses.
      if (child.pid !== undefined) void killProcessGroup(child.pid, STOP_GRACE_MS);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout!.on('data', (d: Buffer) => stdout.push(d));
    child.stderr!.on('data', (d: Buffer) => stderr.push(d));
    child.once('error', (e) => (startError = e));
    if (child.stdin) {
      // git may exit before reading all of stdin (a bad argument); its exit status says why, not EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(input);
    }
    child.once('close', (code, killedBy) => {
      signal?.removeEventListener('abort', onAbort);
      const err = Buffer.concat(stderr).toString('utf8');
      if (startError && child.pid === undefined) return reject(new GitError(`cannot run git (${startError.message}); is git installed and on the PATH?`));
      if (stopped) return reject(new GitError(`${name} was stopped`, null, err));
      if (code !== 0) return reject(new GitError(`${name} failed: ${err.trim() || (killedBy ? `killed by ${killedBy}` : `exit code ${code}`)}`, code, err));
      resolve(Buffer.concat(stdout).toString('utf8'));
    });
  });
}
