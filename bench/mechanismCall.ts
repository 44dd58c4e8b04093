/**
 * The mechanism sandbox's costs: starting one (spawn a permission-model node process, evaluate the
 * module) and one hook call's round trip (context serialised, sent over stdio, run in the vm context,
 * result checked), for a tiny context and for a full one (200 history entries, as late in a run).
 *
 *   node --import tsx bench/mechanismCall.ts [--calls 500] [--starts 20]
 */
import { parseArgs } from 'node:util';
import { libraryMechanism } from '../src/core/mechanisms/library';
import { HISTORY_LIMIT, type ContextWithoutState, type HistoryEntry, type MechanismResult } from '../src/core/mechanisms/mechanism';
import { MechanismSandbox } from '../src/core/mechanisms/mechanismSandbox';

const round = (x: number) => Math.round(x * 100) / 100;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

const summary = (xs: number[]) => ({ n: xs.length, median: round(quantile(xs, 0.5)), p95: round(quantile(xs, 0.95)), max: round(quantile(xs, 1)) });

function context(history: number): ContextWithoutState {
  const names = Array.from({ length: 12 }, (_, i) => `P${i}`);
  const h: HistoryEntry[] = Array.from({ length: history }, (_, i) => ({
    n: i + 1,
    status: i % 5 === 0 ? 'keep' : 'discard',
    metric: 1 + (i % 7) / 1000,
    delta: ((i % 7) - 3) / 1000,
    changed: { [names[i % names.length]]: { from: 2 ** (i % 6), to: 2 ** ((i % 6) + 1) } },
    description: `${names[i % names.length]} ${2 ** (i % 6)} -> ${2 ** ((i % 6) + 1)}`,
  }));
  return {
    iteration: history + 1,
    metric: 'val_bpb',
    goal: 'minimize',
    best: { n: 0, metric: 1 },
    incumbent: { n: 0, metric: 1 },
    noise: { floor: null, samples: 0 },
    params: names.map((name, i) => ({ name, value: 2 ** (i % 6), kind: 'int' as const, frozen: false })),
    frozen: [],
    focus: [],
    history: h,
  };
}

export async function mechanismCallBench(opts: { calls: number; starts: number }) {
  const tabu = libraryMechanism('tabu-search').source;
  const startMs: number[] = [];
  for (let i = 0; i < opts.starts; i++) {
    const t0 = performance.now();
    const box = await MechanismSandbox.start({ name: 'bench', source: tabu });
    startMs.push(performance.now() - t0);
    if (box.failure) throw new Error(box.failure.detail);
    await box.close();
  }

  const calls = async (ctx: ContextWithoutState) => {
    const box = await MechanismSandbox.start({ name: 'bench', source: tabu });
    const ms: number[] = [];
    try {
      for (let i = 0; i < opts.calls; i++) {
        const result: MechanismResult = { n: i, status: 'discard', metric: 1.01, delta: 0.01, changed: { P1: { from: 2, to: 2 + (i % 50) } }, description: 'd' };
        const hook = i % 2 ? 'afterResult' : 'reviewCandidate';
        const r =
          hook === 'afterResult'
            ? await box.call('afterResult', ctx, result)
            : await box.call('reviewCandidate', ctx, { description: 'c', hypothesis: 'h', params: { P2: 8 }, changed: { P2: { from: 4, to: 8 } } });
        if (!r.ok) throw new Error(`${hook}: ${r.failure}: ${r.detail}`);
        ms.push(r.ms);
      }
    } finally {
      await box.close();
    }
    return { ms, bytes: JSON.stringify(ctx).length };
  };
  const small = await calls(context(0));
  const full = await calls(context(HISTORY_LIMIT));
  return {
    mechanism: 'tabu-search (reviewCandidate and afterResult alternating, state of up to 40 moves)',
    startMs: summary(startMs),
    callMs: {
      emptyHistory: { contextBytes: small.bytes, ...summary(small.ms) },
      fullHistory: { contextBytes: full.bytes, ...summary(full.ms) },
    },
  };
}

if (require.main === module) {
  const { values } = parseArgs({ options: { calls: { type: 'string' }, starts: { type: 'string' } } });
  void mechanismCallBench({ calls: Number(values.calls ?? 500), starts: Number(values.starts ?? 20) }).then((r) => console.log(JSON.stringify({ node: process.version, ...r }, null, 2)));
}
