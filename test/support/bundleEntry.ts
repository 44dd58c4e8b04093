import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const ROOT = resolve(__dirname, '../..');

/**
 * Bundles `source` (TypeScript, imports relative to the repo root) into `<outDir>/bundle.js` the way
 * scripts/build.mjs bundles dist/cli.js, so a test can check what a bundle finds beside itself.
 */
export async function bundleEntry(source: string, outDir: string): Promise<string> {
  const outfile = join(outDir, 'bundle.js');
  await build({
    stdin: { contents: source, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    logLevel: 'silent',
  });
  return outfile;
}
