import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ParamValue } from '../../src/shared/trace/candidate';
import type { HistoryEntry, ParamView, ProposalContext } from '../../src/core/proposers/proposer';
import { TPE_STARTUP, TpeProposer } from '../../src/core/proposers/tpeProposer';
import { decode, encode, searchDims } from '../../src/core/proposers/searchSpace';

const p = (name: string, value: ParamValue, kind: ParamView['kind']): ParamView => ({ name, value, text: String(value), kind, frozen: false });
/** A closed form: best at LR 0.01 and BATCH 16. */
const f = (c: Record<string, ParamValue>) => Math.log2((c.LR as number) / 0.01) ** 2 + Math.log2((c.BATCH as number) / 16) ** 2 + (c.BIAS ? 0 : 0.5);

async function search(seed: number, n: number) {
  let inc: Record<string, ParamValue> = { LR: 0.04, BATCH: 64, BIAS: false };
  let incMetric = f(inc);
  const history: HistoryEntry[] = [];
  const evaluated = [{ ...inc }];
  const proposer = new TpeProposer(seed);
  const proposals: string[] = [];
  for (let i = 1; i <= n; i++) {
    const ctx: ProposalContext = {
      n: i, metricName: 'val_bpb', goal: 'minimize', timeBudgetSeconds: 10, editableFiles: [], guidance: [], focus: [], evaluated,
      params: [p('LR', inc.LR, 'float'), p('BATCH', inc.BATCH, 'int'), p('BIAS', inc.BIAS, 'bool')],
      history: history.slice(-20), best: { metric: incMetric, n: 0 }, incumbent: { metric: incMetric, n: history.filter((h) => h.status === 'keep').at(-1)?.n ?? 0 },
    };
    const c = await proposer.propose(ctx);
    proposals.push(c.description);
    const config = { ...inc, ...c.params };
    assert.ok(!evaluated.some((e) => JSON.stringify(e) === JSON.stringify(config)), `#${i} repeats ${JSON.stringify(config)}`);
    evaluated.push(config);
    const m = f(config);
    const keep = m < incMetric;
    history.push({ n: i, description: c.description, changed: c.params!, before: Object.fromEntries(Object.keys(c.params!).map((k) => [k, inc[k]])), status: keep ? 'keep' : 'discard', metric: m, delta: m - incMetric });
    if (keep) [inc, incMetric] = [config, m];
  }
  return { best: incMetric, proposals };
}

test('the tpe proposer: the heuristic\'s coverage first, then the model; never an evaluated configuration; finds the optimum; reproducible', async () => {
  const a = await search(1, 20);
  assert.ok(a.proposals.slice(0, TPE_STARTUP - 1).every((d) => !d.startsWith('model')), 'start-up moves are the heuristic\'s');
  assert.ok(a.proposals.some((d) => d.startsWith('model (TPE)')), 'then the model proposes');
  assert.equal(a.best, 0, `reached LR 0.01, BATCH 16, BIAS true: ${a.proposals.join(' | ')}`);
  assert.deepEqual((await search(1, 20)).proposals, a.proposals);
});

test('the search space encodes and decodes configurations, tuple elements included', () => {
  const params = [p('LR', 0.04, 'float'), p('BETAS', [0.8, 0.95], 'tuple'), p('PATTERN', 'SSSL', 'string')];
  const dims = searchDims(params);
  const config = { LR: 0.08, BETAS: [0.9, 0.95], PATTERN: 'SSSS' };
  const x = encode(dims, config)!;
  assert.deepEqual(decode(dims, x, { LR: 0.04, BETAS: [0.8, 0.95], PATTERN: 'SSSL' }), config);
  assert.equal(encode(dims, { ...config, LR: 0.05 }), null, 'a value off the lattice');
});
