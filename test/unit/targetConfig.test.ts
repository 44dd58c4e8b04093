import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTargetConfig } from '../../src/core/target/targetConfig';

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
