import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunEvent } from '../../src/shared/trace/events';
import { cliScriptRepo } from '../support/scriptRepo';
import { cli, git, onlyRunTag, readTraceEvents } from '../support/tinyGptRepo';

/** Three parameters to find (best at A = 4, B = 0.25, C = 3), so the heuristic keeps several experiments. */
const TRAIN = `A = 8
B = 0.5
C = 1
TIME_BUDGET = 1
print("step 1 loss 2.0", flush=True)
print(f"val_bpb: {1.0 + abs(A - 4) / 10 + abs(B - 0.25) + abs(C - 3) / 5:.6f}")
`;

/** Strategy review every 2 iterations and mechanism research after each: the run branch carries .autoresearch/ files. */
const CONFIG = {
  run: { command: 'python3 train.py', timeBudgetSeconds: 1, hardTimeoutSeconds: 20 },
  proposer: { kind: 'heuristic' },
  levels: { strategy: { every: 2 }, mechanisms: { every: 1 } },
};

type Decided = Extract<RunEvent, { type: 'experiment.decided' }>;
const refs = (dir: string) => git(dir, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads/');
/** A tree's top-level entries, one a line, without the run's own folder. */
const withoutRunFiles = (dir: string, rev: string) => git(dir, 'ls-tree', rev).split('\n').filter((l) => !l.endsWith('\t.autoresearch')).join('\n');

test('bilevel finalize: the best result as one commit on a new branch from the start, the report beside it; nothing else moves', { timeout: 240_000 }, () => {
  const dir = cliScriptRepo(TRAIN, CONFIG, 'finalize-');
  const start = git(dir, 'rev-parse', 'HEAD');
  assert.equal(cli(dir, ['finalize']).status, 2, 'no run yet');

  const run = cli(dir, ['run', '--iterations', '10']);
  assert.equal(run.status, 0, run.stderr + run.stdout);
  const tag = onlyRunTag(dir);
  // Not a terminal: plain lines, none twice in a row, and the summary with the way home.
  assert.ok(!run.stdout.includes('\r'), 'no \\r when stdout is not a terminal');
  const lines = run.stdout.split('\n').filter(Boolean);
  assert.ok(lines.every((l, i) => l !== lines[i - 1]), 'no line printed twice');
  assert.match(run.stdout, /#\d+ +keep +\d\.\d{6} \(Δ -\d\.\d{6}\) +· \d+\/10 · elapsed \d+:\d\d · ETA \d+:\d\d$/m, 'each result says where the budget stands');
  assert.match(run.stdout, /^best configuration: (A 8 → \d+|B 0\.5 → [\d.]+|C 1 → \d+)/m, 'the summary names the changed parameters');
  assert.match(run.stdout, new RegExp(`^take it home: bilevel finalize --tag ${tag} {2}\\(creates autoresearch/${tag}-best\\)$`, 'm'));
  assert.equal(run.stdout.match(/^best val_bpb /gm)?.length, 1, 'the summary is printed once');

  const events = readTraceEvents(dir, tag);
  const decided = events.filter((e): e is Decided => e.type === 'experiment.decided');
  const best = decided.filter((d) => d.status === 'keep' && d.metric !== null).reduce((a, b) => (b.metric! < a.metric! ? b : a));
  assert.ok(best.n > 0, 'an experiment beat the baseline');
  assert.match(git(dir, 'ls-tree', '--name-only', best.commit), /^\.autoresearch$/m, 'the best commit carries the mechanism files (what finalize leaves out)');

  // The user's state before: a local edit and an untracked file in the working tree, every branch, HEAD.
  writeFileSync(join(dir, 'train.py'), readFileSync(join(dir, 'train.py'), 'utf8') + '# my local note\n');
  writeFileSync(join(dir, 'notes.txt'), 'mine\n');
  const before = { refs: refs(dir), head: git(dir, 'symbolic-ref', 'HEAD'), status: git(dir, 'status', '--porcelain'), index: git(dir, 'diff', '--cached', '--name-only'), train: readFileSync(join(dir, 'train.py'), 'utf8') };

  const fin = cli(dir, ['finalize']);
  assert.equal(fin.status, 0, fin.stderr + fin.stdout);
  const branch = `autoresearch/${tag}-best`;
  assert.match(fin.stdout, new RegExp(`^${branch} at [0-9a-f]{7}: the best val_bpb ${best.metric!.toFixed(6)} \\(#${best.n}\\)`, 'm'));

  // One commit on the run's starting point, holding the best commit's tree without .autoresearch/.
  assert.equal(git(dir, 'rev-parse', `${branch}^`), start);
  assert.equal(git(dir, 'rev-list', '--count', `${start}..${branch}`), '1');
  assert.equal(git(dir, 'ls-tree', branch), withoutRunFiles(dir, best.commit));
  assert.equal(git(dir, 'ls-tree', '-r', '--name-only', branch, '--', '.autoresearch'), '');
  assert.notEqual(git(dir, 'rev-parse', `${branch}^{tree}`), git(dir, 'rev-parse', `${start}^{tree}`), 'the change is there');
  // The message lists every kept experiment that the best is built from, with its delta.
  const message = git(dir, 'log', '-1', '--format=%B', branch);
  const kept = decided.filter((d) => d.n > 0 && d.n <= best.n && d.status === 'keep');
  assert.ok(kept.length >= 1);
  for (const k of kept) assert.ok(message.includes(`- #${k.n} ${k.description}: ${k.metric!.toFixed(6)} (Δ ${k.delta!.toFixed(6)})`), `#${k.n} in:\n${message}`);
  assert.match(message, /^autoresearch \S+: val_bpb \d\.\d{6} → \d\.\d{6} \(Δ -\d\.\d{6}\)$/m);

  // Nothing of the user's moved: their branches, HEAD, index and working tree.
  const after = refs(dir).split('\n').filter((l) => !l.startsWith(`refs/heads/${branch} `)).join('\n');
  assert.equal(after, before.refs, 'no other branch moved');
  assert.equal(git(dir, 'symbolic-ref', 'HEAD'), before.head);
  assert.equal(git(dir, 'status', '--porcelain'), before.status);
  assert.equal(git(dir, 'diff', '--cached', '--name-only'), before.index);
  assert.equal(readFileSync(join(dir, 'train.py'), 'utf8'), before.train);

  // The report, ready for a pull request.
  const runDir = join(dir, '.autoresearch/runs', tag);
  const report = readFileSync(join(runDir, 'report.md'), 'utf8');
  assert.match(report, new RegExp(`^# Autoresearch run \`${tag}\`: val_bpb`, 'm'));
  assert.match(report, /^## Best configuration$/m);
  assert.match(report, new RegExp(`^\\| \\*\\*val_bpb\\*\\* \\| \\d\\.\\d{6} \\| ${best.metric!.toFixed(6).replace('.', '\\.')} \\|$`, 'm'));
  for (const k of kept) assert.match(report, new RegExp(`^\\| ${k.n} \\| .* \\| ${k.commit.slice(0, 7)} \\|$`, 'm'));
  assert.match(report, /!\[val_bpb per experiment\]\(progress\.png\)/);
  const png = readFileSync(join(runDir, 'progress.png'));
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG file');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [1520, 680], 'IHDR: the chart at twice 760×340');
  const svg = readFileSync(join(runDir, 'progress.svg'), 'utf8');
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.equal(svg.match(/<circle [^>]*><title>/g)?.length, decided.filter((d) => d.metric !== null).length, 'one point per measured result');

  // Once is enough: the branch exists now, and stays where it is.
  const finalized = git(dir, 'rev-parse', branch);
  const again = cli(dir, ['finalize']);
  assert.equal(again.status, 2);
  assert.match(again.stderr, new RegExp(`branch ${branch} already exists`));
  assert.equal(git(dir, 'rev-parse', branch), finalized);
  // --branch names another.
  const named = cli(dir, ['finalize', '--tag', tag, '--branch', 'try/best']);
  assert.equal(named.status, 0, named.stderr);
  assert.equal(git(dir, 'rev-parse', 'try/best^{tree}'), git(dir, 'rev-parse', `${branch}^{tree}`));
});

test('finalize refuses a run that is still running, and one that kept nothing', { timeout: 120_000 }, async () => {
  // Every change is worse than the baseline (A = 8 is the best value).
  const dir = cliScriptRepo('A = 8\nTIME_BUDGET = 1\nprint(f"val_bpb: {1.0 + abs(A - 8) / 10:.6f}")\n', { ...CONFIG, levels: { strategy: { enabled: false }, mechanisms: { enabled: false } } }, 'finalize-none-');
  const run = cli(dir, ['run', '--iterations', '2']);
  assert.equal(run.status, 0, run.stderr + run.stdout);
  assert.doesNotMatch(run.stdout, /take it home/, 'no way home is offered when the baseline is the best');
  const tag = onlyRunTag(dir);
  const before = refs(dir);
  const none = cli(dir, ['finalize']);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /kept no experiment that beat its baseline/);

  // A live process holds the run's lock: the run is not over.
  const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    writeFileSync(join(dir, '.autoresearch/runs', tag, 'run.lock'), String(holder.pid));
    const live = cli(dir, ['finalize']);
    assert.equal(live.status, 2);
    assert.match(live.stderr, new RegExp(`run ${tag} is still running \\(process ${holder.pid}\\)`));
  } finally {
    holder.kill();
  }
  assert.equal(refs(dir), before, 'no branch was created');
  assert.ok(!existsSync(join(dir, '.autoresearch/runs', tag, 'report.md')));
  assert.ok(!existsSync(join(dir, '.autoresearch/runs', tag, 'progress.png')));
});
