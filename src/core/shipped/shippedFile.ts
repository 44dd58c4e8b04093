import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const files = new Map<string, string>();

/**
 * A file the code reads at run time instead of importing it: a program that runs somewhere else (on an
 * ssh host, in the mechanism sandbox process), kept as a real file so that it is checked like one. Under
 * tsx it sits in `folder` beside the module that reads it; scripts/build.mjs copies that folder beside
 * the bundles in dist/, so the reader's own `__dirname` finds it in both. Read once; a missing file is
 * an error that says to rebuild.
 */
export function readShippedFile(readerDir: string, folder: string, name: string): string {
  const path = join(readerDir, folder, name);
  let text = files.get(path);
  if (text === undefined) {
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new Error(`${path} is missing (${(e as NodeJS.ErrnoException).code ?? String(e)}); rebuild with node scripts/build.mjs`);
    }
    files.set(path, text);
  }
  return text;
}
