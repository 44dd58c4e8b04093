import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunEvent } from '../../src/shared/trace/events';

export const ROOT = resolve(__dirname, '../..');
export const CLI = join(ROOT, 'dist/cli.js');

export const git = (dir: string, ...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();

/**
 * A fresh copy of examples/tiny-gpt as its own git repo, with a short TIME_BUDGET so that a
 * training run takes a few seconds, and an autoresearch.config.json written by `bilevel init`.
 */
export function tinyGptRepo(opts: { timeBudget?: number; config?: (c: any) => void } = {}): string {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  const dir = mkdtempSync(join(tmpdir(), 'tiny-gpt-'));
  cpSync(join(ROOT, 'examples/tiny-gpt'), dir, { recursive: true, filter: (src) => !src.includes('__pycache__') });
  const train = join(dir, 'train.py');
  writeFileSync(train, readFileSync(train, 'utf8').replace(/^TIME_BUDGET = \d+/m, `TIME_BUDGET = ${opts.timeBudget ?? 2}`));
  git(dir, 'init', '-q', '-b', 'main');
  const init = cli(dir, ['init']);
  if (init.status !== 0) throw new Error(`bilevel init failed: ${init.stderr}`);
  if (opts.config) {
    const path = join(dir, 'autoresearch.config.json');
    const c = JSON.parse(readFileSync(path, 'utf8'));
    opts.config(c);
    writeFileSync(path, JSON.stringify(c, null, 2));
  }
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'baseline');
  return dir;
}

export function cli(dir: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, '-C', dir, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 600_000 });
}

export function cliAsync(dir: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [CLI, '-C', dir, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs the CLI without blocking this process (needed when the test also serves HTTP to it). */
export function cliRun(dir: string, args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = cliAsync(dir, args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('close', (status) => resolve({ status, stdout, stderr })));
}

export function readTraceEvents(dir: string, tag: string): RunEvent[] {
  return readFileSync(join(dir, '.autoresearch/runs', tag, 'trace.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RunEvent);
}

export function onlyRunTag(dir: string): string {
  const out = git(dir, 'for-each-ref', '--format=%(refname:short)', 'refs/heads/autoresearch/');
  // Mechanism branches (autoresearch/<tag>-mechanisms/…) belong to a run; they are not runs.
  const tags = out.split('\n').filter((b) => b && !/-mechanisms\//.test(b)).map((b) => b.replace(/^autoresearch\//, ''));
  if (tags.length !== 1) throw new Error(`expected one run branch, found: ${out}`);
  return tags[0];
}

export async function waitFor<T>(what: string, probe: () => T | undefined | null | false, timeoutMs = 120_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
