import { test } from 'node:test';
import assert from 'node:assert/strict';
import { beyondCircle, circlingAnswer, CIRCLE } from '../../bench/circlingLlm';
import { parseProposal } from '../../src/core/proposers/llmProposer';

test('the circling LLM answers a valid proposal from the same short list, forever', () => {
  const answers = Array.from({ length: 2 * CIRCLE.length }, (_, i) => parseProposal({ text: circlingAnswer(i), finishReason: 'stop' }));
  assert.ok(answers.every((a) => a.ok), 'every answer parses as the llm proposer reads it');
  const params = answers.map((a) => (a.ok ? JSON.stringify(a.value.params) : ''));
  assert.deepEqual(params.slice(CIRCLE.length), params.slice(0, CIRCLE.length), 'it comes round to the same moves');
  assert.ok(!CIRCLE.some((c) => 'TOTAL_BATCH_SIZE' in c), 'the batch, where the big win is, is never proposed');
});

test('beyondCircle: what the best configuration changed that the circle never proposes', () => {
  const base = { MATRIX_LR: 0.04, TOTAL_BATCH_SIZE: 524288, DEPTH: 8 };
  const trial = (params: Record<string, number>, clean: number | null) => ({ params: { ...base, ...params }, metric: clean, clean });
  assert.deepEqual(beyondCircle({ trials: [trial({}, 1), trial({ MATRIX_LR: 0.05 }, 0.99), trial({ TOTAL_BATCH_SIZE: 131072, MATRIX_LR: 0.05 }, 0.97), trial({ DEPTH: 16 }, null)] }), ['TOTAL_BATCH_SIZE']);
  assert.deepEqual(beyondCircle({ trials: [trial({}, 1), trial({ MATRIX_LR: 0.05 }, 0.99)] }), [], 'a best inside the circle');
});
