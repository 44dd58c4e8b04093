// Bundles the CLI (and, once present, the extension and the webview) with esbuild.
import { build } from 'esbuild';
import { cpSync, existsSync } from 'node:fs';
import { extname } from 'node:path';

const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: true, logLevel: 'warning' };

await build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js' });
// Files read at run time, next to the bundles (the code finds them beside itself, in src/ under tsx):
// the built-in mechanisms (src/core/mechanisms/library.ts), the sandbox process and its realm
// (mechanismSandbox.ts), and the shell scripts that run on an ssh host (executors/shell.ts).
cpSync('src/core/mechanisms/library', 'dist/mechanisms', { recursive: true, filter: (f) => extname(f) === '' || f.endsWith('.mjs') });
cpSync('src/core/mechanisms/sandbox', 'dist/sandbox', { recursive: true, filter: (f) => extname(f) === '' || f.endsWith('.js') });
cpSync('src/core/executors/remote', 'dist/remote', { recursive: true, filter: (f) => extname(f) === '' || f.endsWith('.sh') });
if (existsSync('src/extension/extension.ts')) {
  await build({ ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] });
}
if (existsSync('webview-ui/build.mjs')) {
  const { buildDashboard } = await import('../webview-ui/build.mjs');
  await buildDashboard();
}
