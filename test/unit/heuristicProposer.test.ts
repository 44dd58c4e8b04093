import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ParamValue } from '../../src/shared/trace/candidate';
import { HeuristicProposer, neighbours, rankMoves, seededRandom } from '../../src/core/proposers/heuristicProposer';
import type { HistoryEntry, ParamView, ProposalContext } from '../../src/core/proposers/proposer';

const p = (name: string, value: ParamValue, kind: ParamView['kind'], extra: Partial<ParamView> = {}): ParamView => ({ name, value, text: String(value), kind, frozen: false, ...extra });

function ctx(params: ParamView[], history: HistoryEntry[] = [], evaluated: Record<string, ParamValue>[] = []): ProposalContext {
  return {
    n: history.length + 1, metricName: 'val_bpb', goal: 'minimize', timeBudgetSeconds: 10, params, editableFiles: [], history,
    best: { metric: 1, n: 0 }, incumbent: { metric: 1, n: 0 }, guidance: [], focus: [], evaluated: [Object.fromEntries(params.map((x) => [x.name, x.value])), ...evaluated],
  };
}

test('neighbours fit the kind of value', () => {
  assert.deepEqual(neighbours(p('BATCH', 32, 'int')).map((m) => m.to), [64, 16]);
  assert.deepEqual(neighbours(p('BATCH', 32, 'int'), 2).map((m) => m.to), [128, 8]);
  assert.deepEqual(neighbours(p('ACT', 'gelu', 'string', { choices: ['gelu', 'relu', 'silu'] }), 2).map((m) => m.to), ['silu']);
  assert.deepEqual(neighbours(p('DEPTH', 3, 'int')).map((m) => m.to), [6, 1]);
  assert.deepEqual(neighbours(p('LR', 0.003, 'float')).map((m) => m.to), [0.006, 0.0015]);
  assert.deepEqual(neighbours(p('DROPOUT', 0, 'float')).map((m) => m.to), [0.1]);
  assert.deepEqual(neighbours(p('TIE', true, 'bool')).map((m) => m.to), [false]);
  assert.deepEqual(neighbours(p('ACT', 'relu', 'string', { choices: ['gelu', 'relu', 'silu'] })).map((m) => m.to), ['gelu', 'silu']);
  assert.deepEqual(neighbours(p('NAME', 'x', 'string')), [], 'a free string without choices is not guessed at');
  assert.deepEqual(neighbours(p('BETAS', [0.9, 0.95], 'tuple')).map((m) => [m.axis, m.to]), [
    ['BETAS[0]', [0.95, 0.95]], ['BETAS[0]', [0.8, 0.95]], ['BETAS[1]', [0.9, 0.975]], ['BETAS[1]', [0.9, 0.9]],
  ], 'a numeric tuple moves one element at a time, each within its bounds');
});

test('frozen parameters and evaluated configurations are never proposed', () => {
  const params = [p('A', 4, 'int', { frozen: true }), p('B', 8, 'int')];
  const moves = rankMoves(ctx(params, [], [{ A: 4, B: 16 }]), seededRandom(1));
  assert.ok(moves.every((m) => m.name === 'B'), 'nothing on the frozen A');
  assert.ok(!moves.some((m) => m.to === 16), 'the evaluated B=16 is not proposed again');
  assert.deepEqual([moves[0].name, moves[0].to], ['B', 4], 'the untried small step comes before larger steps');
});

test('after a failed move up, untried parameters come first, then the opposite direction', () => {
  const params = [p('A', 8, 'int'), p('B', 8, 'int')];
  const history: HistoryEntry[] = [
    { n: 1, description: '', changed: { A: 16 }, before: { A: 8 }, status: 'discard', metric: 1.1, delta: 0.1 },
  ];
  const moves = rankMoves(ctx(params, history, [{ A: 16, B: 8 }]), seededRandom(3));
  assert.deepEqual(moves.slice(0, 3).map((m) => [m.name, m.to]).sort(), [['A', 4], ['B', 16], ['B', 4]].sort());
  assert.deepEqual([moves[2].name, moves[2].to], ['A', 4], 'the opposite of the failed move does not outrank a parameter never tried');
});

test('a move that paid off is repeated in the same direction', () => {
  const params = [p('A', 4, 'int'), p('B', 8, 'int'), p('C', 8, 'int')];
  const history: HistoryEntry[] = [
    { n: 1, description: '', changed: { A: 4 }, before: { A: 8 }, status: 'keep', metric: 0.9, delta: -0.1 },
  ];
  const [first] = rankMoves(ctx(params, history, [{ A: 8, B: 8, C: 8 }]), seededRandom(5));
  assert.deepEqual([first.name, first.to], ['A', 2]);
});

test('the proposer never repeats itself over a whole neighbourhood, small steps first, then says it is exhausted', async () => {
  const params = [p('A', 8, 'int'), p('B', true, 'bool')];
  const proposer = new HeuristicProposer(7);
  const seen: Record<string, ParamValue>[] = [];
  const steps: number[] = [];
  for (let i = 0; i < 7; i++) {
    const c = await proposer.propose(ctx(params, [], seen));
    const cfg = { A: 8, B: true, ...c.params };
    assert.ok(!seen.some((s) => JSON.stringify(s) === JSON.stringify(cfg)), `proposal ${i} repeats ${JSON.stringify(cfg)}`);
    assert.equal(Object.keys(c.params!).length, 1, 'one parameter at a time');
    assert.ok(c.description.length > 0 && c.hypothesis.length > 0);
    seen.push(cfg);
    if (c.params!.A !== undefined) steps.push(Math.abs(Math.log2((c.params!.A as number) / 8)));
  }
  assert.deepEqual(steps, [...steps].sort(), 'step sizes grow only as smaller ones are used up');
  assert.deepEqual([...new Set(steps)], [1, 2, 3]);
  await assert.rejects(proposer.propose(ctx(params, [], seen)), /every single-parameter neighbour/);
});

test('the same seed gives the same proposals', async () => {
  const params = [p('A', 8, 'int'), p('B', 8, 'int'), p('C', 0.1, 'float')];
  const a = await new HeuristicProposer(11).propose(ctx(params));
  const b = await new HeuristicProposer(11).propose(ctx(params));
  assert.deepEqual(a, b);
});

test('parameters in focus come first', () => {
  const base = ctx([p('A', 4, 'int'), p('B', 8, 'int'), p('C', 2, 'int')]);
  const first = rankMoves(base, seededRandom(1))[0].name;
  const other = ['A', 'B', 'C'].find((n) => n !== first)!;
  assert.equal(rankMoves({ ...base, focus: [other] }, seededRandom(1))[0].name, other);
});
