import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './codeServer';

const VSCE = join(ROOT, 'node_modules/@vscode/vsce/vsce');
// No LICENSE file and no repository URL yet: packaging must not stop to ask about them, and the
// README's relative image links stay as they are (there is no repository URL to rewrite them to).
const PACKAGE_FLAGS = ['--no-dependencies', '--skip-license', '--allow-missing-repository', '--no-rewrite-relative-links'];

/** Builds the bundles and packs the .vsix (`vsce package --no-dependencies`: everything is bundled). */
export function buildAndPackage(outDir: string): { vsix: string; bytes: number; files: string[] } {
  execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  const vsix = join(outDir, 'bilevel-autoresearch.vsix');
  execFileSync(process.execPath, [VSCE, 'package', ...PACKAGE_FLAGS, '--out', vsix], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const files = execFileSync(process.execPath, [VSCE, 'ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();
  return { vsix, bytes: statSync(vsix).size, files };
}
