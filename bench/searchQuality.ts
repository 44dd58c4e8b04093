/**
 * Part 3, search quality: the same trials per method, several seeds, the same start (tiny-gpt's
 * defaults) and the same search space (bench/searchSpace.json), on examples/tiny-gpt with a short
 * TIME_BUDGET. Methods: random search and Optuna TPE (bench/search/hpo.py), this project's heuristic
 * proposer alone (group A, `--levels 1`) and offline levels 1 + 1.5 + 2 (group C, `--levels 1,1.5,2`).
 *
 * Each (method, seed) run is appended to bench/results/search-runs.jsonl as it finishes, so an
 * interrupted benchmark resumes where it stopped (`--fresh` starts over).
 */
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { ParamValue } from '../src/shared/trace/candidate';
import type { RunEvent } from '../src/shared/trace/events';
import { deriveRunState } from '../src/shared/trace/runState';
import { readTrace } from '../src/core/store/traceStore';
import { round } from './loopTiming';

const ROOT = resolve(__dirname, '..');
const SPACE_PATH = join(__dirname, 'searchSpace.json');
const PYTHON = '/usr/bin/python3';

export const METHODS = ['random', 'tpe', 'heuristic', 'heuristic-sequential', 'levels'] as const;
export type Method = (typeof METHODS)[number];

export const METHOD_LABELS: Record<Method, string> = {
  random: 'random search',
  tpe: 'Optuna TPE',
  heuristic: 'group A: heuristic (level 1)',
  'heuristic-sequential': 'group A, --no-overlap',
  levels: 'group C: levels 1 + 1.5 + 2, offline',
};

export interface Trial {
  metric: number | null;
  params?: Record<string, ParamValue>;
}

export interface MethodRun {
  method: Method;
  seed: number;
  timeBudget: number;
  /** Trials asked for after the baseline; a run that stopped early has fewer. */
  requested: number;
  trials: Trial[];
  wallSeconds: number;
  /** What the run's outer levels did (group C). */
  notes?: string[];
}

interface SearchSpace {
  parameters: Record<string, ParamValue[]>;
  fixed: string[];
}

/** A copy of examples/tiny-gpt with a short TIME_BUDGET, as its own git repo. */
function tinyGptCopy(timeBudget: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'bench-search-'));
  cpSync(join(ROOT, 'examples/tiny-gpt'), dir, { recursive: true, filter: (src) => !src.includes('__pycache__') });
  const train = join(dir, 'train.py');
  writeFileSync(train, readFileSync(train, 'utf8').replace(/^TIME_BUDGET = \d+/m, `TIME_BUDGET = ${timeBudget}`));
  return dir;
}

function run(cmd: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('close', (code) => (code === 0 ? resolvePromise(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`))));
  });
}

async function classic(method: 'random' | 'tpe', seed: number, trials: number, timeBudget: number): Promise<Trial[]> {
  const dir = tinyGptCopy(timeBudget);
  try {
    const out = await run(PYTHON, [join(__dirname, 'search/hpo.py'), '--repo', dir, '--space', SPACE_PATH, '--sampler', method, '--seed', String(seed), '--trials', String(trials)], ROOT);
    return out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { trial: number; params: Record<string, ParamValue>; metric: number | null })
      .sort((a, b) => a.trial - b.trial)
      .map(({ metric, params }) => ({ metric, params }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The trials of a loop run, in order: every finished iteration is one, whether it trained or not. */
export function trialsFromTrace(events: readonly RunEvent[]): Trial[] {
  return deriveRunState(events)
    .experiments.filter((x) => x.result && x.result !== 'interrupted')
    .sort((a, b) => a.n - b.n)
    .map((x) => ({ metric: x.metric, params: x.params }));
}

/**
 * The CLI bundled from the current source into a private folder: the shared dist/ is rebuilt by
 * whoever runs the tests, and a benchmark that runs for half an hour must use one version throughout.
 */
export async function privateCli(): Promise<string> {
  const { build } = await import('esbuild');
  const out = mkdtempSync(join(tmpdir(), 'bench-cli-'));
  await build({ entryPoints: [join(ROOT, 'src/cli/main.ts')], outfile: join(out, 'cli.js'), bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning' });
  // What scripts/build.mjs copies beside the bundles: the built-in mechanisms, the sandbox process, the ssh scripts.
  cpSync(join(ROOT, 'src/core/mechanisms/library'), join(out, 'mechanisms'), { recursive: true });
  cpSync(join(ROOT, 'src/core/mechanisms/sandbox'), join(out, 'sandbox'), { recursive: true });
  cpSync(join(ROOT, 'src/core/executors/remote'), join(out, 'remote'), { recursive: true });
  return join(out, 'cli.js');
}

type ProjectMethod = 'heuristic' | 'heuristic-sequential' | 'levels';

async function project(cli: string, method: ProjectMethod, seed: number, trials: number, timeBudget: number, space: SearchSpace): Promise<{ trials: Trial[]; notes: string[] }> {
  const dir = tinyGptCopy(timeBudget);
  try {
    const config = {
      editable: ['train.py'],
      parameters: { file: 'train.py', frozen: space.fixed, choices: space.parameters },
      run: { command: `${PYTHON} train.py`, timeBudgetSeconds: timeBudget, hardTimeoutSeconds: 120 },
      metric: { name: 'val_bpb', goal: 'minimize' },
      proposer: { kind: 'heuristic', seed },
      // Reviews every 3 iterations and a mechanism session at each, so that levels 1.5 and 2 act within a short run.
      levels: { strategy: { every: 3 }, mechanisms: { every: 1 } },
    };
    writeFileSync(join(dir, 'autoresearch.config.json'), JSON.stringify(config, null, 2));
    const git = (...a: string[]) => execFileSync('git', a, { cwd: dir });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-q', '-m', 'tiny-gpt');
    const levels = method === 'levels' ? '1,1.5,2' : '1';
    const overlap = method === 'heuristic-sequential' ? ['--no-overlap'] : [];
    await run(process.execPath, [cli, '-C', dir, 'run', '--new', '--tag', 'bench', '--proposer', 'heuristic', '--levels', levels, ...overlap, '-n', String(trials)], dir);
    const { events } = readTrace(readFileSync(join(dir, '.autoresearch/runs/bench/trace.jsonl')));
    const notes = events.flatMap((e) =>
      e.type === 'strategy.updated'
        ? [`#${e.n} strategy: frozen ${e.frozen.join(', ') || '-'}; focus ${e.focus.join(', ') || '-'}`]
        : e.type === 'mechanism.activated'
          ? [`#${e.n} mechanism ${e.name} activated`]
          : e.type === 'mechanism.research.failed'
            ? [`#${e.n} mechanism research failed: ${e.reason}`]
            : [],
    );
    return { trials: trialsFromTrace(events), notes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Best metric so far after each trial (null until the first success). Pure. */
export function bestSoFar(trials: readonly Trial[]): (number | null)[] {
  let best: number | null = null;
  return trials.map((t) => (best = t.metric !== null && (best === null || t.metric < best) ? t.metric : best));
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));

/** Per method: best Δmetric against its own baseline (trial 0), best metric, crashes; mean ± sd over seeds. Pure. */
export function summarise(runs: readonly MethodRun[]) {
  const out: Record<string, unknown> = {};
  for (const method of METHODS) {
    const mine = runs.filter((r) => r.method === method);
    if (!mine.length) continue;
    const deltas = mine.flatMap((r) => {
      const best = bestSoFar(r.trials).at(-1);
      const base = r.trials[0]?.metric;
      return best != null && base != null ? [best - base] : [];
    });
    const bests = mine.flatMap((r) => {
      const b = bestSoFar(r.trials).at(-1);
      return b == null ? [] : [b];
    });
    const baselines = mine.flatMap((r) => (r.trials[0]?.metric == null ? [] : [r.trials[0].metric]));
    out[method] = {
      label: METHOD_LABELS[method],
      seeds: mine.map((r) => r.seed),
      trialsPerRun: mine.map((r) => r.trials.length),
      bestDelta: { mean: round(mean(deltas), 4), sd: round(sd(deltas), 4) },
      bestMetric: { mean: round(mean(bests), 4), sd: round(sd(bests), 4) },
      baselineMetric: { mean: round(mean(baselines), 4), sd: round(sd(baselines), 4) },
      failedTrials: mine.reduce((a, r) => a + r.trials.filter((t) => t.metric === null).length, 0),
      wallMinutes: round(mine.reduce((a, r) => a + r.wallSeconds, 0) / 60, 1),
    };
  }
  return out;
}

export async function searchQualityBench(opts: { seeds: number; trials: number; timeBudget: number; methods: Method[]; fresh: boolean; log: (line: string) => void }) {
  const space = JSON.parse(readFileSync(SPACE_PATH, 'utf8')) as SearchSpace;
  const runsPath = join(__dirname, 'results/search-runs.jsonl');
  if (opts.fresh) rmSync(runsPath, { force: true });
  const cli = await privateCli();
  const done = (): MethodRun[] => (existsSync(runsPath) ? readFileSync(runsPath, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as MethodRun) : []);
  // Seed by seed, every method in turn: drift in the machine's load then hits every method alike.
  for (let seed = 1; seed <= opts.seeds; seed++) {
    for (const method of opts.methods) {
      if (done().some((r) => r.method === method && r.seed === seed && r.timeBudget === opts.timeBudget && r.requested === opts.trials)) continue;
      const t0 = Date.now();
      let result: { trials: Trial[]; notes?: string[] };
      if (method === 'random' || method === 'tpe') result = { trials: await classic(method, seed, opts.trials, opts.timeBudget) };
      else result = await project(cli, method, seed, opts.trials, opts.timeBudget, space);
      const record: MethodRun = { method, seed, timeBudget: opts.timeBudget, requested: opts.trials, trials: result.trials, wallSeconds: round((Date.now() - t0) / 1000), ...(result.notes?.length ? { notes: result.notes } : {}) };
      appendFileSync(runsPath, JSON.stringify(record) + '\n');
      opts.log(`${method} seed ${seed}: best ${bestSoFar(record.trials).at(-1)} from baseline ${record.trials[0]?.metric} in ${record.wallSeconds} s`);
    }
  }
  rmSync(dirname(cli), { recursive: true, force: true });
  const runs = done().filter((r) => r.timeBudget === opts.timeBudget && r.requested === opts.trials && r.seed <= opts.seeds && opts.methods.includes(r.method));
  const plot = join(ROOT, 'docs/benchmarks/search-quality.png');
  await run(PYTHON, [join(__dirname, 'search/plot.py'), runsPath, plot, String(opts.timeBudget)], ROOT);
  return { timeBudget: opts.timeBudget, trialsPerRun: opts.trials + 1, seeds: opts.seeds, space: space.parameters, methods: summarise(runs), plot: 'docs/benchmarks/search-quality.png' };
}
