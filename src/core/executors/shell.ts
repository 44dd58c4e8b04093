import { readShippedFile } from '../shipped/shippedFile';
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

/** A shell script that runs on another machine: a real file under remote/, checked with `bash -n` like any script. */
export function shippedScript(name: ShippedScript): string {
  try {
    return readShippedFile(__dirname, 'remote', name);
  } catch (e) {
    throw new ExecutorSetupError(errorMessage(e));
  }
}
