import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent } from '../../src/shared/trace/events';
import { CLI, git, onlyRunTag, readTraceEvents, ROOT } from '../support/tinyGptRepo';

/**
 * The CLI as a user meets it: the built dist/cli.js in a real git repo, run from the directory it is
 * started in (no -C, so finding the repo root is part of what is tested).
 */
const TRAIN = `import os, sys, time
A = 8
ACTIVATION = "gelu"
learning_rate = 3e-4
TIME_BUDGET = 1
CRASH = False
# The pipe test holds the baseline until the reader of the CLI's output is gone.
go = os.environ.get("GO_FILE")
while go and not os.path.exists(go):
    time.sleep(0.02)
print("step 1 loss 2.0", flush=True)
if CRASH:
    sys.exit("boom")
print(f"val_bpb: {1.0 + abs(A - 4) / 10:.6f}")
`;

const CONFIG = {
  editable: ['train.py'],
  parameters: { file: 'train.py', frozen: ['TIME_BUDGET'], names: ['learning_rate'], choices: { ACTIVATION: ['gelu', 'relu'] } },
  run: { command: 'python3 train.py', timeBudgetSeconds: 1, hardTimeoutSeconds: 20 },
  metric: { name: 'val_bpb' },
  levels: { strategy: { enabled: false }, mechanisms: { enabled: false } },
};

/** A committed repo with train.py and a config (`config` replaces fields of CONFIG; a string is written as is). */
function repo(config: ((c: any) => void) | string = () => {}, train = TRAIN): string {
  const dir = mkdtempSync(join(tmpdir(), 'cli-'));
  writeFileSync(join(dir, 'train.py'), train);
  let text = config as string;
  if (typeof config === 'function') {
    const c = structuredClone(CONFIG);
    config(c);
    text = JSON.stringify(c, null, 2);
  }
  writeFileSync(join(dir, 'autoresearch.config.json'), text);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'init');
  return dir;
}

/** The environment without an LLM endpoint or key, whatever the machine running the tests has. */
function plainEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.OPENAI_API_KEY;
  delete env.OPENAI_BASE_URL;
  return env;
}

function bilevel(cwd: string, args: string[], env = plainEnv()) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  return spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8', timeout: 120_000 });
}

/** Refused as a usage or config error: exit 2, one message, no stack trace, nothing created. */
function assertRefused(dir: string, r: ReturnType<typeof bilevel>, message: RegExp) {
  assert.equal(r.status, 2, r.stderr + r.stdout);
  assert.match(r.stderr, message);
  assert.match(r.stderr, /^bilevel: /);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  assert.equal(git(dir, 'branch', '--list', 'autoresearch/*'), '', 'no branch created');
  assert.ok(!existsSync(join(dir, '.autoresearch')), 'no run state created');
  assert.equal(git(dir, 'symbolic-ref', '--short', 'HEAD'), 'main');
  assert.equal(git(dir, 'status', '--porcelain'), '');
}

test('a typo in parameters.frozen is refused with the name meant, before anything is created', { timeout: 60_000 }, () => {
  const dir = repo((c) => (c.parameters.frozen = ['TIME_BUDGT']));
  assertRefused(dir, bilevel(dir, ['run', '--iterations', '1']), /parameters\.frozen: "TIME_BUDGT" is not a parameter of train\.py \(did you mean "TIME_BUDGET"\?\)/);
});

test('typos in parameters.choices and parameters.names are refused too', { timeout: 60_000 }, () => {
  const dir = repo((c) => {
    c.parameters.choices = { ACTIVATON: ['gelu', 'relu'] };
    c.parameters.names = ['learning_rat'];
  });
  const r = bilevel(dir, ['run', '--iterations', '1']);
  assertRefused(dir, r, /parameters\.choices: "ACTIVATON" is not a parameter of train\.py \(did you mean "ACTIVATION"\?\)/);
  assert.match(r.stderr, /parameters\.names: "learning_rat" is not assigned at the top level of train\.py \(did you mean "learning_rate"\?\)/);
});

test('a parameters.file that does not exist says so', { timeout: 60_000 }, () => {
  const dir = repo((c) => (c.parameters.file = 'trian.py'));
  const r = bilevel(dir, ['run', '--iterations', '1']);
  assertRefused(dir, r, /parameters\.file: "trian\.py" does not exist \(did you mean "train\.py"\?\)/);
  assert.doesNotMatch(r.stderr, /must also be listed in editable/);
});

test('a JSON syntax error in the config gives the file, line and column', { timeout: 60_000 }, () => {
  const dir = repo('{\n  "editable": ["train.py"]\n  "parameters": { "file": "train.py" }\n}\n');
  const r = bilevel(dir, ['run', '--iterations', '1']);
  assertRefused(dir, r, /autoresearch\.config\.json:3:3: not valid JSON: Expected ',' or '}' after property value/);
  assert.match(r.stderr, /\n {4} {2}"parameters": \{ "file": "train\.py" \}\n {4} {2}\^/, 'the line, and a caret under the column');
});

test('bilevel init in a repo without constants: one message, no stack trace, exit 2, no config written', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-init-'));
  writeFileSync(join(dir, 'main.py'), 'print("hello")\n');
  git(dir, 'init', '-q', '-b', 'main');
  const r = bilevel(dir, ['init']);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^bilevel: No Python file with UPPER_CASE constants found in .*parameters\.names\.\n$/);
  assert.ok(!existsSync(join(dir, 'autoresearch.config.json')));
  const verbose = bilevel(dir, ['init', '-v']);
  assert.equal(verbose.status, 2);
  assert.match(verbose.stderr, /^\s+at /m, '-v shows the stack trace');
});

test('--proposer llm without an API key: one message saying what to set, exit 2, nothing created', { timeout: 60_000 }, () => {
  const dir = repo();
  const r = bilevel(dir, ['run', '--iterations', '1', '--proposer', 'llm']);
  assertRefused(dir, r, /No API key for the LLM endpoint .*OPENAI_API_KEY/);
  assert.doesNotMatch(r.stderr, /MissingApiKeyError/);
});

test('an invalid --tag is refused before anything starts, with a tag that would do', { timeout: 60_000 }, () => {
  const dir = repo();
  assertRefused(dir, bilevel(dir, ['run', '--iterations', '1', '--tag', 'my tag']), /'my tag' is invalid.*e\.g\. my-tag/);
  assertRefused(dir, bilevel(dir, ['run', '--tag', 'a..b']), /letters, digits/);
});

test('usage errors exit 2; --version prints the package version', { timeout: 60_000 }, () => {
  const dir = repo();
  assertRefused(dir, bilevel(dir, ['run', '--bogus']), /^bilevel: unknown option '--bogus'/);
  assertRefused(dir, bilevel(dir, ['run', '--iterations', 'many']), /--iterations/);
  const version = bilevel(dir, ['--version']);
  assert.equal(version.status, 0, version.stderr);
  assert.equal(version.stdout.trim(), JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
});

test('a run that fails exits 1 with the reason and no stack trace', { timeout: 120_000 }, () => {
  const dir = repo(() => {}, TRAIN.replace('CRASH = False', 'CRASH = True'));
  const r = bilevel(dir, ['run', '--iterations', '1']);
  assert.equal(r.status, 1, r.stderr + r.stdout);
  assert.match(r.stdout, /run error: The baseline run failed/);
  assert.doesNotMatch(r.stderr + r.stdout, /^\s+at /m);
});

test('run and status from a subdirectory work on the repo root', { timeout: 120_000 }, () => {
  const dir = repo();
  const sub = join(dir, 'src', 'deep');
  mkdirSync(sub, { recursive: true });
  const r = bilevel(sub, ['run', '--iterations', '1', '--tag', 'fromsub']);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.ok(existsSync(join(dir, '.autoresearch/runs/fromsub/trace.jsonl')), 'the run state is at the root');
  assert.ok(!existsSync(join(sub, '.autoresearch')));
  assert.equal(git(dir, 'symbolic-ref', '--short', 'HEAD'), 'autoresearch/fromsub');
  const status = bilevel(sub, ['status']);
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /run fromsub: 1 iterations, completed/);
});

test('bilevel run | head -1: the run stops cleanly, nothing left running, the tree clean', { timeout: 120_000 }, async () => {
  const dir = repo();
  const go = join(mkdtempSync(join(tmpdir(), 'cli-go-')), 'go');
  // The reader takes one line and exits; once its side of the pipe is closed it lets the baseline
  // go on, whose next output line then meets a pipe without a reader (EPIPE).
  const script = `set -o pipefail; "${process.execPath}" "${CLI}" run --iterations 3 -v | { head -1; exec 0<&-; touch "${go}"; }`;
  const child = spawn('bash', ['-c', script], { cwd: dir, env: plainEnv({ GO_FILE: go }), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const status = await new Promise<number | null>((resolve) => child.once('close', resolve));

  assert.match(stdout, /^run \S+ on branch autoresearch\/\S+/);
  assert.equal(stdout.trim().split('\n').length, 1, 'head printed one line');
  assert.equal(status, 130, `the run reports an interruption, as on Ctrl+C\n${stderr}`);
  assert.match(stderr, /the output was closed; stopping the run cleanly/);
  assert.doesNotMatch(stderr, /EPIPE|^\s+at /m);

  const tag = onlyRunTag(dir);
  const events = readTraceEvents(dir, tag);
  assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1));
  const last = events[events.length - 1] as Extract<RunEvent, { type: 'run.stopped' }>;
  assert.deepEqual([last.type, last.reason], ['run.stopped', 'interrupted']);
  assert.ok(!existsSync(join(dir, '.autoresearch/runs', tag, 'run.lock')), 'the run let go of its lock');

  const json = bilevel(dir, ['status', '--json']);
  assert.equal(json.status, 0, json.stderr);
  const state = JSON.parse(json.stdout);
  assert.equal(state.stopped, 'interrupted');
  assert.ok(state.experiments.length > 0);
  assert.deepEqual(state.experiments.filter((x: { result?: string }) => !x.result), [], 'no experiment left running');
  assert.doesNotMatch(bilevel(dir, ['status']).stdout, /running/);
  assert.equal(git(dir, 'status', '--porcelain'), '', 'the tree is clean');
  assert.equal(git(dir, 'symbolic-ref', '--short', 'HEAD'), `autoresearch/${tag}`);
});
