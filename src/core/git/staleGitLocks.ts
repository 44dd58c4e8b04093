import { readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { git } from './git';

/**
 * Git's lock files a killed run leaves behind. A git command killed with -9 (with the run that started
 * it) leaves `index.lock` (or `HEAD.lock`, a ref's lock), and every later git call in the repo fails
 * with "Unable to create '…/index.lock': File exists" until someone removes it.
 */

export interface LockFile {
  path: string;
  mtimeMs: number;
  /** Some live process has it open (a git command at work); undefined where /proc can't tell. */
  open?: boolean;
}

/**
 * The lock files that are the dead run's: made since it took the repository (older ones are someone
 * else's, and git's own message about them stays) and held open by no process. Pure.
 */
export function deadRunLocks(locks: readonly LockFile[], deadRunSinceMs: number): string[] {
  return locks.filter((l) => l.mtimeMs >= deadRunSinceMs && l.open !== true).map((l) => l.path);
}

/**
 * Removes the git locks a run that died left (it took the repository at `deadRunSinceMs`); returns
 * their paths. Called only by the run that took over the dead run's repository lock.
 */
export async function removeDeadRunLocks(repoDir: string, deadRunSinceMs: number): Promise<string[]> {
  const common = (await git(['rev-parse', '--git-common-dir'], { cwd: repoDir })).trim();
  const gitDir = isAbsolute(common) ? common : join(repoDir, common);
  const candidates = [
    ...['index.lock', 'HEAD.lock', 'ORIG_HEAD.lock', 'packed-refs.lock'].map((f) => join(gitDir, f)),
    ...locksUnder(join(gitDir, 'refs/heads/autoresearch')),
    ...locksUnder(join(gitDir, 'refs/autoresearch')),
    // The parallel workers' checkouts (linked worktrees) have an index and a HEAD of their own.
    ...locksUnder(join(gitDir, 'worktrees')),
  ];
  const openFiles = openPaths();
  const locks: LockFile[] = [];
  for (const path of candidates) {
    try {
      locks.push({ path, mtimeMs: statSync(path).mtimeMs, open: openFiles?.has(path) });
    } catch {
      // not there
    }
  }
  const dead = deadRunLocks(locks, deadRunSinceMs);
  for (const path of dead) rmSync(path, { force: true });
  return dead;
}

function locksUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.lock'))
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/** Every path some process on this machine has open (Linux /proc), or undefined where it can't be told. */
function openPaths(): Set<string> | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return undefined;
  }
  const open = new Set<string>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      try {
        open.add(readlinkSync(`/proc/${pid}/fd/${fd}`));
      } catch {
        // closed meanwhile
      }
    }
  }
  return open;
}
