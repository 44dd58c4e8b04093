/**
 * Part 3, search quality on closed-form targets (bench/targets/): instant stand-ins for
 * karpathy/autoresearch's train.py with landscapes of different characters (smooth with a
 * small-batch win, noisy, crashes in front of the optimum, rugged, an optimum that needs a joint
 * move). Every method gets the same start (the defaults), the same budget (baseline + `trainings`
 * trainings) and paired seeds. Project methods run the real CLI (`bilevel run`, real git, the real
 * loop and levels); the classic peers (random search, Optuna TPE, CMA-ES, random local search) run
 * in process over the same space (bench/search/closedForm.py). Scored by the noise-free value of the
 * configuration each method found best (what a researcher would keep).
 *
 * Each (target, method, seed) run is appended to bench/results/search-suite-runs.jsonl as it
 * finishes, so an interrupted benchmark resumes where it stopped (`--fresh` starts over).
 */
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { ParamValue } from '../src/shared/trace/candidate';
import { deriveRunState } from '../src/shared/trace/runState';
import { readTrace } from '../src/core/store/traceStore';
import { parseParams } from '../src/core/target/pythonParams';
import { searchDims } from '../src/core/proposers/searchSpace';
import { signFlipP } from '../src/shared/stats/pairedComparison';
import { round } from './loopTiming';
import { privateCli } from './searchQuality';

const ROOT = resolve(__dirname, '..');
const TARGETS_DIR = join(__dirname, 'targets');
const PYTHON = '/usr/bin/python3';

export const TARGETS = ['smooth', 'noisy', 'crash', 'rugged', 'joint'] as const;
export type Target = (typeof TARGETS)[number];

/** What each target's landscape is like (docs/BENCHMARKS.md quotes these). */
export const TARGET_LABELS: Record<Target, string> = {
  smooth: 'smooth; the big win is a 4× smaller batch',
  noisy: 'the smooth landscape with per-run noise sd 0.004 (single-move gains are 0.002–0.02)',
  crash: 'assertion (batch not a multiple of device batch × seq len), OOM and NaN divergence in front of the optimum',
  rugged: 'multimodal: cosine ripples on five parameters over a bowl whose optimum is far from the start',
  joint: 'the optimum needs the batch down with the learning rates (square-root rule), and depth up with the device batch down',
};

export const SUITE_METHODS = ['A', 'B', 'C', 'D', 'tpe', 'random', 'optuna-tpe', 'cmaes', 'rls'] as const;
export type SuiteMethod = (typeof SUITE_METHODS)[number];

export const SUITE_LABELS: Record<SuiteMethod, string> = {
  A: 'group A: heuristic, level 1',
  B: 'group B: heuristic, levels 1 + 1.5',
  C: 'group C: heuristic, levels 1 + 1.5 + 2',
  D: 'group D: heuristic, levels 1 + 2',
  tpe: 'the tpe proposer (model-based), level 1',
  random: 'random search (Optuna)',
  'optuna-tpe': 'Optuna TPE',
  cmaes: 'Optuna CMA-ES',
  rls: 'random local search (control)',
};

const PROJECT: Partial<Record<SuiteMethod, ProjectSpec>> = {
  A: { proposer: 'heuristic', levels: '1' },
  B: { proposer: 'heuristic', levels: '1,1.5' },
  C: { proposer: 'heuristic', levels: '1,1.5,2' },
  D: { proposer: 'heuristic', levels: '1,2' },
  tpe: { proposer: 'tpe', levels: '1' },
};

export interface SuiteTrial {
  params: Record<string, ParamValue>;
  /** What the method saw (noise included); null: crashed. */
  metric: number | null;
  /** The noise-free value of the configuration. */
  clean: number | null;
}

export interface SuiteRun {
  target: Target;
  method: SuiteMethod;
  seed: number;
  /** Trainings asked for after the baseline. */
  requested: number;
  trials: SuiteTrial[];
  /** Iterations the loop spent that trained nothing (cached, rejected, failed proposals). */
  idle?: number;
  wallSeconds: number;
  notes?: string[];
}

const FROZEN = ['TIME_BUDGET', 'H100_BF16_PEAK_FLOPS'];

/** The five targets share one hyperparameter block (bench/targets/train.py). */
function targetParams() {
  return parseParams(readFileSync(join(TARGETS_DIR, 'train.py'), 'utf8'));
}

/** The space every method searches: searchDims of the defaults (what the tpe proposer models). */
export function suiteSpace(target: Target) {
  const params = targetParams().map((p) => ({ name: p.name, value: p.value, text: p.text, kind: p.kind, frozen: FROZEN.includes(p.name) }));
  return searchDims(params);
}

function run(cmd: string, args: string[], cwd: string, input?: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('close', (code) => (code === 0 ? resolvePromise(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`))));
    child.stdin.end(input ?? '');
  });
}

async function classic(target: Target, method: SuiteMethod, seed: number, trainings: number): Promise<SuiteTrial[]> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-suite-space-'));
  try {
    const space = join(dir, 'space.json');
    writeFileSync(space, JSON.stringify(suiteSpace(target)));
    const m = method === 'optuna-tpe' ? 'tpe' : method;
    const out = await run(PYTHON, [join(__dirname, 'search/closedForm.py'), '--target', target, '--space', space, '--method', m, '--seed', String(seed), '--trials', String(trainings)], ROOT);
    return out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as SuiteTrial & { trial: number })
      .sort((a, b) => a.trial - b.trial)
      .map(({ params, metric, clean }) => ({ params, metric, clean }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Noise-free values of configurations, one Python process for a whole run. */
export async function cleanValues(target: Target, configs: Record<string, ParamValue>[]): Promise<(number | null)[]> {
  const out = await run(PYTHON, [join(TARGETS_DIR, 'score.py')], TARGETS_DIR, configs.map((params) => JSON.stringify({ target, params })).join('\n') + '\n');
  return out.trim().split('\n').map((l) => JSON.parse(l) as number | null);
}

/** How a project method runs: the proposer, the levels, and what else its config says (an LLM endpoint). */
export interface ProjectSpec {
  proposer: string;
  levels: string;
  config?: Record<string, unknown>;
}

/** One `bilevel run` of baseline + `trainings` trainings on the target, scored like the other methods. */
export async function project(cli: string, target: Target, spec: ProjectSpec, seed: number, trainings: number): Promise<Omit<SuiteRun, 'target' | 'method' | 'seed' | 'requested' | 'wallSeconds'>> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-suite-'));
  try {
    copyFileSync(join(TARGETS_DIR, 'train.py'), join(dir, 'train.py'));
    writeFileSync(join(dir, 'target.txt'), `${target}\n`);
    copyFileSync(join(TARGETS_DIR, 'landscape.py'), join(dir, 'landscape.py'));
    writeFileSync(join(dir, '.gitignore'), '__pycache__/\n');
    const config = {
      editable: ['train.py'],
      parameters: { file: 'train.py', frozen: FROZEN },
      run: { command: `${PYTHON} train.py`, timeBudgetSeconds: 300, hardTimeoutSeconds: 400 },
      metric: { name: 'val_bpb', goal: 'minimize' },
      proposer: { kind: spec.proposer, seed },
      ...spec.config,
    };
    writeFileSync(join(dir, 'autoresearch.config.json'), JSON.stringify(config, null, 2));
    const git = (...a: string[]) => execFileSync('git', a, { cwd: dir });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('-c', 'user.name=bench', '-c', 'user.email=bench@localhost', 'commit', '-q', '-m', target);
    // The budget counts trainings (iterations that train nothing are free), so -n is the trainings asked for.
    await run(process.execPath, [cli, '-C', dir, 'run', '--new', '--tag', 'bench', '--proposer', spec.proposer, '--levels', spec.levels, '-n', String(trainings)], dir).catch((e: Error) => {
      // A run that stops early (every neighbour evaluated, ten idle iterations in a row) still has its trace.
      if (!existsSync(join(dir, '.autoresearch/runs/bench/trace.jsonl'))) throw e;
    });
    const { events } = readTrace(readFileSync(join(dir, '.autoresearch/runs/bench/trace.jsonl')));
    const state = deriveRunState(events);
    const defaults = Object.fromEntries(targetParams().map((p) => [p.name, p.value]));
    const trained = state.experiments
      .filter((x) => x.baseline || x.status)
      .sort((a, b) => a.n - b.n)
      .slice(0, trainings + 1);
    const finished = state.experiments.filter((x) => x.result && x.result !== 'interrupted' && !x.baseline);
    const lastTrained = trained.at(-1)?.n ?? 0;
    const idle = finished.filter((x) => !x.status && x.n <= lastTrained).length;
    const configs = trained.map((x) => (x.baseline ? defaults : { ...defaults, ...x.params }));
    const clean = await cleanValues(target, configs);
    const notes = events.flatMap((e) =>
      e.type === 'strategy.updated' && e.frozen.length
        ? [`#${e.n} strategy froze ${e.frozen.join(', ')}`]
        : e.type === 'mechanism.activated'
          ? [`#${e.n} mechanism ${e.name} activated`]
          : [],
    );
    return { trials: trained.map((x, i) => ({ params: configs[i], metric: x.status === 'crash' ? null : x.metric, clean: clean[i] })), idle, ...(notes.length ? { notes } : {}) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The noise-free value of the best configuration seen so far after each trial (by what the method saw). Pure. */
export function bestCleanSoFar(trials: readonly SuiteTrial[]): (number | null)[] {
  let best: SuiteTrial | null = null;
  return trials.map((t) => {
    if (t.metric !== null && (best === null || best.metric === null || t.metric < best.metric)) best = t;
    return best?.clean ?? null;
  });
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));

/** Best Δ (noise-free, against the run's own baseline) of a run. */
export function bestDelta(r: SuiteRun): number | null {
  const best = bestCleanSoFar(r.trials).at(-1);
  const base = r.trials[0]?.clean;
  return best != null && base != null ? best - base : null;
}

/** Trainings until the run's best-so-far first reached 90 % of its final improvement. Pure. */
export function trainingsTo90(r: SuiteRun): number | null {
  const curve = bestCleanSoFar(r.trials);
  const base = r.trials[0]?.clean;
  const final = curve.at(-1);
  if (base == null || final == null || final >= base) return null;
  const i = curve.findIndex((v) => v !== null && base - v >= 0.9 * (base - final));
  return i;
}

export function summariseSuite(runs: readonly SuiteRun[], methods: readonly SuiteMethod[], reference: SuiteMethod = 'C') {
  const out: Record<string, Record<string, unknown>> = {};
  for (const target of TARGETS) {
    const mine = runs.filter((r) => r.target === target);
    if (!mine.length) continue;
    const perMethod: Record<string, unknown> = {};
    const deltaBySeed = (m: SuiteMethod) => new Map(mine.filter((r) => r.method === m).map((r) => [r.seed, bestDelta(r)] as const));
    const ref = deltaBySeed(reference);
    for (const method of methods) {
      const rs = mine.filter((r) => r.method === method);
      if (!rs.length) continue;
      const deltas = rs.map(bestDelta).filter((d): d is number => d !== null);
      const to90 = rs.map(trainingsTo90).filter((d): d is number => d !== null);
      const trained = rs.reduce((a, r) => a + r.trials.length - 1, 0);
      const crashed = rs.reduce((a, r) => a + r.trials.slice(1).filter((t) => t.metric === null).length, 0);
      // Paired with the reference by seed: negative differences mean the reference found lower.
      const mineBySeed = deltaBySeed(method);
      const diffs = [...ref.entries()].flatMap(([seed, d]) => (d !== null && mineBySeed.get(seed) != null ? [d - mineBySeed.get(seed)!] : []));
      perMethod[method] = {
        label: SUITE_LABELS[method],
        seeds: rs.length,
        bestDelta: { mean: round(mean(deltas), 4), sd: round(sd(deltas), 4) },
        trainingsTo90: to90.length ? round(mean(to90), 1) : null,
        crashFraction: trained ? round(crashed / trained, 3) : 0,
        trainingsPerRun: round(mean(rs.map((r) => r.trials.length - 1)), 1),
        ...(rs.some((r) => r.idle) ? { idleIterationsPerRun: round(mean(rs.map((r) => r.idle ?? 0)), 1) } : {}),
        // better: seeds where the reference found the lower value; worse: where this method did.
        ...(method !== reference && diffs.length
          ? { [`vs${reference}`]: { meanDiff: round(mean(diffs), 4), better: diffs.filter((d) => d < 0).length, worse: diffs.filter((d) => d > 0).length, p: round(signFlipP(diffs), 4) } }
          : {}),
        wallSeconds: round(rs.reduce((a, r) => a + r.wallSeconds, 0), 1),
      };
    }
    out[target] = { label: TARGET_LABELS[target], methods: perMethod };
  }
  return out;
}

export async function searchSuiteBench(opts: { seeds: number; trainings: number; methods: SuiteMethod[]; targets: Target[]; fresh: boolean; reference: SuiteMethod; variant?: string; log: (line: string) => void }) {
  const stem = opts.variant ?? 'search-suite';
  const runsPath = join(__dirname, `results/${stem}-runs.jsonl`);
  if (opts.fresh) rmSync(runsPath, { force: true });
  const done = (): SuiteRun[] => (existsSync(runsPath) ? readFileSync(runsPath, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as SuiteRun) : []);
  let cli: string | null = null;
  for (let seed = 1; seed <= opts.seeds; seed++) {
    for (const target of opts.targets) {
      for (const method of opts.methods) {
        if (done().some((r) => r.target === target && r.method === method && r.seed === seed && r.requested === opts.trainings)) continue;
        const t0 = Date.now();
        let result: Omit<SuiteRun, 'target' | 'method' | 'seed' | 'requested' | 'wallSeconds'>;
        if (PROJECT[method]) result = await project((cli ??= await privateCli()), target, PROJECT[method], seed, opts.trainings);
        else result = { trials: await classic(target, method, seed, opts.trainings) };
        const record: SuiteRun = { target, method, seed, requested: opts.trainings, ...result, wallSeconds: round((Date.now() - t0) / 1000) };
        appendFileSync(runsPath, JSON.stringify(record) + '\n');
        opts.log(`${target} ${method} seed ${seed}: Δ ${bestDelta(record)?.toFixed(4)} in ${record.trials.length - 1} trainings, ${record.wallSeconds} s`);
      }
    }
  }
  if (cli) rmSync(dirname(cli), { recursive: true, force: true });
  const runs = done().filter((r) => r.requested === opts.trainings && r.seed <= opts.seeds && opts.methods.includes(r.method) && opts.targets.includes(r.target));
  const plot = join(ROOT, `docs/benchmarks/${stem}.png`);
  await run(PYTHON, [join(__dirname, 'search/plotSuite.py'), runsPath, plot, String(opts.trainings), String(opts.seeds)], ROOT).catch((e: Error) => opts.log(`plot: ${e.message}`));
  return { trainings: opts.trainings, seeds: opts.seeds, reference: opts.reference, targets: summariseSuite(runs, opts.methods, opts.reference), plot: `docs/benchmarks/${stem}.png` };
}

/** The summary as the Markdown table docs/BENCHMARKS.md quotes: a row per method, a column block per target. Pure. */
export function suiteMarkdown(targets: ReturnType<typeof summariseSuite>, methods: readonly SuiteMethod[], reference: SuiteMethod): string {
  const names = Object.keys(targets);
  const head = `| method | ${names.map((t) => `${t}: best Δ (mean ± sd) · ${reference} vs it, p (${reference} better/worse) · to 90 % · crashed`).join(' | ')} |`;
  const rule = `|---|${names.map(() => '---').join('|')}|`;
  const rows = methods.map((m) => {
    const cells = names.map((t) => {
      const r = (targets[t].methods as Record<string, any>)[m];
      if (!r) return '–';
      const vs = r[`vs${reference}`];
      const pair = vs ? `p ${vs.p} (${vs.better}/${vs.worse})` : 'ref.';
      return `${r.bestDelta.mean.toFixed(4)} ± ${r.bestDelta.sd.toFixed(4)} · ${pair} · ${r.trainingsTo90 ?? '–'} · ${(r.crashFraction * 100).toFixed(0)} %`;
    });
    return `| ${SUITE_LABELS[m]} | ${cells.join(' | ')} |`;
  });
  return [head, rule, ...rows].join('\n');
}
