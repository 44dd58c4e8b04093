import type { RunRepo } from '../git/runRepo';
import { jsonSyntaxError } from './jsonSyntaxError';
import { CONFIG_FILE, ConfigError, parseTargetConfig, type TargetConfig } from './targetConfig';

/**
 * The config as a commit holds it, validated against that commit's files (as loadTargetConfig does
 * against the working tree): what an adopted commit brings before anything moves to it. Null when
 * the commit has no config file (the user keeps it uncommitted: the one in use stays).
 */
export async function loadTargetConfigAt(repo: RunRepo, commit: string): Promise<TargetConfig | null> {
  const text = (await repo.readFileAt(commit, CONFIG_FILE))?.replace(/^\uFEFF/, '');
  if (text === undefined) return null;
  const where = `${CONFIG_FILE} at ${commit.slice(0, 7)}`;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${jsonSyntaxError(where, text, (e as Error).message)}\nNothing was adopted: commit a fixed ${CONFIG_FILE}, then run \`bilevel run --adopt\` again.`);
  }
  // The checks read files synchronously: the ones a config can name are read from the commit first.
  const named = namedFiles(raw);
  const files = new Map<string, string | null>();
  for (const f of named) files.set(f, await repo.readFileAt(commit, f));
  const top = await repo.topFilesAt(commit);
  try {
    return parseTargetConfig(raw, { read: (f) => files.get(f) ?? null, topFiles: () => top });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const message = e.message.startsWith(CONFIG_FILE) ? where + e.message.slice(CONFIG_FILE.length) : `${where}: ${e.message}`;
    throw new ConfigError(`${message}\nNothing was adopted: commit a fixed ${CONFIG_FILE}, then run \`bilevel run --adopt\` again.`);
  }
}

/** The paths a raw config names (editable files, the parameter file), whatever its shape. Pure. */
function namedFiles(raw: unknown): string[] {
  const c = (raw ?? {}) as { editable?: unknown; parameters?: { file?: unknown } };
  const editable = Array.isArray(c.editable) ? c.editable.filter((f): f is string => typeof f === 'string') : [];
  const file = typeof c.parameters?.file === 'string' ? [c.parameters.file] : [];
  return [...new Set([...editable, ...file])];
}
