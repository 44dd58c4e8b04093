import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ParamValue } from '../../src/shared/trace/candidate';
import { HeuristicProposer, rankMoves, seededRandom } from '../../src/core/proposers/heuristicProposer';
import { jointMoves } from '../../src/core/proposers/jointMoves';
import { neighbours, numberSteps, patternVariants } from '../../src/core/proposers/paramMoves';
import type { HistoryEntry, ParamView, ProposalContext } from '../../src/core/proposers/proposer';

const p = (name: string, value: ParamValue, kind: ParamView['kind'], extra: Partial<ParamView> = {}): ParamView => ({ name, value, text: String(value), kind, frozen: false, ...extra });

function ctx(params: ParamView[], history: HistoryEntry[] = [], evaluated: Record<string, ParamValue>[] = [], n = history.length + 1): ProposalContext {
  return {
    n, metricName: 'val_bpb', goal: 'minimize', timeBudgetSeconds: 10, params, editableFiles: [], history,
    best: { metric: 1, n: 0 }, incumbent: { metric: 1, n: 0 }, guidance: [], focus: [], evaluated: [Object.fromEntries(params.map((x) => [x.name, x.value])), ...evaluated],
  };
}
const entry = (n: number, before: Record<string, ParamValue>, changed: Record<string, ParamValue>, status: HistoryEntry['status']): HistoryEntry => ({ n, description: '', changed, before, status, metric: 1, delta: 0 });

test('bounds from meaning: a ratio stays in [0, 1], a power of two stays one, a learning rate moves by factors', () => {
  for (const scale of [1, 2, 3]) {
    for (const v of [0, 0.05, 0.5, 0.9, 1]) {
      for (const s of numberSteps('WARMDOWN_RATIO', v, 'float', scale)) assert.ok(s.to >= 0 && s.to <= 1, `WARMDOWN_RATIO ${v} -> ${s.to}`);
    }
  }
  assert.deepEqual(numberSteps('WARMDOWN_RATIO', 0.5, 'float', 1).map((s) => s.to), [1, 0.25]);
  assert.deepEqual(numberSteps('WARMDOWN_RATIO', 0.5, 'float', 2).map((s) => s.to), [1, 0.125], 'clamped at 1, never past it');
  assert.deepEqual(numberSteps('FINAL_LR_FRAC', 0.95, 'float', 1).map((s) => s.to), [0.975, 0.9], 'near 1 it moves on 1 - v');
  assert.deepEqual(numberSteps('ASPECT_RATIO', 64, 'int', 1).map((s) => s.to), [128, 32], 'ASPECT_RATIO = 64 is no fraction');
  const batch = numberSteps('TOTAL_BATCH_SIZE', 2 ** 19, 'int', 3).map((s) => s.to);
  assert.deepEqual(batch, [2 ** 22, 2 ** 16]);
  for (const scale of [1, 2, 3]) for (const s of numberSteps('DEVICE_BATCH_SIZE', 4, 'int', scale)) assert.equal(Math.log2(s.to) % 1, 0, `power of two: ${s.to}`);
  assert.deepEqual(numberSteps('MATRIX_LR', 0.04, 'float', 1).map((s) => s.to), [0.08, 0.02]);
});

test('pattern strings vary by their own characters; tuples move one element at a time', () => {
  const variants = patternVariants('SSSL');
  for (const v of ['SSSS', 'LLLL', 'LSSL', 'SLSL', 'SSLL']) assert.ok(variants.includes(v), v);
  assert.ok(!variants.includes('SSSL'));
  assert.ok(variants.every((v) => /^[SL]{4}$/.test(v)));
  assert.deepEqual(patternVariants('SSSS'), [], 'one character says nothing about the others');
  assert.deepEqual(patternVariants('gelu'), [], 'free text is not guessed at');
  const moves = neighbours(p('ADAM_BETAS', [0.8, 0.95], 'tuple'));
  assert.deepEqual(new Set(moves.map((m) => m.axis)), new Set(['ADAM_BETAS[0]', 'ADAM_BETAS[1]']));
  for (const m of moves) for (const x of m.to as number[]) assert.ok(x > 0 && x < 1, `betas stay in (0, 1): ${JSON.stringify(m.to)}`);
});

test('coverage: with every move discarded, each parameter is tried once before any is tried again', async () => {
  const names = 'ABCDEFGHIJKLMNOP'.split('');
  const params = names.map((n) => p(n, 8, 'int'));
  const proposer = new HeuristicProposer(3);
  const history: HistoryEntry[] = [];
  const evaluated: Record<string, ParamValue>[] = [];
  const touched: string[] = [];
  for (let n = 1; n <= 32; n++) {
    const c = await proposer.propose(ctx(params, history, evaluated, n));
    const [name] = Object.keys(c.params!);
    touched.push(name);
    history.push(entry(n, { [name]: 8 }, c.params!, 'discard'));
    evaluated.push({ ...Object.fromEntries(params.map((x) => [x.name, x.value])), ...c.params });
  }
  assert.equal(new Set(touched.slice(0, 16)).size, 16, `first 16: ${touched.slice(0, 16).join('')}`);
  assert.equal(new Set(touched.slice(16)).size, 16, 'then the other direction of each');
});

test('no oscillation: once both directions of a parameter failed, every other move comes first', () => {
  const params = [p('A', 8, 'int'), p('B', 8, 'int'), p('C', true, 'bool')];
  const history = [
    entry(1, { A: 8 }, { A: 16 }, 'discard'), entry(2, { A: 8 }, { A: 4 }, 'discard'),
    entry(3, { B: 8 }, { B: 16 }, 'discard'), entry(4, { B: 8 }, { B: 4 }, 'discard'),
    entry(5, { A: 8 }, { A: 16 }, 'crash'),
  ];
  // From a new incumbent (the evaluated set no longer covers A=16), A up failed before and is not retried early.
  const moves = rankMoves(ctx(params, history, []), seededRandom(1));
  assert.deepEqual([moves[0].name, moves[0].to], ['C', false]);
  const firstA = moves.findIndex((m) => m.name === 'A');
  const lastSmallB = moves.map((m) => m.name === 'B' && m.scale === 1).lastIndexOf(true);
  assert.ok(firstA > 0 && lastSmallB > 0);
});

test('joint moves: batch with the learning rates by the square-root rule, depth with the device batch; after the batch alone failed, the joint move is next', () => {
  const params = [p('TOTAL_BATCH_SIZE', 2 ** 19, 'int'), p('MATRIX_LR', 0.04, 'float'), p('EMBEDDING_LR', 0.6, 'float'), p('DEPTH', 8, 'int'), p('DEVICE_BATCH_SIZE', 128, 'int'), p('WEIGHT_DECAY', 0.2, 'float'), p('FINAL_LR_FRAC', 0, 'float'), p('WARMUP_LR', 0, 'float')];
  const joint = jointMoves(params);
  const down = joint.find((m) => m.name === 'TOTAL_BATCH_SIZE' && m.direction === -1)!;
  assert.deepEqual(down.params, { TOTAL_BATCH_SIZE: 2 ** 17, MATRIX_LR: 0.02, EMBEDDING_LR: 0.3, DEVICE_BATCH_SIZE: 32 }, 'the device batch follows, so the accumulation steps stay; FINAL_LR_FRAC is no learning rate; an LR at 0 is left alone');
  const deeper = joint.find((m) => m.name === 'DEPTH' && m.direction === 1)!;
  assert.deepEqual(deeper.params, { DEPTH: 16, DEVICE_BATCH_SIZE: 64 });
  const history = [entry(1, { TOTAL_BATCH_SIZE: 2 ** 19 }, { TOTAL_BATCH_SIZE: 2 ** 18 }, 'discard')];
  const [first] = rankMoves(ctx(params, history, [{ ...Object.fromEntries(params.map((x) => [x.name, x.value])), TOTAL_BATCH_SIZE: 2 ** 18 }]), seededRandom(2));
  assert.deepEqual(first.params, down.params);
});

test('after a veto the proposer gives its next-ranked candidate, never the same one', async () => {
  const params = [p('A', 8, 'int'), p('B', 8, 'int'), p('C', 8, 'int')];
  const proposer = new HeuristicProposer(5);
  const seen: string[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const c = await proposer.propose(ctx(params, [], [], 4));
    const key = JSON.stringify(c.params);
    assert.ok(!seen.includes(key), `attempt ${attempt + 1} repeats ${key}`);
    seen.push(key);
  }
  // The next iteration, same incumbent: the two vetoed moves stay skipped (the third was not vetoed).
  const next = await proposer.propose(ctx(params, [], [], 5));
  assert.ok(!seen.slice(0, 2).includes(JSON.stringify(next.params)), JSON.stringify(next.params));
});

test('coverage is remembered beyond the context\'s history window', async () => {
  const params = [p('A', 8, 'int'), p('B', 8, 'int')];
  const proposer = new HeuristicProposer(1);
  const old = [entry(1, { A: 8 }, { A: 16 }, 'discard'), entry(2, { A: 8 }, { A: 4 }, 'discard')];
  await proposer.propose(ctx(params, old, [], 3));
  // The window now shows neither; A's failures are still known, so B comes first.
  const c = await proposer.propose(ctx(params, [], [{ A: 16, B: 8 }, { A: 4, B: 8 }], 4));
  assert.equal(Object.keys(c.params!)[0], 'B');
});
