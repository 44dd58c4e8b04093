import { git, GitError } from './git';

/**
 * Files as committed: one file's content at a revision, the files a change touches, the base a
 * change is shown against. Read by the loop (through RunRepo) and by the extension's diffs.
 */

/**
 * A file's content at a revision, or null only when it is not there: the path is not in that
 * revision's tree, or the revision names nothing in the repo (`<root commit>^`, an unknown id).
 * Anything else (not a repository, a missing or corrupt object, a directory at that path) is a
 * GitError with git's message.
 */
export async function fileAt(dir: string, rev: string, path: string): Promise<string | null> {
  try {
    return await git(['cat-file', 'blob', `${rev}:${path}`], { cwd: dir });
  } catch (e) {
    if (!(e instanceof GitError) || e.exitCode === null) throw e;
    // git's message cannot tell absence from damage (a commit whose tree is gone reads "exists on
    // disk, but not in"), so the slow path asks the structure, one step at a time.
    return whyUnreadable(dir, rev, path, e);
  }
}

/** null when the file is absent at `rev`; throws when it should be there but cannot be read. */
async function whyUnreadable(dir: string, rev: string, path: string, failure: GitError): Promise<null> {
  const oid = await resolve(dir, rev);
  if (oid === null) return null;
  try {
    await git(['cat-file', '-e', oid], { cwd: dir });
  } catch (e) {
    if (!(e instanceof GitError) || e.exitCode === null) throw e;
    // An id given as such that the repo never had does not exist; a name pointing at nothing is damage.
    if (oid.startsWith(rev.toLowerCase())) return null;
    throw new GitError(`${rev} points at ${oid}, which is missing from the repository's objects (the repository is damaged)`, e.exitCode, e.stderr);
  }
  let entry: string;
  try {
    entry = await git(['ls-tree', '-z', '--full-tree', oid, '--', path], { cwd: dir });
  } catch (e) {
    if (!(e instanceof GitError)) throw e;
    throw new GitError(`cannot read the files of ${rev} (the repository is damaged): ${e.stderr.trim() || e.message}`, e.exitCode, e.stderr);
  }
  if (!entry) return null;
  const [, type, blob] = /^\d+ (\w+) (\w+)\t/.exec(entry) ?? [];
  if (type !== 'blob') throw new GitError(`${path} at ${rev} is a ${type ?? 'entry'} that is not a file`, failure.exitCode, failure.stderr);
  throw new GitError(`${path} at ${rev} (blob ${blob}) cannot be read (the repository is damaged): ${failure.stderr.trim()}`, failure.exitCode, failure.stderr);
}

/** The object id `rev` names, or null when it names nothing. */
async function resolve(dir: string, rev: string): Promise<string | null> {
  try {
    return (await git(['rev-parse', '--verify', '--quiet', '--end-of-options', rev], { cwd: dir })).trim();
  } catch (e) {
    // --quiet: exit status 1 and nothing said means "no such revision"; anything else is a failure.
    if (e instanceof GitError && e.exitCode === 1 && !e.stderr.trim()) return null;
    throw e;
  }
}

/** The paths that differ between two revisions (a rename shows as a deletion and an addition). */
export async function changedFiles(dir: string, from: string, to: string): Promise<string[]> {
  const out = await git(['diff', '--name-only', '-z', '--no-renames', from, to, '--'], { cwd: dir });
  return out.split('\0').filter(Boolean);
}

/** Where two lines of history parted, or null when they share no commit. */
export async function mergeBase(dir: string, a: string, b: string): Promise<string | null> {
  try {
    return (await git(['merge-base', a, b], { cwd: dir })).trim();
  } catch (e) {
    // Exit status 1 is git's "no common ancestor"; a bad revision or a broken repo exits otherwise.
    if (e instanceof GitError && e.exitCode === 1 && !e.stderr.trim()) return null;
    throw e;
  }
}
