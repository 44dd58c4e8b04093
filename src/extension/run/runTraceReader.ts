import { latestRunTag, runsDir, readTrace } from '../../core';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { deriveRunState, type RunState } from '../../shared/trace/runState';
import type { RunPayload } from '../../shared/protocol';
import type { RunEvent } from '../../shared/trace/events';

export const tracePath = (repoDir: string, tag: string) => join(runsDir(repoDir), tag, 'trace.jsonl');

/**
 * A run's state read from its trace without opening it for writing (TraceStore.open would repair a
 * torn last line, and a CLI run may be appending to it right now: a torn line is simply left out).
 * Null when the run has no trace or no run.started event yet.
 */
export function readRunState(repoDir: string, tag: string): RunState | null {
  const events = readRunEvents(repoDir, tag);
  return events.length ? deriveRunState(events) : null;
}

/** A run's events as its trace holds them (none when it has no trace); read-only, like readRunState. */
export function readRunEvents(repoDir: string, tag: string): RunEvent[] {
  const path = tracePath(repoDir, tag);
  return existsSync(path) ? readTrace(readFileSync(path)).events : [];
}

/** The state of the most recently written run in the repo, or null when there is none. */
export function readLatestRunState(repoDir: string): RunState | null {
  const tag = latestRunTag(repoDir);
  return tag ? readRunState(repoDir, tag) : null;
}

/** Every run of the repo with its trace text, oldest first (the dashboard opens the last). */
export function readRunPayloads(repoDir: string, frozen: string[]): RunPayload[] {
  const dir = runsDir(repoDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((tag) => ({ tag, path: join(dir, tag, 'trace.jsonl') }))
    .filter((r) => existsSync(r.path))
    .map((r) => ({ ...r, mtime: statSync(r.path).mtimeMs }))
    .sort((a, b) => a.mtime - b.mtime)
    .map((r) => ({ tag: r.tag, traceJsonl: readFileSync(r.path, 'utf8'), frozen }));
}
