import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The built-in mechanisms: plain `.mjs` modules of exactly the form a generated mechanism has, so they
 * are read, diffed and validated the same way. They sit next to this file under tsx, and the build
 * copies them to dist/mechanisms/ next to the bundles.
 */

export interface LibraryMechanism {
  name: string;
  source: string;
  /** The module's leading comment: what it does, for people and for the Level 2 prompt. */
  description: string;
}

function libraryDir(): string {
  const candidates = [join(__dirname, 'library'), join(__dirname, 'mechanisms')];
  const dir = candidates.find((d) => existsSync(d) && readdirSync(d).some((f) => f.endsWith('.mjs')));
  if (!dir) throw new Error(`the built-in mechanism library is missing (looked in ${candidates.join(' and ')}); rebuild with node scripts/build.mjs`);
  return dir;
}

export function listLibrary(): LibraryMechanism[] {
  const dir = libraryDir();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.mjs'))
    .sort()
    .map((f) => {
      const source = readFileSync(join(dir, f), 'utf8');
      return { name: f.replace(/\.mjs$/, ''), source, description: leadingComment(source) };
    });
}

export function libraryMechanism(name: string): LibraryMechanism {
  const all = listLibrary();
  const found = all.find((m) => m.name === name);
  if (!found) throw new Error(`no built-in mechanism named "${name}"; the library has ${all.map((m) => m.name).join(', ')}`);
  return found;
}

function leadingComment(source: string): string {
  const lines: string[] = [];
  for (const line of source.split('\n')) {
    const m = /^\s*\/\/\s?(.*)$/.exec(line);
    if (!m) break;
    lines.push(m[1]);
  }
  return lines.join(' ').trim();
}
