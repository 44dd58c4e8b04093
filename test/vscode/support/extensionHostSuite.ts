import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { git } from '../../support/tinyGptRepo';
import { ROOT } from './codeServer';

/** The extension-host suite (test/extension-host/suite.ts) as one CommonJS file; `vscode` comes from the host. */
export async function bundleSuite(outfile: string): Promise<void> {
  await build({ entryPoints: [join(ROOT, 'test/extension-host/suite.ts')], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], logLevel: 'warning' });
}

/** The suite's workspace: a copy of examples/tiny-gpt as a git repo, without autoresearch.config.json. */
export function bareTinyGpt(dir: string): string {
  cpSync(join(ROOT, 'examples/tiny-gpt'), dir, { recursive: true, filter: (src) => !src.includes('__pycache__') });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'tiny-gpt');
  return dir;
}
