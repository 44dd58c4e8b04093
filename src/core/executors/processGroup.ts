import { readdirSync, readFileSync } from 'node:fs';

/**
 * Process groups on POSIX. A training run is spawned as its own group so that stopping it also stops
 * everything it started (data-loader workers, a shell's children), and so that a later CLI can kill a
 * run orphaned by a CLI that died.
 */

const POLL_MS = 50;
/** How long to wait for the group to vanish after SIGKILL before giving up. */
const KILL_SETTLE_MS = 2000;

/** Guards against signalling -1 (every process we may signal) or our own process. */
function isSignallableId(id: number): boolean {
  return Number.isInteger(id) && id > 1 && id !== process.pid;
}

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/** Linux process state from /proc/<pid>/stat ("R", "S", "Z", ...), or undefined where /proc is not available. */
function procState(pid: number): { state: string; pgrp: number; startTicks: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may itself contain spaces or parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Field 22 of stat (starttime, clock ticks since boot) is index 19 after the command name.
  return { state: fields[0], pgrp: Number(fields[2]), startTicks: Number(fields[19]) };
}

/**
 * When the process started (ms since the epoch), or undefined where /proc can't tell. Lets a resumed
 * run check that a pid from the trace is still its own training run and not a reused pid.
 */
export function processStartTime(pid: number): number | undefined {
  const info = procState(pid);
  if (!info) return undefined;
  try {
    const btime = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    // USER_HZ is 100 on every Linux ABI Node supports.
    return Number.isFinite(btime) ? btime * 1000 + (info.startTicks * 1000) / 100 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * True when a process with this pid exists and is not a zombie. A zombie has exited; it only waits for a
 * parent to reap it, which in some containers never happens.
 */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return errnoCode(e) === 'EPERM';
  }
  return procState(pid)?.state !== 'Z';
}

/** True when any process of the group is alive (zombies do not count where /proc can tell). */
export function isGroupAlive(pgid: number): boolean {
  if (!isSignallableId(pgid)) return false;
  try {
    process.kill(-pgid, 0);
  } catch (e) {
    return errnoCode(e) === 'EPERM';
  }
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return true;
  }
  return pids.some((name) => {
    const info = procState(Number(name));
    return info !== undefined && info.pgrp === pgid && info.state !== 'Z';
  });
}

/** Sends `signal` to the group; false when there is no such group or it is not ours to signal. */
function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

async function waitUntilGroupGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!isGroupAlive(pgid)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, Math.max(1, deadline - Date.now()))));
  }
}

/**
 * Stops every process in the group: SIGTERM, then SIGKILL to whatever is left after `graceMs`.
 * Resolves once the group is gone (or did not exist); never rejects. Ids that could only mean
 * "every process" or ourselves are ignored.
 */
export async function killProcessGroup(pgid: number, graceMs: number): Promise<void> {
  if (!isSignallableId(pgid)) return;
  if (!signalGroup(pgid, 'SIGTERM')) return;
  if (await waitUntilGroupGone(pgid, graceMs)) return;
  signalGroup(pgid, 'SIGKILL');
  await waitUntilGroupGone(pgid, KILL_SETTLE_MS);
}
