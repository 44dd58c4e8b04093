// Bundles the CLI (and, once present, the extension and the webview) with esbuild.
import { build } from 'esbuild';
import { cpSync, existsSync } from 'node:fs';
import { extname } from 'node:path';

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning' };

await build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js' });
// The built-in mechanisms are loaded at run time as modules, not bundled (see src/core/mechanisms/library.ts).
cpSync('src/core/mechanisms/library', 'dist/mechanisms', { recursive: true, filter: (f) => extname(f) === '' || f.endsWith('.mjs') });
if (existsSync('src/extension/extension.ts')) {
  await build({ ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] });
}
if (existsSync('webview-ui/build.mjs')) {
  const { buildDashboard } = await import('../webview-ui/build.mjs');
  await buildDashboard();
}
