import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const importsOf = (src: string) => [...src.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]);

test('src/core never imports vscode (it runs in plain Node and the CLI)', () => {
  const files = tsFiles('src/core');
  assert.ok(files.length > 10, 'expected the engine sources under src/core');
  const offenders = files.filter((f) => importsOf(readFileSync(f, 'utf8')).some((m) => m === 'vscode' || m.startsWith('vscode/')));
  assert.deepEqual(offenders, []);
});

test('src/core and src/cli never import from src/extension', () => {
  const files = [...tsFiles('src/core'), ...tsFiles('src/cli')];
  const offenders = files.filter((f) => importsOf(readFileSync(f, 'utf8')).some((m) => m.includes('/extension/')));
  assert.deepEqual(offenders, []);
});

test('src/shared imports only from src/shared (core, the extension and the webview all import it)', () => {
  const files = tsFiles('src/shared');
  assert.ok(files.some((f) => f.endsWith(join('trace', 'runState.ts'))), 'expected the fold under src/shared/trace');
  const offenders = files.filter((f) =>
    importsOf(readFileSync(f, 'utf8')).some((m) => m === 'vscode' || (m.startsWith('.') && !resolve(dirname(f), m).startsWith(resolve('src/shared')))),
  );
  assert.deepEqual(offenders, []);
});

test('the layering check itself sees a vscode import', () => {
  assert.deepEqual(importsOf(`import * as vscode from 'vscode';\nconst x = require("vscode");`), ['vscode', 'vscode']);
});

test('the adapters (src/cli, src/extension) reach core only through its public entry, src/core/index.ts', () => {
  const files = [...tsFiles('src/cli'), ...tsFiles('src/extension')];
  const offenders = files.flatMap((f) =>
    importsOf(readFileSync(f, 'utf8'))
      .filter((m) => m.startsWith('.'))
      .map((m) => resolve(dirname(f), m))
      .filter((p) => p.startsWith(resolve('src/core') + '/') && p !== resolve('src/core/index'))
      .map((p) => `${f} -> ${p}`),
  );
  assert.deepEqual(offenders, []);
});
