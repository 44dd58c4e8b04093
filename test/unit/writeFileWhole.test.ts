import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeFileWhole } from '../../src/core/candidates/writeFileWhole';

const MODULE = resolve(__dirname, '../../src/core/candidates/writeFileWhole.ts');

test('writeFileWhole replaces the content and keeps the mode, leaving nothing aside', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'whole-'));
  const path = join(dir, 'train.py');
  writeFileSync(path, 'A = 1\n');
  chmodSync(path, 0o755);
  await writeFileWhole(path, 'A = 2\n');
  assert.equal(readFileSync(path, 'utf8'), 'A = 2\n');
  assert.equal(statSync(path).mode & 0o777, 0o755);
  assert.deepEqual(readdirSync(dir), ['train.py']);
});

test('a process killed with -9 while writing leaves the old content or the new one, never a cut file', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'whole-kill-'));
  const path = join(dir, 'train.py');
  const old = 'A = 1\nTIME_BUDGET = 1\n';
  writeFileSync(path, old);
  // 64 MB: the write takes long enough for the kill to land inside it.
  const script = `require(${JSON.stringify(MODULE)}).writeFileWhole(${JSON.stringify(path)}, 'B = 2\\n'.repeat(${(64 << 20) / 6})); process.stdout.write('writing\\n');`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((r) => child.stdout!.once('data', () => r()));
  await new Promise((r) => setTimeout(r, 5));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('close', r));
  const now = readFileSync(path, 'utf8');
  assert.ok(now === old || now.length === 6 * Math.floor((64 << 20) / 6), `cut: ${now.length} bytes`);
});
