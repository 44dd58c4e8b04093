/**
 * npm run bench -- --part <overhead|scale|search|duty> [options]
 * Prints each part's figures as JSON and writes them to bench/results/<part>.json, which
 * docs/BENCHMARKS.md quotes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loopOverheadBench } from './loopOverhead';
import { scaleBench } from './scale';
import { METHODS, searchQualityBench, type Method } from './searchQuality';

const { values } = parseArgs({
  options: {
    part: { type: 'string' },
    iterations: { type: 'string' },
    experiments: { type: 'string' },
    runs: { type: 'string' },
    seeds: { type: 'string' },
    trials: { type: 'string' },
    'time-budget': { type: 'string' },
    methods: { type: 'string' },
    fresh: { type: 'boolean' },
  },
});
const int = (v: string | undefined, fallback: number) => (v === undefined ? fallback : Number.parseInt(v, 10));

const parts: Record<string, () => Promise<unknown>> = {
  overhead: () => loopOverheadBench({ iterations: int(values.iterations, 200) }),
  scale: () => scaleBench({ experiments: int(values.experiments, 10_000), runs: int(values.runs, 5), moreIterations: int(values.iterations, 20) }),
  search: () =>
    searchQualityBench({
      seeds: int(values.seeds, 5),
      trials: int(values.trials, 12),
      timeBudget: int(values['time-budget'], 5),
      methods: (values.methods?.split(',') ?? [...METHODS]).map((m) => {
        if (!(METHODS as readonly string[]).includes(m)) throw new Error(`--methods: unknown method ${m} (${METHODS.join(', ')})`);
        return m as Method;
      }),
      fresh: values.fresh ?? false,
      log: (line) => console.error(line),
    }),
};

async function main() {
  const part = values.part ?? '';
  const bench = parts[part];
  if (!bench) {
    console.error(`bench: --part must be one of ${Object.keys(parts).join(', ')}`);
    process.exit(2);
  }
  const result = await bench();
  const out = join(__dirname, 'results');
  mkdirSync(out, { recursive: true });
  const json = JSON.stringify({ part, at: new Date().toISOString(), ...(result as object) }, null, 2);
  writeFileSync(join(out, `${part}.json`), json + '\n');
  console.log(json);
}

void main();
