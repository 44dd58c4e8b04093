import { readdirSync, readFileSync } from 'node:fs';

/**
 * Process groups on POSIX. A training run is spawned as its own group so that stopping it also stops
 * everything it started (data-loader workers, a shell's children), and so that a later CLI can kill a
 * run orphaned by a CLI that died.
 */

const POLL_MS = 50;
/** How long to wait for the group to vanish after SIGKILL before giving up. */
const KILL_SETTLE_MS = 2000;

/**
 * Refused as a signal target, because it would hit processes we did not start: 0 and our own process
 * group (kill(0) signals the caller's whole group: in a test, the test runner itself), 1 (init; as a
 * group, every process we may signal), our own pid, and anything that is not a positive integer.
 */
export class UnsafeSignalTarget extends Error {
  constructor(readonly id: number, why: string) {
    super(`refusing to signal ${id}: ${why}`);
    this.name = 'UnsafeSignalTarget';
  }
}

/** Our own process group id, where /proc can tell. */
function ownProcessGroup(): number | undefined {
  return procState(process.pid)?.pgrp;
}

/** Why `id` may not be signalled (as a process, or as a group), or undefined when it may. */
function unsafeReason(id: number, asGroup: boolean): string | undefined {
  if (!Number.isInteger(id) || id <= 0) return 'not a positive process id';
  if (id === 1) return asGroup ? 'group 1 is every process' : 'pid 1 is init';
  if (id === process.pid) return 'that is this process';
  if (asGroup && id === ownProcessGroup()) return "that is this process's own group";
  return undefined;
}

function assertSignallable(id: number, asGroup: boolean): void {
  const why = unsafeReason(id, asGroup);
  if (why) throw new UnsafeSignalTarget(id, why);
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
  if (unsafeReason(pgid, true)) return false;
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

/**
 * The one way the product and its tests send a signal to a single process. Throws UnsafeSignalTarget
 * (and sends nothing) for 0, 1, a negative id or our own pid; false when there is no such process.
 */
export function signalProcess(pid: number, signal: NodeJS.Signals): boolean {
  assertSignallable(pid, false);
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Sends `signal` to every process of the group `pgid` (a group we started: its leader's pid). Throws
 * UnsafeSignalTarget (and sends nothing) for 0, 1, our own pid or group; false when there is no such group.
 */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  assertSignallable(pgid, true);
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
 * Resolves once the group is gone (or did not exist). Throws UnsafeSignalTarget at once, sending
 * nothing, for an id that is not a group we may stop (see signalGroup).
 */
export function killProcessGroup(pgid: number, graceMs: number): Promise<void> {
  assertSignallable(pgid, true);
  return termThenKill(pgid, graceMs);
}

async function termThenKill(pgid: number, graceMs: number): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  if (await waitUntilGroupGone(pgid, graceMs)) return;
  signalGroup(pgid, 'SIGKILL');
  await waitUntilGroupGone(pgid, KILL_SETTLE_MS);
}
