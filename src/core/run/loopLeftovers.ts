import { MECHANISMS_DIR, MECHANISMS_MANIFEST } from '../mechanismResearch/mechanismManifest';

/**
 * Which of the dirty paths a resume finds are the loop's own, left by a kill, and safe to drop. Pure.
 * The editable files, while an experiment is open (killed between applying and committing). The
 * mechanism files (the manifest, the modules) always: only the loop writes them on its branch, and a
 * kill inside the `git reset --hard` that moves the branch onto a mechanism commit leaves them
 * changed in the index and the tree with HEAD not yet moved.
 * Null when some path is not the loop's: the user's work, which stops the resume.
 */
export function loopLeftovers(dirty: readonly string[], editable: readonly string[], experimentOpen: boolean): string[] | null {
  const ours = (p: string) => p === MECHANISMS_MANIFEST || p.startsWith(`${MECHANISMS_DIR}/`) || (experimentOpen && editable.includes(p));
  return dirty.every(ours) ? [...dirty] : null;
}
