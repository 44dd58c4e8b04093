import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_FILE, parseTargetConfig, type TargetConfig } from '../../src/core/target/targetConfig';
import { git } from './tinyGptRepo';

/**
 * A git repo holding one fast, torch-free train.py (a real Python process per run), with a config
 * around it: for tests of the loop's decisions, where tiny-gpt's training time would only cost.
 * `config` is merged over the defaults (editable train.py, TIME_BUDGET frozen, val_bpb).
 */
export function scriptRepo(train: string, config: Record<string, unknown> = {}, prefix = 'loop-'): { dir: string; config: TargetConfig } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(dir, 'train.py'), train);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'init');
  return {
    dir,
    config: parseTargetConfig({
      editable: ['train.py'],
      parameters: { file: 'train.py', frozen: ['TIME_BUDGET'] },
      run: { command: 'python3 train.py', timeBudgetSeconds: 1, hardTimeoutSeconds: 5 },
      metric: { name: 'val_bpb' },
      ...config,
    }),
  };
}

/** The same for the CLI: `config` (over the same defaults) is written to the config file and committed with train.py. */
export function cliScriptRepo(train: string, config: Record<string, unknown> = {}, prefix = 'cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(dir, 'train.py'), train);
  const full = { editable: ['train.py'], parameters: { file: 'train.py', frozen: ['TIME_BUDGET'] }, metric: { name: 'val_bpb' }, ...config };
  parseTargetConfig(full);
  writeFileSync(join(dir, CONFIG_FILE), `${JSON.stringify(full, null, 2)}\n`);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'init');
  return dir;
}
