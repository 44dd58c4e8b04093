import { existsSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { asidePath } from '../candidates/writeFileWhole';
import { git } from '../git/git';
import { removeDeadRunLocks } from '../git/staleGitLocks';
import { MECHANISMS_DIR, MECHANISMS_MANIFEST } from '../mechanismResearch/mechanismManifest';
import { deadRepoWriter } from '../session/repoLock';
import { CONFIG_FILE } from '../target/targetConfig';

/**
 * Undoes what a run killed inside a write or a git command left, before anything reads the working tree (the
 * config's checks read the parameter file). A kill inside `git reset --hard` leaves git's index.lock,
 * the index and HEAD at the last commit and the tree half-way to the next one: an editable file
 * deleted or cut, which fails the config's checks ("train.py does not exist") before a resume could
 * reset it. Only when the repository's lock names a dead run and that run's index.lock is there:
 * the locks are removed, and the editable and mechanism files the cut checkout changed are put back
 * as the index has them (the loop only resets a tree it checked is as it left it). Returns the paths
 * put back.
 */
export async function repairKilledGit(repoDir: string): Promise<string[]> {
  const dead = await deadRepoWriter(repoDir);
  if (!dead) return [];
  const editable = rawEditable(repoDir);
  // A kill between writing an editable file aside and renaming it over leaves the aside copy.
  for (const f of editable) rmSync(asidePath(join(repoDir, f)), { force: true });
  const removed = await removeDeadRunLocks(repoDir, Date.parse(dead.since));
  if (!removed.some((p) => basename(p) === 'index.lock')) return [];
  const changed = (await git(['diff', '--name-only', '-z'], { cwd: repoDir })).split('\0').filter(Boolean);
  const ours = changed.filter((p) => editable.includes(p) || p === MECHANISMS_MANIFEST || p.startsWith(`${MECHANISMS_DIR}/`));
  if (ours.length) await git(['checkout-index', '-f', '--', ...ours], { cwd: repoDir });
  return ours;
}

/** The config's editable list as written (the config as a whole is checked later, against the repaired tree). */
function rawEditable(repoDir: string): string[] {
  const path = join(repoDir, CONFIG_FILE);
  if (!existsSync(path)) return [];
  try {
    const raw = JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, '')) as { editable?: unknown };
    return Array.isArray(raw.editable) ? raw.editable.filter((e): e is string => typeof e === 'string') : [];
  } catch {
    return [];
  }
}
