import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunEvent } from '../../shared/trace/events';
import { RunRepo } from '../git/runRepo';
import type { Proposer } from '../proposers/proposer';
import type { TargetConfig } from '../target/targetConfig';
import { applyLevelsFlag } from '../target/targetConfig';
import { createRun, type CreateRunOptions } from '../run/createRun';
import { runsDir } from '../session/runDirectory';
import { pairedComparison, type PairedComparison } from '../../shared/stats/pairedComparison';

/**
 * The paper's ablation as a command: groups A (Level 1), B (1 + 1.5), C (1 + 1.5 + 2), D (1 + 2),
 * each repeated on its own branch from the same starting commit, with the same proposer seeds across
 * groups (repeat r uses seed + r - 1), so that groups differ only in their levels.
 */

export const ABLATION_GROUPS = { A: '1', B: '1,1.5', C: '1,1.5,2', D: '1,2' } as const;
export type AblationGroup = keyof typeof ABLATION_GROUPS;

export interface AblationRun {
  group: AblationGroup;
  repeat: number;
  tag: string;
  baseline: number | null;
  best: number | null;
  /** best − baseline (negative is better when minimizing). */
  delta: number | null;
  stopped: string | null;
}

export interface AblationRow {
  group: AblationGroup;
  levels: string;
  n: number;
  mean: number | null;
  sd: number | null;
  values: (number | null)[];
}

export interface AblationReport {
  id: string;
  metric: string;
  goal: 'minimize' | 'maximize';
  iterations: number;
  startCommit: string;
  runs: AblationRun[];
  rows: AblationRow[];
  /** Every pair of groups, paired by repeat (the repeats share seeds). */
  pairs: AblationPair[];
}

/** Group a against group b over the repeats both finished: a's Δ − b's Δ. */
export interface AblationPair extends PairedComparison {
  a: AblationGroup;
  b: AblationGroup;
}

export interface AblationOptions {
  repoDir: string;
  config: TargetConfig;
  groups: AblationGroup[];
  repeats: number;
  iterations: number;
  /** The proposer for one repeat (seeded by the caller from `seed`). Default: the config's, with that seed. */
  proposer?: (seed: number) => Proposer;
  /** Anything else every run gets (workers, reviewers, sandbox); default what createRun builds from the config. */
  runOptions?: (group: AblationGroup, repeat: number) => Partial<CreateRunOptions>;
  onEvent?: (group: AblationGroup, repeat: number, e: RunEvent) => void;
  signal?: AbortSignal;
  now?: Date;
}

/** Mean and sample standard deviation of the values that exist. Pure. */
export function meanSd(values: (number | null)[]): { n: number; mean: number | null; sd: number | null } {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (!xs.length) return { n: 0, mean: null, sd: null };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : null;
  return { n: xs.length, mean, sd };
}

/** The table rows, one per group in the order asked. Pure. */
export function summarizeAblation(runs: AblationRun[], groups: AblationGroup[]): AblationRow[] {
  return groups.map((group) => {
    const values = runs.filter((r) => r.group === group).map((r) => r.delta);
    return { group, levels: ABLATION_GROUPS[group], ...meanSd(values), values };
  });
}

/** Each group against every later one in the order asked, paired by repeat. Pure. */
export function pairAblation(runs: AblationRun[], groups: AblationGroup[], goal: 'minimize' | 'maximize'): AblationPair[] {
  const byRepeat = (g: AblationGroup) => new Map(runs.filter((r) => r.group === g).map((r) => [r.repeat, r.delta] as const));
  return groups.flatMap((a, i) => groups.slice(i + 1).map((b) => ({ a, b, ...pairedComparison(byRepeat(a), byRepeat(b), goal) })));
}

export function ablationMarkdown(report: AblationReport): string {
  const f = (v: number | null) => (v === null ? '—' : v.toFixed(6));
  const lines = [
    `# Ablation ${report.id}`,
    '',
    `${report.metric} (${report.goal}), ${report.iterations} iterations per run, from ${report.startCommit.slice(0, 7)}. Δ = best − baseline of each run.`,
    '',
    '| group | levels | n | Δ mean | Δ sd | every repeat |',
    '|---|---|---|---|---|---|',
    ...report.rows.map((r) => `| ${r.group} | ${r.levels} | ${r.n} | ${f(r.mean)} | ${f(r.sd)} | ${r.values.map(f).join(', ')} |`),
    '',
    ...(report.pairs?.length
      ? [
          'Paired by repeat (same seed): a − b of Δ, how many repeats each group did better, and the exact two-sided sign-flip p-value.',
          '',
          '| a vs b | pairs | mean (a − b) | a better | b better | ties | p |',
          '|---|---|---|---|---|---|---|',
          ...report.pairs.map((p) => `| ${p.a} vs ${p.b} | ${p.n} | ${f(p.meanDiff)} | ${p.aBetter} | ${p.bBetter} | ${p.ties} | ${p.p.toFixed(4)} |`),
          '',
        ]
      : []),
    '| run | group | repeat | baseline | best | Δ | ended |',
    '|---|---|---|---|---|---|---|',
    ...report.runs.map((r) => `| ${r.tag} | ${r.group} | ${r.repeat} | ${f(r.baseline)} | ${f(r.best)} | ${f(r.delta)} | ${r.stopped ?? '—'} |`),
  ];
  return lines.join('\n') + '\n';
}

/**
 * Runs every group × repeat as a fresh run (branch autoresearch/<id>-<group>-<r>) from the commit
 * checked out now, going back to it between runs. Writes <runs>/<id>/ablation.{md,json} after each run,
 * so an interrupted ablation keeps what it finished.
 */
export async function runAblation(opts: AblationOptions): Promise<{ report: AblationReport; files: { md: string; json: string } }> {
  const repo = await RunRepo.open(opts.repoDir);
  await repo.assertClean();
  const start = (await repo.currentBranch()) ?? (await repo.head());
  const startCommit = await repo.head();
  const stamp = (opts.now ?? new Date()).toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const id = `ablate-${stamp}`;
  const dir = join(runsDir(repo.dir), id);
  mkdirSync(dir, { recursive: true });
  const files = { md: join(dir, 'ablation.md'), json: join(dir, 'ablation.json') };
  const report: AblationReport = { id, metric: opts.config.metric.name, goal: opts.config.metric.goal, iterations: opts.iterations, startCommit, runs: [], rows: [], pairs: [] };
  const save = () => {
    report.rows = summarizeAblation(report.runs, opts.groups);
    report.pairs = pairAblation(report.runs, opts.groups, report.goal);
    writeFileSync(files.json, JSON.stringify(report, null, 2) + '\n');
    writeFileSync(files.md, ablationMarkdown(report));
  };
  try {
    for (let repeat = 1; repeat <= opts.repeats; repeat++) {
      for (const group of opts.groups) {
        if (opts.signal?.aborted) return { report, files };
        await repo.checkoutRef(start);
        const config: TargetConfig = structuredClone(opts.config);
        applyLevelsFlag(config, ABLATION_GROUPS[group]);
        const tag = `${id}-${group}-${repeat}`;
        const seed = config.proposer.seed + repeat - 1;
        config.proposer.seed = seed;
        const { state } = await createRun({
          repoDir: repo.dir,
          config,
          proposer: opts.proposer?.(seed),
          iterations: opts.iterations,
          tag,
          fresh: true,
          signal: opts.signal,
          onEvent: (e) => opts.onEvent?.(group, repeat, e),
          ...opts.runOptions?.(group, repeat),
        }).run();
        const baseline = state.experiments.find((x) => x.baseline && x.status === 'keep')?.metric ?? null;
        const best = state.best?.metric ?? null;
        report.runs.push({ group, repeat, tag, baseline, best, delta: baseline !== null && best !== null ? best - baseline : null, stopped: state.stopped });
        save();
      }
    }
  } finally {
    await repo.checkoutRef(start);
    save();
  }
  return { report, files };
}
