import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The config's file name, as src/core/target/targetConfig.ts's CONFIG_FILE says (a unit test keeps
 * the two equal). Repeated here because importing targetConfig compiles the config schema with ajv
 * and would put ~70 ms on the activation path; the modules that need the engine's config code are
 * loaded when a command first needs them.
 */
export const CONFIG_FILE_NAME = 'autoresearch.config.json';

/** `parameters.frozen` of the config, read as plain JSON (the views need nothing else of it); empty when unreadable. */
export function readConfigFrozen(repoDir: string): string[] {
  try {
    const frozen = JSON.parse(readFileSync(join(repoDir, CONFIG_FILE_NAME), 'utf8'))?.parameters?.frozen;
    return Array.isArray(frozen) ? frozen.filter((f): f is string => typeof f === 'string') : [];
  } catch {
    return [];
  }
}
