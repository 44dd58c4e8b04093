import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_STATE_DIR } from '../git/runRepo';
import { isAlive } from '../process/processGroup';

/** Where a repo's runs live (one folder per tag: trace.jsonl, results.tsv, logs/, run.lock). */
export const runsDir = (repoDir: string) => join(repoDir, RUN_STATE_DIR);
export const runLockPath = (runDir: string) => join(runDir, 'run.lock');

/** The pid of the process running this run now, if one is. */
export function liveRunPid(runDir: string): number | null {
  try {
    const pid = Number(readFileSync(runLockPath(runDir), 'utf8'));
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : null;
  } catch {
    return null;
  }
}

/** autoresearch's style of tag: month and day, e.g. `nov23`, with a suffix when taken. */
export function defaultTag(now: Date, taken: (tag: string) => boolean): string {
  const base = now.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' }).toLowerCase() + now.getUTCDate();
  if (!taken(base)) return base;
  for (let i = 2; ; i++) if (!taken(`${base}-${i}`)) return `${base}-${i}`;
}

/** The most recently written run in this repo, if any. */
export function latestRunTag(repoDir: string): string | null {
  const dir = runsDir(repoDir);
  if (!existsSync(dir)) return null;
  const runs = readdirSync(dir)
    .filter((t) => existsSync(join(dir, t, 'trace.jsonl')))
    .map((t) => ({ t, m: statSync(join(dir, t, 'trace.jsonl')).mtimeMs }))
    .sort((a, b) => b.m - a.m);
  return runs[0]?.t ?? null;
}
