import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { shellCommand, shellQuote, shippedScript, type ShippedScript } from '../../src/core/executors/shell';
import { slurmBatchScript } from '../../src/core/executors/slurmExecutor';
import { bundleEntry } from '../support/bundleEntry';

const ROOT = resolve(__dirname, '../..');
const REMOTE = join(ROOT, 'src/core/executors/remote');
const shipped = readdirSync(REMOTE).filter((f) => f.endsWith('.sh'));

test('shellQuote leaves plain words alone and survives single quotes', () => {
  assert.equal(shellQuote('python3'), 'python3');
  assert.equal(shellQuote(''), "''");
  const nasty = `it's "$HOME" \`x\` ; rm -rf /`;
  assert.equal(execFileSync('sh', ['-c', `printf %s ${shellQuote(nasty)}`], { encoding: 'utf8' }), nasty);
});

test('shellCommand: the script runs with the name as $0 and every argument as it was', () => {
  const line = shellCommand('sh', 'printf "%s|" "$0" "$@"', 'name', ["it's", '', 'a b']);
  assert.equal(execFileSync('sh', ['-c', line], { encoding: 'utf8' }), "name|it's||a b|");
});

test('every shipped shell script parses (bash -n; sh -n for the POSIX ones)', () => {
  assert.deepEqual(shipped.sort(), ['sshPreflight.sh', 'sshRun.sh']);
  for (const name of shipped) {
    const path = join(REMOTE, name);
    const bash = spawnSync('bash', ['-n', path], { encoding: 'utf8' });
    assert.equal(bash.status, 0, `${name}: ${bash.stderr}`);
    if (readFileSync(path, 'utf8').startsWith('#!/bin/sh\n')) {
      const sh = spawnSync('sh', ['-n', path], { encoding: 'utf8' });
      assert.equal(sh.status, 0, `${name} (sh): ${sh.stderr}`);
    }
    assert.equal(shippedScript(name as ShippedScript), readFileSync(path, 'utf8'));
  }
});

test('a syntax error in a script is what bash -n catches', () => {
  const broken = spawnSync('bash', ['-n', '-c', 'if true; then echo'], { encoding: 'utf8' });
  assert.notEqual(broken.status, 0);
});

test('the Slurm batch script parses (bash -n), directives, environment and end marker included', () => {
  const script = slurmBatchScript('python3 train.py --lr "3e-4"', { SEED: "it's 42", EMPTY: '' }, ['--mem=16G'], '@@bilevel-slurm-end-0123@@');
  const check = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
});

test('the scripts are found beside an esbuild bundle, where scripts/build.mjs copies them (dist/remote)', async () => {
  const out = mkdtempSync(join(tmpdir(), 'shell-bundle-'));
  await bundleEntry(
    `import { shippedScript } from './src/core/executors/shell';\nprocess.stdout.write(shippedScript('sshRun.sh'));`,
    out,
  );
  const missing = spawnSync(process.execPath, [join(out, 'bundle.js')], { encoding: 'utf8' });
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /remote\/sshRun\.sh is missing \(ENOENT\); rebuild with node scripts\/build\.mjs/);
  cpSync(REMOTE, join(out, 'remote'), { recursive: true });
  const found = spawnSync(process.execPath, [join(out, 'bundle.js')], { encoding: 'utf8' });
  assert.equal(found.status, 0, found.stderr);
  assert.equal(found.stdout, readFileSync(join(REMOTE, 'sshRun.sh'), 'utf8'));
  assert.ok(readFileSync(join(ROOT, 'scripts/build.mjs'), 'utf8').includes("'dist/remote'"));
});
