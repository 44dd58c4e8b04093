import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { redactText, Secrets } from '../../src/core/secrets/secrets';

const KEY = 'sk-test-0123456789abcdef';

test('redactText replaces every occurrence, the longer of two overlapping secrets whole', () => {
  assert.equal(redactText(`a ${KEY} b ${KEY}`, [KEY]), 'a *** b ***');
  assert.equal(redactText(`x ${KEY}-extra y`, [KEY, `${KEY}-extra`]), 'x *** y');
  assert.equal(redactText('nothing here', [KEY]), 'nothing here');
});

test('values too short to be keys are not redacted: they would garble logs and metric lines', () => {
  assert.equal(redactText('val_bpb: 1234', ['1234']), 'val_bpb: 1234');
  assert.equal(new Secrets(['PIN'], ['1234']).redact('pin 1234'), 'pin 1234');
});

test('Secrets.of: the LLM key variable always, the configured ones, their values and extra values', () => {
  const s = Secrets.of(['WANDB_API_KEY'], { OPENAI_API_KEY: KEY, WANDB_API_KEY: 'wandb-0123456789', PATH: '/bin' }, ['from-secret-storage-42', undefined]);
  assert.deepEqual(s.names, ['OPENAI_API_KEY', 'WANDB_API_KEY']);
  assert.equal(s.redact(`${KEY} wandb-0123456789 from-secret-storage-42 /bin`), '*** *** *** /bin');
  assert.deepEqual(s.scrub({ OPENAI_API_KEY: KEY, WANDB_API_KEY: 'w', PATH: '/bin', HOME: '/root' }), { PATH: '/bin', HOME: '/root' });
  assert.deepEqual(Secrets.of([], {}).names, ['OPENAI_API_KEY']);
});

test('redactDeep redacts inside nested strings and JSON-escaped spellings, and returns the same object when clean', () => {
  const s = new Secrets([], [KEY, 'quote"d-secret\\x']);
  const event = { type: 'training.finished', reason: `exit code 1: fatal: ${KEY}`, nested: { list: [`a quote"d-secret\\x b`] } };
  assert.deepEqual(s.redactDeep(event), { type: 'training.finished', reason: 'exit code 1: fatal: ***', nested: { list: ['a *** b'] } });
  const clean = { type: 'x', n: 1 };
  assert.equal(s.redactDeep(clean), clean);
});

test('a logged Secrets shows no value', () => {
  const s = new Secrets(['OPENAI_API_KEY'], [KEY]);
  assert.ok(!inspect(s, { depth: 10 }).includes(KEY) && !JSON.stringify(s).includes(KEY));
});
