import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractJson, parseStructured, StructuredOutputError } from '../../src/core/llm/structuredOutput';
import { candidateFromShape, validateCandidateShape } from '../../src/core/llm/prompts/proposalPrompt';

const answer = { description: 'double LR', hypothesis: 'faster', params: { LR: 0.002 } };
const json = JSON.stringify(answer);

test('bare JSON', () => {
  assert.deepEqual(extractJson(json), answer);
  assert.deepEqual(extractJson(`\n  ${JSON.stringify(answer, null, 2)}\n`), answer);
});

test('JSON in a ```json fence, with text around it', () => {
  assert.deepEqual(extractJson('Here is my proposal:\n```json\n' + json + '\n```\nGood luck!'), answer);
  assert.deepEqual(extractJson('```\n' + json + '\n```'), answer);
});

test('reasoning text before and after the JSON, braces in prose and code are skipped', () => {
  const text = `The loss {plateaus} early, so a set {a, b} of changes... In Python: d = {'a': 1}.\n${json}\nThat should do it {I think}.`;
  assert.deepEqual(extractJson(text), answer);
});

test('braces and quotes inside strings do not confuse the scan', () => {
  const tricky = { description: 'use f"{x}" and "}" in code', hypothesis: 'a \\" b {', edits: [{ file: 'train.py', search: 'x = {"a": 1}', replace: 'x = {"a": 2}\n' }] };
  assert.deepEqual(extractJson(`ok: ${JSON.stringify(tricky)}`), tricky);
});

test('<think> blocks are dropped, also when the opening tag was in the prompt', () => {
  assert.deepEqual(extractJson(`<think>Maybe {"description": "draft", "hypothesis": ""} ... no.</think>\n${json}`), answer);
  assert.deepEqual(extractJson(`I consider {"description": "draft"}</think>${json}`), answer);
  assert.throws(() => extractJson(`<think>let me think about {"description": "x"`), /unclosed <think>/);
});

test('the last complete top-level object wins, not an object nested in it', () => {
  const draft = { description: 'draft', hypothesis: '', params: { A: 1 } };
  assert.deepEqual(extractJson(`First idea: ${JSON.stringify(draft)}\nBetter:\n${json}`), answer);
  assert.deepEqual(extractJson(`{"description": "x", "hypothesis": "y", "params": {"B": 2}}`), { description: 'x', hypothesis: 'y', params: { B: 2 } });
});

test('truncated JSON is reported as such, even after an earlier complete draft', () => {
  const cut = json.slice(0, -10);
  assert.throws(() => extractJson(cut), (e: unknown) => e instanceof StructuredOutputError && /^truncated JSON: unbalanced braces/.test(e.message));
  assert.throws(() => extractJson(`draft: {"description": "d", "hypothesis": "h"}\nfinal: ${cut}`), /truncated JSON/);
});

test('no JSON, empty answer, and broken JSON have precise messages', () => {
  assert.throws(() => extractJson('I would lower the learning rate.'), (e: unknown) => e instanceof StructuredOutputError && e.message === 'no JSON object found');
  assert.throws(() => extractJson('   '), /the answer is empty/);
  assert.throws(() => extractJson('{"description": "x", "params": {"A": 1},}'), /invalid JSON in the object starting at character 0/);
  assert.throws(() => extractJson('[1, 2, 3]'), /no JSON object found/);
});

test('an object nested in a broken answer is not taken for the answer', () => {
  assert.throws(() => extractJson('{"description": "x", "params": {"LR": 0.1}, oops}'), /invalid JSON/);
});

test('parseStructured: extraction errors and shape errors', () => {
  assert.deepEqual(parseStructured(json, validateCandidateShape), { ok: true, value: answer });
  assert.deepEqual(parseStructured('nothing', validateCandidateShape), { ok: false, error: 'no JSON object found' });
  const wrong = parseStructured('{"description": "x", "hypothesis": "y", "params": "LR=0.1"}', validateCandidateShape);
  assert.deepEqual(wrong, { ok: false, error: 'params must be an object (got string)' });
});

test('validateCandidateShape names each bad field', () => {
  assert.deepEqual(validateCandidateShape([]), ['the answer must be a JSON object (got array)']);
  assert.deepEqual(validateCandidateShape({ hypothesis: 'h', params: { A: 1 } }), ['the answer is missing "description"']);
  assert.deepEqual(validateCandidateShape({ description: '  ', params: { A: 1 } }), ['description must not be empty']);
  assert.deepEqual(validateCandidateShape({ description: 'd', hypothesis: 3, params: { A: 1 } }), ['hypothesis must be a string (got number)']);
  assert.deepEqual(validateCandidateShape({ description: 'd', params: { A: { x: 1 } } }), ['params.A must be a number, string, boolean, null or array (got object)']);
  assert.deepEqual(validateCandidateShape({ description: 'd', edits: [{ file: 'train.py', search: 'a' }] }), ['edits[0] is missing "replace"']);
  assert.deepEqual(validateCandidateShape({ description: 'd', edits: [{ file: 'train.py', search: '', replace: 'b' }] }), ['edits[0].search must not be empty']);
  assert.deepEqual(validateCandidateShape({ description: 'd', edits: 'replace x' }), ['edits must be an array (got string)']);
  assert.deepEqual(validateCandidateShape({ description: 'd', params: {}, edits: [] }), ['the answer changes nothing: give at least one entry in "params" or "edits"']);
  assert.deepEqual(validateCandidateShape({ description: 'd', hypothesis: 'h', params: { BETAS: [0.9, 0.95], ACT: 'gelu', X: null, T: true } }), []);
});

test('extra keys are tolerated and dropped; nulls stand for omitted fields', () => {
  const v = { reasoning: 'long thoughts', description: 'try\n  GELU', params: null, edits: [{ file: 'train.py', search: 'relu', replace: 'gelu', why: 'smoother' }] };
  assert.deepEqual(validateCandidateShape(v), []);
  assert.deepEqual(candidateFromShape(v), { description: 'try GELU', hypothesis: '', edits: [{ file: 'train.py', search: 'relu', replace: 'gelu' }] });
});
