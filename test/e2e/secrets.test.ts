import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent } from '../../src/shared/trace/events';
import { cliScriptRepo } from '../support/scriptRepo';
import { cliRun, git, onlyRunTag, readTraceEvents } from '../support/tinyGptRepo';

const KEY = 'sk-test-NEVER-SHOWN-0123456789abcdef';
const WANDB = 'wandb-secret-value-9876543210';

/**
 * A training script that does what a model-written edit might: prints its whole environment, and a
 * key it found elsewhere (a file) on stdout and stderr, and dies with it as its last line, so that it
 * becomes the crash reason in the trace. The baseline (LR = 0.1) reports a metric; any change crashes.
 */
const TRAIN = `import os, sys
LR = 0.1
TIME_BUDGET = 1
for name, value in sorted(os.environ.items()):
    print(f"{name}={value}")
print("has OPENAI_API_KEY:", "OPENAI_API_KEY" in os.environ)
print("has WANDB_API_KEY:", "WANDB_API_KEY" in os.environ)
key = open(os.environ["KEY_FILE"]).read().strip()
print("the key is", key)
if LR != 0.1:
    print("fatal:", key, file=sys.stderr)
    sys.exit(1)
print("val_bpb: 1.0")
`;

test('a training script that prints its environment and the key leaves no key in logs, trace or terminal', { timeout: 120_000 }, async () => {
  const keyFile = join(mkdtempSync(join(tmpdir(), 'key-')), 'key');
  writeFileSync(keyFile, KEY);
  const dir = cliScriptRepo(TRAIN, {
    run: { command: 'python3 train.py', timeBudgetSeconds: 1, hardTimeoutSeconds: 20, env: { KEY_FILE: keyFile, KEEP_ME: 'visible' }, secretEnv: ['WANDB_API_KEY'] },
    proposer: { kind: 'heuristic' },
  });
  const r = await cliRun(dir, ['run', '--iterations', '2', '-v'], { OPENAI_API_KEY: KEY, WANDB_API_KEY: WANDB });
  assert.equal(r.status, 0, r.stderr + r.stdout);

  const tag = onlyRunTag(dir);
  const runDir = join(dir, '.autoresearch/runs', tag);
  const logs = readdirSync(join(runDir, 'logs')).map((f) => readFileSync(join(runDir, 'logs', f), 'utf8'));
  assert.equal(logs.length, 3, 'the baseline and two experiments');
  for (const log of logs) {
    assert.match(log, /^has OPENAI_API_KEY: False$/m, 'the LLM key is not in the training environment');
    assert.match(log, /^has WANDB_API_KEY: False$/m, 'nor a variable run.secretEnv names');
    assert.match(log, /^KEEP_ME=visible$/m, 'the rest of the environment is there');
    assert.match(log, /^the key is \*\*\*$/m, 'a key found elsewhere is redacted');
  }
  const crashes = readTraceEvents(dir, tag).filter((e): e is Extract<RunEvent, { type: 'training.finished' }> => e.type === 'training.finished' && e.outcome === 'crash');
  assert.ok(crashes.length >= 1, 'an experiment crashed with the key as its last line');
  assert.equal(crashes[0].reason, 'exit code 1: fatal: ***');
  assert.match(r.stdout, /│ the key is \*\*\*/, 'the terminal shows the output, redacted');

  const trace = readFileSync(join(runDir, 'trace.jsonl'), 'utf8');
  for (const [where, text] of [['logs', logs.join('\n')], ['trace', trace], ['stdout', r.stdout], ['stderr', r.stderr], ['git', git(dir, 'log', '--all', '-p')]] as const) {
    assert.ok(!text.includes(KEY), `the key is in the ${where}`);
    assert.ok(!text.includes(WANDB), `the secretEnv value is in the ${where}`);
  }
});
