import { chmod, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Where writeFileWhole writes `path` first: one name per file, so that the next write takes over one a kill left. */
export const asidePath = (path: string) => join(dirname(path), `.${basename(path)}.bilevel.tmp`);

/**
 * Writes a file whole or not at all: written aside in its folder, then renamed over it, keeping its
 * mode. A kill mid-write leaves the old content, never a cut one (a truncated parameter file would
 * fail the config's checks before a resume could reset it).
 */
export async function writeFileWhole(path: string, content: string): Promise<void> {
  const aside = asidePath(path);
  try {
    await writeFile(aside, content, 'utf8');
    const mode = await stat(path).then((s) => s.mode & 0o7777, () => undefined);
    if (mode !== undefined) await chmod(aside, mode);
    await rename(aside, path);
  } catch (e) {
    await rm(aside, { force: true });
    throw e;
  }
}
