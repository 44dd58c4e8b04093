import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parameterNameProblems, parseTargetConfig, type ConfigRepo } from '../../src/core/target/targetConfig';
import { parseParams } from '../../src/core/target/pythonParams';
import { timeBudgetParams } from '../../src/core/target/timeBudget';

const minimal = () => ({
  editable: ['train.py'],
  parameters: { file: 'train.py' },
  run: { command: 'python3 train.py', timeBudgetSeconds: 20 },
  metric: { name: 'val_bpb' },
});

test('defaults are filled in', () => {
  const c = parseTargetConfig(minimal());
  assert.equal(c.metric.goal, 'minimize');
  assert.equal(c.run.hardTimeoutSeconds, 100);
  assert.equal(c.proposer.kind, 'heuristic');
  assert.deepEqual(c.parameters.frozen, []);
});

test('an unknown field is named, with the fields allowed there', () => {
  const raw: any = minimal();
  raw.run.timout = 5;
  assert.throws(() => parseTargetConfig(raw), (e: Error) => /run\.timout: unknown field/.test(e.message) && /allowed here: command/.test(e.message));
});

test('an API key in the file is refused with where it belongs', () => {
  const raw: any = { ...minimal(), llm: { model: 'm', apiKey: 'sk-123' } };
  assert.throws(() => parseTargetConfig(raw), /llm\.apiKey: API keys never go in the config file; set OPENAI_API_KEY/);
});

test('wrong types and missing fields name the field', () => {
  const raw: any = minimal();
  raw.metric.goal = 'lowest';
  delete raw.run.command;
  assert.throws(() => parseTargetConfig(raw), (e: Error) => /metric\.goal: must be one of "minimize", "maximize"/.test(e.message) && /run\.command: required/.test(e.message));
});

test('a metric regex without a capture group is refused', () => {
  const raw: any = minimal();
  raw.metric.regex = 'val_bpb: [0-9.]+';
  assert.throws(() => parseTargetConfig(raw), /metric\.regex/);
});

test('the parameter file must be editable, memory must be a secondary metric', () => {
  const raw: any = minimal();
  raw.parameters.file = 'config.py';
  raw.metric.memory = { name: 'peak_vram_mb' };
  assert.throws(() => parseTargetConfig(raw), (e: Error) => /parameters\.file/.test(e.message) && /metric\.memory\.name/.test(e.message));
});

test('run.secretEnv: none by default, names the training command must not see, shell names only', () => {
  assert.deepEqual(parseTargetConfig(minimal()).run.secretEnv, []);
  const raw: any = minimal();
  raw.run.secretEnv = ['WANDB_API_KEY', 'HF_TOKEN'];
  assert.deepEqual(parseTargetConfig(raw).run.secretEnv, ['WANDB_API_KEY', 'HF_TOKEN']);
  raw.run.secretEnv = ['NOT A NAME'];
  assert.throws(() => parseTargetConfig(raw), /run\.secretEnv/);
});

const TRAIN = 'import time\nA = 8\nACTIVATION = "gelu"\nlearning_rate = 3e-4\nschedule = make_schedule()\nTIME_BUDGET = 1\n';
/** The repo as the checks see it: files by path. */
const repoOf = (files: Record<string, string>): ConfigRepo => ({ read: (f) => files[f] ?? null, topFiles: () => Object.keys(files) });
const withParameters = (parameters: object) => ({ ...minimal(), parameters: { file: 'train.py', ...parameters } });

test('a typo in frozen, choices, exclude or names is an error with the closest parameter', () => {
  const raw = withParameters({ frozen: ['TIME_BUDGT'], choices: { ACTIVATON: ['gelu', 'relu'] }, exclude: ['a'], names: ['learning_rat'] });
  assert.throws(
    () => parseTargetConfig(raw, repoOf({ 'train.py': TRAIN })),
    (e: Error) =>
      e instanceof ConfigError &&
      /parameters\.frozen: "TIME_BUDGT" is not a parameter of train\.py \(did you mean "TIME_BUDGET"\?\)/.test(e.message) &&
      /parameters\.choices: "ACTIVATON" is not a parameter of train\.py \(did you mean "ACTIVATION"\?\)/.test(e.message) &&
      /parameters\.exclude: "a" is not a parameter of train\.py \(did you mean "A"\?\)/.test(e.message) &&
      /parameters\.names: "learning_rat" is not assigned at the top level of train\.py \(did you mean "learning_rate"\?\)/.test(e.message),
  );
});

test('a lowercase constant is a parameter only once listed in names; a non-literal one never', () => {
  assert.deepEqual(parameterNameProblems({ file: 'train.py', names: [], exclude: [], frozen: ['learning_rate'], choices: {} }, TRAIN), [
    'parameters.frozen: "learning_rate" is not a parameter of train.py; to make it one, add it to parameters.names',
  ]);
  assert.deepEqual(parameterNameProblems({ file: 'train.py', names: ['learning_rate'], exclude: [], frozen: ['learning_rate'], choices: {} }, TRAIN), []);
  assert.deepEqual(parameterNameProblems({ file: 'train.py', names: ['schedule'], exclude: [], frozen: [], choices: {} }, TRAIN), [
    'parameters.names: "schedule" is assigned in train.py, but not as a single literal value on one line, so it cannot be a parameter',
  ]);
  assert.deepEqual(parameterNameProblems({ file: 'train.py', names: [], exclude: [], frozen: ['NOTHING_LIKE_IT'], choices: {} }, TRAIN), [
    'parameters.frozen: "NOTHING_LIKE_IT" is not a parameter of train.py',
  ]);
});

test('a parameter file that does not exist says so, with the closest file', () => {
  const raw = withParameters({ file: 'trian.py' });
  assert.throws(
    () => parseTargetConfig(raw, repoOf({ 'train.py': TRAIN, 'README.md': '' })),
    (e: Error) => /parameters\.file: "trian\.py" does not exist \(did you mean "train\.py"\?\)/.test(e.message) && !/must also be listed in editable/.test(e.message),
  );
  assert.throws(() => parseTargetConfig({ ...minimal(), editable: ['trian.py'] }, repoOf({ 'train.py': TRAIN })), /editable: file not found: trian\.py \(did you mean "train\.py"\?\)/);
});

test('the time budget constant is frozen unless parameters.searchTimeBudget says otherwise', () => {
  const repo = repoOf({ 'train.py': TRAIN });
  assert.deepEqual(parseTargetConfig(withParameters({}), repo).parameters.frozen, ['TIME_BUDGET']);
  assert.deepEqual(parseTargetConfig(withParameters({ frozen: ['A', 'TIME_BUDGET'] }), repo).parameters.frozen, ['A', 'TIME_BUDGET']);
  assert.deepEqual(parseTargetConfig(withParameters({ searchTimeBudget: true }), repo).parameters.frozen, []);
  assert.throws(() => parseTargetConfig(withParameters({ searchTimeBudget: true, frozen: ['TIME_BUDGET'] }), repo), /parameters\.searchTimeBudget: true, but parameters\.frozen lists TIME_BUDGET/);
  assert.throws(() => parseTargetConfig(withParameters({ searchTimeBudget: 'yes' }), repo), /parameters\.searchTimeBudget: must be boolean/);
});

test('the raw config is not changed by the checks', () => {
  const raw = withParameters({ frozen: ['A'] });
  parseTargetConfig(raw, repoOf({ 'train.py': TRAIN }));
  assert.deepEqual(raw.parameters, { file: 'train.py', frozen: ['A'] });
});

test('the time budget constants are the numeric ones named like TIME_BUDGET', () => {
  const params = parseParams('TIME_BUDGET = 300\ntime_budget_s = 5\nTIME_BUDGET_UNIT = "s"\nBUDGET = 3\n', { names: ['time_budget_s'] });
  assert.deepEqual(timeBudgetParams(params).map((p) => p.name), ['TIME_BUDGET', 'time_budget_s']);
});
