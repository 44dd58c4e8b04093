import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage, ExecutorSetupError } from './executor';

/** One word for a POSIX shell, quoted only when it needs to be. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command line for a shell: `interpreter -c script name args...`, every word quoted. */
export function shellCommand(interpreter: string, script: string, name: string, args: string[]): string {
  return [interpreter, '-c', shellQuote(script), name, ...args.map(shellQuote)].join(' ');
}

export type ShippedScript = 'sshPreflight.sh' | 'sshRun.sh';

const scripts = new Map<ShippedScript, string>();

/**
 * A shell script that runs on another machine: a real file under remote/, beside this module under tsx
 * and beside the bundles in dist/ (scripts/build.mjs copies it there), so that it is linted and
 * checked with `bash -n` like any script.
 */
export function shippedScript(name: ShippedScript): string {
  let text = scripts.get(name);
  if (text === undefined) {
    const path = join(__dirname, 'remote', name);
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new ExecutorSetupError(`the shell script ${path} is missing (${errorMessage(e)}); rebuild with node scripts/build.mjs`);
    }
    scripts.set(name, text);
  }
  return text;
}
