import { ChildProcess, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { RunEvent } from '../src/shared/trace/events';
import { ResearchRun, type ResearchRunOptions } from '../src/core/run/researchRun';
import type { RunState } from '../src/shared/trace/runState';

export interface LoopTiming {
  /** Per finished iteration (baseline excluded): its wall time minus its training time. */
  overheadMs: number[];
  trainingMs: number[];
  /** From run() to the first iteration.started: opening (or resuming) the run. */
  startupMs: number;
  wallMs: number;
  /** CPU time of this process and the processes it waited for (git, training), over the whole run; null off Linux. */
  cpuMs: number | null;
  state: RunState;
}

/**
 * CPU time used so far by this process and its reaped children. Wall-clock figures swing with
 * whatever else the machine runs; CPU time mostly does not.
 */
export function cpuMsSoFar(): number | null {
  const own = process.cpuUsage();
  let children: number;
  try {
    // cutime and cstime, fields 16 and 17 of proc(5), in clock ticks (100 a second).
    const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    children = ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
  } catch {
    return null;
  }
  return (own.user + own.system) / 1000 + children;
}

/**
 * Counts the processes started while `f` runs, by program (git, the shell of the training
 * command): a process costs milliseconds whatever the load, so this count is the steady part of
 * the loop's overhead.
 */
export async function countSpawns<T>(f: () => Promise<T>): Promise<{ result: T; spawns: Record<string, number> }> {
  const spawns: Record<string, number> = {};
  // Every child process (spawn, execFile) goes through this undocumented method.
  const proto = ChildProcess.prototype as unknown as { spawn: (options: { file: string }) => unknown };
  const original = proto.spawn;
  proto.spawn = function (this: unknown, options) {
    const program = options.file.split('/').pop()!;
    spawns[program] = (spawns[program] ?? 0) + 1;
    return original.call(this, options);
  };
  try {
    return { result: await f(), spawns };
  } finally {
    proto.spawn = original;
  }
}

/** Runs the loop once and times each iteration from its events. */
export async function timeLoop(opts: Omit<ResearchRunOptions, 'onEvent'>): Promise<LoopTiming> {
  const started = new Map<number, number>();
  const trainingStart = new Map<number, number>();
  const trainingMs = new Map<number, number>();
  const overheadMs: number[] = [];
  let firstIteration: number | undefined;
  const onEvent = (e: RunEvent) => {
    const now = performance.now();
    if (e.type === 'iteration.started') {
      started.set(e.n, now);
      firstIteration ??= now;
    }
    if (e.type === 'training.started') trainingStart.set(e.n, now);
    if (e.type === 'training.finished') trainingMs.set(e.n, now - (trainingStart.get(e.n) ?? now));
    if (e.type === 'iteration.finished' && started.has(e.n) && e.n > 0) overheadMs.push(now - started.get(e.n)! - (trainingMs.get(e.n) ?? 0));
  };
  const cpu0 = cpuMsSoFar();
  const t0 = performance.now();
  const { state } = await new ResearchRun({ ...opts, onEvent }).run();
  const wallMs = performance.now() - t0;
  const cpu1 = cpuMsSoFar();
  const cpuMs = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
  return { overheadMs, trainingMs: [...trainingMs.values()], startupMs: (firstIteration ?? performance.now()) - t0, wallMs, cpuMs, state };
}

/** A throwaway git repo with these files committed on main. */
export function scratchRepo(prefix: string, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  const git = (...a: string[]) => execFileSync('git', a, { cwd: dir });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-q', '-m', 'init');
  return dir;
}

export function quantile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

export const median = (xs: readonly number[]) => quantile(xs, 0.5);

export const round = (x: number, digits = 1) => Number(x.toFixed(digits));
