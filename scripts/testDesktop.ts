/**
 * `npm run test:desktop`: the extension-host tests (test/extension-host/suite.ts) in a desktop VS Code
 * that @vscode/test-electron downloads, for contributors with a display (or under `xvfb-run`). CI runs
 * the same suite inside code-server instead (test/vscode/extensionHost.test.ts, part of `npm test`),
 * since no desktop VS Code can be downloaded there.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { ROOT } from '../test/vscode/support/codeServer';
import { bareTinyGpt, bundleSuite } from '../test/vscode/support/extensionHostSuite';

async function main(): Promise<void> {
  execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  const work = mkdtempSync(join(tmpdir(), 'vscode-desktop-'));
  const suite = join(work, 'suite.js');
  await bundleSuite(suite);
  const workspace = bareTinyGpt(join(work, 'tiny-gpt'));
  await runTests({
    version: process.env.VSCODE_VERSION ?? 'stable',
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: suite,
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', join(work, 'user-data')],
  });
}

main().catch((e: unknown) => {
  console.error(`test:desktop failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
