// Bundles the dashboard webview: webview-ui/src/dashboardMain.ts → <outdir>/dashboard.js + dashboard.css
// (browser, IIFE, minified). Run directly (`node webview-ui/build.mjs [outdir]`) or import
// buildDashboard from scripts/build.mjs and the webview tests.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** @param {{ outdir?: string, minify?: boolean, sourcemap?: boolean }} [opts] */
export async function buildDashboard(opts = {}) {
  const outdir = resolve(root, opts.outdir ?? 'dist/webview');
  const result = await build({
    absWorkingDir: root,
    entryPoints: { dashboard: join(root, 'webview-ui/src/dashboardMain.ts') },
    outdir,
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: ['chrome120'],
    minify: opts.minify ?? true,
    sourcemap: opts.sourcemap ?? true,
    legalComments: 'linked',
    // Lit's production build (no dev-mode warnings).
    conditions: ['production'],
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
    metafile: true,
  });
  return { outdir, js: join(outdir, 'dashboard.js'), css: join(outdir, 'dashboard.css'), metafile: result.metafile };
}

// No top-level await: the tests import this file through tsx's CommonJS loader.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildDashboard({ outdir: process.argv[2] }).then(
    ({ js, css }) => console.log(`built ${js} and ${css}`),
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
