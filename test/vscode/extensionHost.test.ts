/**
 * The extension-host tests (test/extension-host/suite.ts) inside real VS Code: code-server 4.139 with
 * the packed .vsix and a small harness extension that loads the suite bundle on startup and writes
 * each test's outcome to a file. The same bundle runs on desktop VS Code through
 * @vscode/test-electron (`npm run test:desktop`).
 *
 *   node --import tsx --test test/vscode/extensionHost.test.ts
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { codeServerBinary, createProfile, installExtension, ROOT, startCodeServer, type RunningCodeServer } from './support/codeServer';
import { buildAndPackage } from './support/packageExtension';
import { bareTinyGpt, bundleSuite } from './support/extensionHostSuite';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const VSCE = join(ROOT, 'node_modules/@vscode/vsce/vsce');

interface Outcome {
  name: string;
  ok: boolean;
  error?: string;
  ms: number;
}

let work: string;
let server: RunningCodeServer | undefined;
let browser: Browser | undefined;
let outcomes: Outcome[] = [];

/** An extension whose only job is to run the suite when the window has started, and report to `results`. */
function packHarness(dir: string, suite: string, results: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'bilevel-extension-host-harness', publisher: 'bilevel-test', version: '0.0.1', engines: { vscode: '^1.90.0' }, activationEvents: ['onStartupFinished'], main: './main.js' }, null, 2),
  );
  writeFileSync(
    join(dir, 'main.js'),
    `exports.activate = () => {
  process.env.BILEVEL_EXTENSION_HOST_RESULTS = ${JSON.stringify(results)};
  require(${JSON.stringify(suite)}).run().catch((e) => console.error(e));
};
`,
  );
  writeFileSync(join(dir, 'README.md'), 'Runs the Bilevel Autoresearch extension-host tests in code-server.\n');
  const vsix = join(dir, '..', 'harness.vsix');
  execFileSync(process.execPath, [VSCE, 'package', '--no-dependencies', '--skip-license', '--allow-missing-repository', '--out', vsix], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  return vsix;
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'vscode-host-'));
  const bin = codeServerBinary();
  const { vsix } = buildAndPackage(work);
  const suite = join(work, 'suite.js');
  await bundleSuite(suite);
  const results = join(work, 'results.json');
  const harness = packHarness(join(work, 'harness'), suite, results);
  const profile = createProfile(join(work, 'profile'), {});
  installExtension(bin, profile, vsix);
  installExtension(bin, profile, harness);
  const repo = bareTinyGpt(join(work, 'tiny-gpt'));

  server = await startCodeServer(bin, profile);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  // The extension host starts with the workbench, and the harness with it.
  await page.goto(`${server.url}/?folder=${encodeURIComponent(repo)}`);
  const until = Date.now() + 180_000;
  while (!existsSync(results)) {
    if (Date.now() > until) throw new Error(`the extension-host suite reported nothing in 180 s; code-server said:\n${server.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  outcomes = JSON.parse(readFileSync(results, 'utf8')) as Outcome[];
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
  if (!process.exitCode) rmSync(work, { recursive: true, force: true });
});

test('every extension-host test ran inside code-server and passed', () => {
  assert.ok(outcomes.length >= 4, `${outcomes.length} outcomes`);
  for (const o of outcomes) console.log(`# ${o.ok ? 'ok' : 'FAILED'} (${o.ms} ms): ${o.name}${o.error ? `\n${o.error}` : ''}`);
  assert.deepEqual(outcomes.filter((o) => !o.ok).map((o) => `${o.name}: ${o.error}`), []);
});
