import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';

/**
 * Tests that run inside VS Code's extension host, against the real API. Two runners load this one
 * bundle: `npm run test:desktop` (@vscode/test-electron, for contributors with a desktop VS Code)
 * and test/vscode/extensionHost.test.ts (code-server, in `npm test`). The workspace is a copy of
 * examples/tiny-gpt without autoresearch.config.json.
 */

const EXTENSION_ID = 'bilevel-autoresearch.bilevel-autoresearch';

interface Outcome {
  name: string;
  ok: boolean;
  error?: string;
  ms: number;
}

function workspaceDir(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the runner opens a workspace folder');
  return folder.uri.fsPath;
}

async function until<T>(what: string, probe: () => T | undefined | false, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const tests: [string, () => Promise<void>][] = [
  [
    'the extension is installed and activates in a workspace without a config',
    async () => {
      const ext = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(ext, `${EXTENSION_ID} is installed`);
      await ext.activate();
      assert.equal(ext.isActive, true);
    },
  ],
  [
    'every command the manifest contributes is registered',
    async () => {
      const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
      const contributed = (ext.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
      const registered = new Set(await vscode.commands.getCommands(true));
      assert.ok(contributed.length >= 15, `${contributed.length} commands contributed`);
      assert.deepEqual(contributed.filter((c) => !registered.has(c)), []);
    },
  ],
  [
    'settings are contributed with their defaults; no API key setting exists',
    async () => {
      const config = vscode.workspace.getConfiguration('bilevelAutoresearch');
      assert.equal(config.get('iterations'), 10);
      assert.equal(config.get('proposer'), 'config');
      const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
      const keys = Object.keys(ext.packageJSON.contributes.configuration.properties as object);
      assert.deepEqual(keys.filter((k) => /key|secret|token/i.test(k)), [], 'the key lives in SecretStorage, never in settings');
    },
  ],
  [
    'Create Config writes autoresearch.config.json through the engine, and the file validates',
    async () => {
      const path = join(workspaceDir(), 'autoresearch.config.json');
      assert.equal(existsSync(path), false, 'the workspace starts without a config');
      await vscode.commands.executeCommand('bilevelAutoresearch.initConfig');
      await until('the config file', () => existsSync(path));
      const config = JSON.parse(readFileSync(path, 'utf8'));
      assert.deepEqual(config.editable, ['train.py']);
      assert.equal(config.metric.name, 'val_bpb');
      assert.ok(config.parameters.frozen.includes('TIME_BUDGET'));
      const editor = await until('the config opened for review', () => vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === path));
      assert.equal(editor.document.languageId, 'json');
    },
  ],
];

/** The entry point both runners call. Rejects when any test failed (what @vscode/test-electron expects). */
export async function run(): Promise<void> {
  const outcomes: Outcome[] = [];
  for (const [name, fn] of tests) {
    const t0 = Date.now();
    try {
      await fn();
      outcomes.push({ name, ok: true, ms: Date.now() - t0 });
      console.log(`ok - ${name}`);
    } catch (e) {
      outcomes.push({ name, ok: false, error: (e as Error).stack ?? String(e), ms: Date.now() - t0 });
      console.log(`not ok - ${name}\n${(e as Error).stack ?? e}`);
    }
  }
  const results = process.env.BILEVEL_EXTENSION_HOST_RESULTS;
  if (results) writeFileSync(results, JSON.stringify(outcomes, null, 2));
  const failed = outcomes.filter((o) => !o.ok);
  if (failed.length) throw new Error(`${failed.length} of ${outcomes.length} extension-host tests failed: ${failed.map((f) => f.name).join('; ')}`);
}
