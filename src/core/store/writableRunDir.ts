import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** The run's state directory cannot be written: nothing was created (no branch, no ref). */
export class RunStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunStateError';
  }
}

/**
 * Makes sure the run's state directory exists and takes a write, before the run creates anything
 * else: a run whose trace cannot be written must fail here, not after its branch exists (a branch
 * left behind would make the next `--new` fail on its name).
 */
export function ensureWritableRunDir(runDir: string, repoDir: string): void {
  const probe = join(runDir, `.writable-${process.pid}`);
  try {
    makeDirs(runDir);
    const fd = openSync(probe, 'w');
    try {
      writeSync(fd, 'ok\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    rmSync(probe, { force: true });
  } catch (e) {
    const { code, message } = e as NodeJS.ErrnoException;
    const shown = relative(repoDir, runDir) || runDir;
    const why = code === 'EROFS' || code === 'EACCES' || code === 'EPERM' ? 'it is not writable' : code === 'ENOSPC' ? 'the disk is full' : message;
    throw new RunStateError(`The run keeps its trace in ${shown}, and ${why} (${code ?? message}). Make .autoresearch writable (or free space), then run again; nothing was created.`);
  }
}

/** mkdir -p one level at a time, so that a failure has the real reason (a recursive mkdir on a read-only mount says ENOENT). */
function makeDirs(dir: string): void {
  if (existsSync(dir)) return;
  makeDirs(dirname(dir));
  mkdirSync(dir);
}
