import { hostname } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { linkSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isAlive, processStartTime } from '../process/processGroup';
import { git } from '../git/git';

/**
 * One writer per repository. Two runs in one repo (two tags from the CLI, or the CLI while the editor
 * runs) would share the working tree, HEAD and the training GPU: the second one's resets and kills
 * destroy the first one's work. So a run holds this lock from start to stop.
 *
 * The file is `<git common dir>/autoresearch.lock`: the CLI and the editor find it from any checkout
 * or linked worktree of the repo (they share branches and refs, so they share the lock), it exists
 * before `.autoresearch/` does (and still works when that directory is read-only), and nothing in the
 * work tree (`git clean -fdx`, a commit) can remove or carry it.
 */

export const LOCK_FILE = 'autoresearch.lock';

/** Who holds the lock: enough to tell a live holder from a dead one or a reused pid. */
export interface LockHolder {
  pid: number;
  /** The holder's process start time (ms since the epoch); null where /proc can't tell. */
  startedAt: number | null;
  host: string;
  /** The run it is writing, when known. */
  tag?: string;
  /** When it took the lock (ISO). */
  since: string;
}

/** A second run was refused because another process writes to this repository. */
export class RepoBusy extends Error {
  constructor(readonly holder: LockHolder) {
    super(repoBusyMessage(holder));
    this.name = 'RepoBusy';
  }
}

export function repoBusyMessage(h: LockHolder): string {
  const run = h.tag ? `run ${h.tag}, ` : '';
  const where = h.host === hostname() ? `pid ${h.pid}` : `pid ${h.pid} on ${h.host}`;
  return `Another run is already writing to this repository (${where}, ${run}since ${h.since}). One run at a time works on a repository: stop that one first (Ctrl+C in its terminal, Stop in the editor, or \`kill ${h.pid}\`), then run again.`;
}

/** What the machine says about a pid, for the pure decision below. */
export interface ProcessProbe {
  host: string;
  alive(pid: number): boolean;
  startTime(pid: number): number | undefined;
}

const localProbe: ProcessProbe = { host: hostname(), alive: isAlive, startTime: processStartTime };

/** Start times are computed from clock ticks (10 ms), the same for the same process every time. */
const START_TIME_SLACK_MS = 50;

/**
 * Whether a recorded holder still holds the lock. Pure. A holder on another host (a repo on a shared
 * file system) cannot be checked and counts as live; a pid that runs but started at another time is
 * a reused pid, so the lock is stale.
 */
export function holderIsLive(h: LockHolder, probe: ProcessProbe): boolean {
  if (h.host !== probe.host) return true;
  if (!probe.alive(h.pid)) return false;
  if (h.startedAt === null) return true;
  const started = probe.startTime(h.pid);
  return started === undefined || Math.abs(started - h.startedAt) <= START_TIME_SLACK_MS;
}

/** Parses a lock file; null for one that is not a holder record (cut short, or not ours). */
export function parseHolder(text: string): LockHolder | null {
  try {
    const h = JSON.parse(text) as LockHolder;
    return Number.isInteger(h.pid) && h.pid > 0 && typeof h.host === 'string' ? h : null;
  } catch {
    return null;
  }
}

/** The lock's path for the repository at `repoDir` (any checkout of it). */
export async function repoLockPath(repoDir: string): Promise<string> {
  const common = (await git(['rev-parse', '--git-common-dir'], { cwd: repoDir })).trim();
  return join(isAbsolute(common) ? common : join(repoDir, common), LOCK_FILE);
}

/** The current holder of the repository's lock, if a live one holds it. */
export async function liveRepoWriter(repoDir: string, probe = localProbe): Promise<LockHolder | null> {
  const h = readHolder(await repoLockPath(repoDir));
  return h && holderIsLive(h, probe) ? h : null;
}

/** The holder of the repository's lock when it is a dead one (a run killed), else null. */
export async function deadRepoWriter(repoDir: string, probe = localProbe): Promise<LockHolder | null> {
  const h = readHolder(await repoLockPath(repoDir));
  return h && !holderIsLive(h, probe) ? h : null;
}

function readHolder(path: string): LockHolder | null {
  try {
    return parseHolder(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/** How many times taking the lock is retried when it changes hands under us (or another taker holds the takeover). */
const ATTEMPTS = 400;
/** A takeover guard older than this was left by a taker killed inside its few-microsecond critical section. */
const GUARD_STALE_MS = 10_000;

/**
 * Removes the stale lock at `path` if it still reads `found`. Reading and removing are two steps, so
 * takers serialise them through a guard file (created exclusively, which fails if it exists): without
 * it, a taker that read the stale lock could remove the lock a faster taker had just put in its place,
 * and two processes would hold it. Returns after a short wait when another taker holds the guard.
 */
export async function removeIfUnchanged(path: string, found: string): Promise<void> {
  const guard = `${path}.takeover`;
  try {
    writeFileSync(guard, String(process.pid), { flag: 'wx' });
  } catch (e) {
    if (errno(e) !== 'EEXIST') throw e;
    if (guardAgeMs(guard) > GUARD_STALE_MS) rmSync(guard, { force: true });
    else await new Promise((r) => setTimeout(r, 5 + Math.random() * 10));
    return;
  }
  try {
    let now: string | null = null;
    try {
      now = readFileSync(path, 'utf8');
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw e;
    }
    if (now === found) rmSync(path, { force: true });
  } finally {
    rmSync(guard, { force: true });
  }
}

function guardAgeMs(guard: string): number {
  try {
    return Date.now() - statSync(guard).mtimeMs;
  } catch {
    return 0;
  }
}

export class RepoLock {
  private released = false;

  private constructor(
    readonly path: string,
    private readonly content: string,
  ) {}

  /**
   * Takes the repository's lock, or throws RepoBusy naming the live holder. The file appears whole
   * and at once (written aside, then hard-linked into place, which fails if it exists). A stale lock
   * is removed only while it still reads as the stale one, under the takeover guard
   * (removeIfUnchanged): of several processes taking over one stale lock, exactly one gets it.
   */
  static async take(repoDir: string, who: { tag?: string } = {}, probe = localProbe): Promise<RepoLock> {
    const path = await repoLockPath(repoDir);
    const holder: LockHolder = { pid: process.pid, startedAt: processStartTime(process.pid) ?? null, host: probe.host, since: new Date().toISOString(), ...(who.tag ? { tag: who.tag } : {}) };
    const content = JSON.stringify(holder);
    const unique = `${path}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}`;
    writeFileSync(unique, content);
    try {
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        try {
          linkSync(unique, path);
          return new RepoLock(path, content);
        } catch (e) {
          if (errno(e) !== 'EEXIST') throw e;
        }
        let found: string;
        try {
          found = readFileSync(path, 'utf8');
        } catch (e) {
          if (errno(e) === 'ENOENT') continue;
          throw e;
        }
        const current = parseHolder(found);
        if (current && holderIsLive(current, probe)) throw new RepoBusy(current);
        // Stale (or unreadable: a holder killed before it wrote is impossible, the file appears whole).
        await removeIfUnchanged(path, found);
      }
      throw new Error(`could not take the repository lock ${path}: it kept changing hands`);
    } finally {
      rmSync(unique, { force: true });
    }
  }

  /** Gives the lock up, if it is still ours (never another process's). */
  release(): void {
    if (this.released) return;
    this.released = true;
    try {
      if (readFileSync(this.path, 'utf8') === this.content) rmSync(this.path, { force: true });
    } catch {
      // Gone already: nothing to give up.
    }
  }
}
