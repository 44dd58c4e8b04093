import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cliScriptRepo } from '../support/scriptRepo';
import { CLI } from '../support/tinyGptRepo';

/** Prints a few training lines a little apart, so that the terminal shows them while it trains. */
const TRAIN = `import time
A = 8
TIME_BUDGET = 1
for step in range(3):
    print(f"step {step} loss {2.0 - step / 10:.1f}", flush=True)
    time.sleep(0.3)
print(f"val_bpb: {1.0 + abs(A - 4) / 10:.6f}")
`;

const hasScript = spawnSync('script', ['--version']).status === 0;

test('on a real terminal, bilevel run keeps one status line with the budget, times and the latest training line', { timeout: 120_000, skip: !hasScript && 'util-linux script(1) is not installed' }, () => {
  const dir = cliScriptRepo(TRAIN, { run: { command: 'python3 train.py', timeBudgetSeconds: 1, hardTimeoutSeconds: 20 }, proposer: { kind: 'heuristic' }, levels: { strategy: { enabled: false }, mechanisms: { enabled: false } } }, 'progress-');
  // script(1) runs the CLI on a pseudo-terminal and copies what it wrote, control characters included.
  const r = spawnSync('script', ['-q', '-e', '-c', `${process.execPath} ${CLI} -C ${dir} run --iterations 2`, '/dev/null'], { encoding: 'utf8', timeout: 100_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const out = r.stdout.replace(/\r\n/g, '\n');
  assert.match(out, /\r\x1b\[K#0 baseline · training 0:0\d · elapsed 0:0\d · ETA — │ step \d loss/);
  assert.match(out, /\r\x1b\[K#\d \([12]\/2\) · training 0:0\d · elapsed 0:\d\d · ETA 0:\d\d │ step 2 loss 1\.8/);
  // What is left on the screen: each line's text after its last \r. The status line is gone, the
  // results stay, each once.
  const screen = out.split('\n').map((l) => l.split('\r').pop()!.replace(/\x1b\[K/g, '')).filter(Boolean);
  assert.ok(!screen.some((l) => / · training /.test(l)), `a status line was left behind:\n${screen.join('\n')}`);
  assert.equal(screen.filter((l) => /^#\d+ {3}(keep|discard) /.test(l)).length, 3, 'baseline and two results');
  assert.ok(screen.every((l, i) => l !== screen[i - 1]), 'no line twice');
  assert.ok(screen.includes('run completed'));
  assert.match(out, /^take it home: bilevel finalize --tag \S+ {2}\(creates autoresearch\/\S+-best\)$/m, 'the summary ends with the way home');
});
