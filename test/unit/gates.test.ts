import { test } from 'node:test';
import assert from 'node:assert/strict';
import { duplicateRejection, firstRejection, GATES, mechanismFreeze, strategyFreeze, validation, vetoRejection, type GateInput } from '../../src/core/innerLoop/gates';

const input = (over: Partial<GateInput> = {}): GateInput => ({
  candidate: { description: 'raise A', hypothesis: 'h', params: { A: 2 } },
  strategyFrozen: [],
  configFrozen: [],
  strategyCycle: 1,
  mechanismFrozen: [],
  validation: [],
  ...over,
});

test('a candidate that passes every gate goes on', () => {
  assert.equal(firstRejection(input()), null);
});

test('the strategy gate names what the review froze, in its cycle; config-frozen names are left to validation', () => {
  assert.deepEqual(strategyFreeze(input({ strategyFrozen: ['A'], strategyCycle: 2 })), {
    by: 'strategy',
    reason: 'A is frozen by the strategy review (cycle 2): tried without gain since the best last moved',
  });
  const both = input({ candidate: { description: 'd', hypothesis: '', params: { A: 1, B: 2 } }, strategyFrozen: ['A', 'B'] });
  assert.match(strategyFreeze(both)!.reason, /^A, B are frozen/);
  assert.equal(strategyFreeze(input({ strategyFrozen: ['A'], configFrozen: ['A'] })), null);
  assert.equal(strategyFreeze(input({ strategyFrozen: ['B'] })), null);
});

test('the mechanism gate names each mechanism that froze a touched parameter', () => {
  const r = mechanismFreeze(input({ mechanismFrozen: [{ name: 'A', by: 'tabu' }, { name: 'C', by: 'other' }] }));
  assert.deepEqual(r, { by: 'mechanism', reason: 'A is frozen by the mechanism tabu for this iteration' });
});

test('validation joins its reasons', () => {
  assert.deepEqual(validation(input({ validation: ['unknown parameter Z', 'missing description'] })), { by: 'validation', reason: 'unknown parameter Z; missing description' });
});

test('the first gate in order decides: strategy before mechanism before validation', () => {
  assert.deepEqual(GATES, [strategyFreeze, mechanismFreeze, validation]);
  const all = input({ strategyFrozen: ['A'], mechanismFrozen: [{ name: 'A', by: 'm' }], validation: ['bad'] });
  assert.equal(firstRejection(all)!.by, 'strategy');
  assert.equal(firstRejection({ ...all, strategyFrozen: [] })!.by, 'mechanism');
  assert.equal(firstRejection({ ...all, strategyFrozen: [], mechanismFrozen: [] })!.by, 'validation');
});

test('a veto is a mechanism rejection with its name', () => {
  assert.deepEqual(vetoRejection({ name: 'tabu', reason: 'tried before' }), { by: 'mechanism', reason: 'tabu: tried before' });
  assert.equal(vetoRejection(null), null);
});

test('duplicates: a twin in flight is rejected; an evaluated tree is a cache hit unless a mechanism proposed it', () => {
  assert.deepEqual(duplicateRejection({ twin: 4 }, undefined), { by: 'validation', reason: 'identical to #4, which is training now' });
  assert.deepEqual(duplicateRejection({ sameAs: 2, twin: 4 }, 'tabu'), { by: 'validation', reason: 'identical to #4, which is training now' });
  assert.deepEqual(duplicateRejection({ sameAs: 2 }, 'tabu'), { by: 'mechanism', reason: 'tabu proposed a configuration already evaluated as #2' });
  assert.equal(duplicateRejection({ sameAs: 2 }, undefined), null, 'the proposer’s repeat is a cache hit, not a rejection');
  assert.equal(duplicateRejection({}, 'tabu'), null);
});
