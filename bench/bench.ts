/**
 * npm run bench -- --part <overhead|remote|scale|search|search-circling|search-tinygpt|duty> [options]
 * Prints each part's figures as JSON and writes them to bench/results/<part>.json, which
 * docs/BENCHMARKS.md quotes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dutyCycleBench } from './dutyCycle';
import { loopOverheadBench } from './loopOverhead';
import { median } from './loopTiming';
import { remoteOverheadBench } from './remoteOverhead';
import { scaleBench } from './scale';
import { METHODS, searchQualityBench, type Method } from './searchQuality';
import { SUITE_METHODS, TARGETS, searchSuiteBench } from './searchSuite';
import { circlingBench } from './circlingLlm';

/** parseArgs options: each of `names` a flag of one type. */
const flags = <const N extends string, T extends 'string' | 'boolean'>(type: T, names: readonly N[]) =>
  Object.fromEntries(names.map((n) => [n, { type }])) as Record<N, { type: T }>;

const { values } = parseArgs({
  options: {
    // `out`: the results file name under bench/results/ (default: the part's name), to keep a variant beside the main figures.
    ...flags('string', ['part', 'iterations', 'experiments', 'runs', 'seeds', 'trials', 'time-budget', 'methods', 'targets', 'reference', 'pairs', 'overlap', 'levels', 'out']),
    ...flags('boolean', ['fresh', 'llm-levels']),
  },
});
const int = (v: string | undefined, fallback: number) => (v === undefined ? fallback : Number.parseInt(v, 10));

/** `10:2,10:8` → [[10, 2], [10, 8]]: (training budget, LLM latency) in seconds. */
const pairs = (v: string) =>
  v.split(',').map((p) => {
    const [budget, latency] = p.split(':').map(Number);
    if (!(budget > 0 && latency >= 0)) throw new Error(`--pairs: expected budget:latency in seconds, e.g. 10:2,10:8; got "${p}"`);
    return [budget, latency] as [number, number];
  });

const overlapModes = (v: string) =>
  v.split(',').map((m) => {
    if (m !== 'on' && m !== 'off') throw new Error(`--overlap: expected on, off or on,off; got "${m}"`);
    return m;
  });

/** A comma-separated list, each item one of `all` (default: all of them). */
function oneOf<T extends string>(v: string | undefined, all: readonly T[], flag: string): T[] {
  const items = v?.split(',') ?? [...all];
  for (const m of items) if (!(all as readonly string[]).includes(m)) throw new Error(`${flag}: unknown ${m} (${all.join(', ')})`);
  return items as T[];
}

const parts: Record<string, () => Promise<unknown>> = {
  duty: () => dutyCycleBench({ pairs: pairs(values.pairs ?? '10:2,10:8'), overlap: overlapModes(values.overlap ?? 'off,on'), iterations: int(values.iterations, 6), levels: values.levels ?? '1', llmLevels: values['llm-levels'] === true }),
  overhead: async () => {
    // Several runs, one after the other: the spread between them is the machine's, not the loop's.
    const runs = [];
    for (let i = 0; i < int(values.runs, 3); i++) runs.push(await loopOverheadBench({ iterations: int(values.iterations, 200), levels: values.levels ?? '1' }));
    const medians = runs.map((r) => r.overheadMs.median);
    return { medianOfRunMedians: median(medians), runs };
  },
  remote: () => remoteOverheadBench({ runs: int(values.runs, 7) }),
  scale: () => scaleBench({ experiments: int(values.experiments, 10_000), runs: int(values.runs, 5), moreIterations: int(values.iterations, 20) }),
  search: () =>
    searchSuiteBench({
      seeds: int(values.seeds, 10),
      trainings: int(values.trials, 30),
      methods: oneOf(values.methods, SUITE_METHODS, '--methods'),
      targets: oneOf(values.targets, TARGETS, '--targets'),
      reference: oneOf(values.reference ?? 'C', SUITE_METHODS, '--reference')[0],
      fresh: values.fresh ?? false,
      // A variant (--out) keeps its runs and plot apart from the main figures.
      variant: values.out,
      log: (line) => console.error(line),
    }),
  // With an LLM proposer that circles (a scripted server): group A against group C.
  'search-circling': () =>
    circlingBench({ seeds: int(values.seeds, 10), trainings: int(values.trials, 30), targets: oneOf(values.targets ?? 'smooth', TARGETS, '--targets'), log: (line) => console.error(line) }),
  // The earlier part 3: tiny-gpt trained for real (minutes per run), random search and TPE against groups A and C.
  'search-tinygpt': () =>
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
  writeFileSync(join(out, `${values.out ?? part}.json`), json + '\n');
  console.log(json);
}

void main();
