import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunRepo } from '../../src/core/git/runRepo';
import { loadTargetConfigAt } from '../../src/core/target/configAtCommit';
import { ConfigError } from '../../src/core/target/targetConfig';
import { git } from '../support/tinyGptRepo';

/** A repo whose commits hold train.py and, from the second on, the config as given (real git). */
function repoWith(configs: string[]): { repo: Promise<RunRepo>; commits: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'config-at-'));
  writeFileSync(join(dir, 'train.py'), 'A = 1\nTIME_BUDGET = 1\n');
  git(dir, 'init', '-q', '-b', 'main');
  const commit = (m: string) => {
    git(dir, 'add', '-A');
    git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', m);
    return git(dir, 'rev-parse', 'HEAD');
  };
  const commits = [commit('no config')];
  for (const c of configs) {
    writeFileSync(join(dir, 'autoresearch.config.json'), c);
    commits.push(commit('config'));
  }
  // The working tree holds the last config: what is read must be the commit's, not the file's.
  writeFileSync(join(dir, 'autoresearch.config.json'), 'not json');
  return { repo: RunRepo.open(dir), commits };
}

test('the config a commit holds is read and checked against that commit’s files, not the working tree', async () => {
  const good = JSON.stringify({ editable: ['train.py'], parameters: { file: 'train.py', frozen: ['TIME_BUDGET'] }, metric: { name: 'val_bpb' }, run: { command: 'python3 train.py --x' } });
  const { repo, commits } = repoWith([good, '{\n  "editable": ["train.py"]\n  "x": 1\n}', JSON.stringify({ editable: ['trian.py'], parameters: { file: 'train.py' }, metric: { name: 'val_bpb' }, run: { command: 'python3 train.py' } })]);
  const r = await repo;
  assert.equal(await loadTargetConfigAt(r, commits[0]), null, 'no config in that commit: the one in use stays');
  assert.equal((await loadTargetConfigAt(r, commits[1]))?.run.command, 'python3 train.py --x');
  await assert.rejects(loadTargetConfigAt(r, commits[2]), (e: unknown) => e instanceof ConfigError && new RegExp(`^autoresearch\\.config\\.json at ${commits[2].slice(0, 7)}:3:3: not valid JSON`).test(e.message) && /Nothing was adopted/.test(e.message));
  await assert.rejects(loadTargetConfigAt(r, commits[3]), (e: unknown) => e instanceof ConfigError && /at [0-9a-f]{7} is invalid:\n.*editable: file not found: trian\.py \(did you mean "train\.py"\?\)/.test(e.message));
});
