import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunEvent } from '../../shared/trace/events';
import { deriveRunState } from '../../shared/trace/runState';
import { git, GitError } from '../git/git';
import { changedFiles } from '../git/revisionFiles';
import { RunRepo, runBranch } from '../git/runRepo';
import { liveRunPid, runsDir } from '../session/runDirectory';
import { readTrace } from '../store/traceStore';
import { bestResult, type KeptChange, type ParamChange } from './keptChanges';
import { progressChartLayout } from './chartLayout';
import { progressChartSvg } from './progressChart';
import { progressChartPng } from './progressPng';
import { finalizeCommitMessage, finalizeReport } from './report';

/** Why finalize did nothing: a state of the run or the repo the user can change, not a failure. */
export class FinalizeRefused extends Error {
  constructor(
    message: string,
    readonly why: 'no-run' | 'running' | 'nothing-kept' | 'branch-exists' | 'bad-branch',
  ) {
    super(message);
    this.name = 'FinalizeRefused';
  }
}

export interface FinalizeOptions {
  /** The branch to create; default autoresearch/<tag>-best. */
  branch?: string;
}

export interface FinalizeResult {
  tag: string;
  /** The branch created, at `commit`. */
  branch: string;
  /** The one commit: the best commit's tree without .autoresearch/, on `baseCommit`. */
  commit: string;
  /** Where the run started (run.started's baseCommit), the new commit's parent. */
  baseCommit: string;
  /** The commit that trained the best result. */
  bestCommit: string;
  bestN: number;
  metricName: string;
  bestMetric: number;
  baselineMetric: number | null;
  /** The kept experiments the best result is built from, in order. */
  kept: KeptChange[];
  /** The parameters the best configuration changed against the baseline's. */
  params: ParamChange[];
  /** Files the commit changes against `baseCommit`. */
  files: string[];
  /** Absolute paths of the report (.autoresearch/runs/<tag>/report.md) and the chart it shows (progress.png beside it, and the same as progress.svg). */
  report: string;
  chart: string;
  chartSvg: string;
}

/** The branch finalize creates unless told otherwise. */
export const bestBranchName = (tag: string) => `${runBranch(tag)}-best`;

const CHART_PNG = 'progress.png';
const CHART_SVG = 'progress.svg';

/**
 * Takes a finished run's best result home: a new branch from the run's starting point holding the
 * winning change as one commit (the best commit's tree, with .autoresearch/ as it was at the start),
 * and a markdown report beside the trace. Built with plumbing (ls-tree, mktree, commit-tree,
 * update-ref refusing an existing branch): HEAD, the index, the working tree and every other branch
 * stay as they are. Refuses (FinalizeRefused) while the run is live, when nothing beat the
 * baseline, and when the branch exists.
 */
export async function finalizeRun(repoDir: string, tag: string, opts: FinalizeOptions = {}): Promise<FinalizeResult> {
  const repo = await RunRepo.open(repoDir);
  const dir = repo.dir;
  const runDir = join(runsDir(dir), tag);
  const tracePath = join(runDir, 'trace.jsonl');
  if (!existsSync(tracePath)) throw new FinalizeRefused(`no run ${tag} in ${dir}`, 'no-run');
  const pid = liveRunPid(runDir);
  if (pid) throw new FinalizeRefused(`run ${tag} is still running (process ${pid}); stop it or let it finish, then finalize`, 'running');
  const events = readTrace(readFileSync(tracePath)).events;
  const state = deriveRunState(events);
  // Not state.startCommit: a mechanism activated before the baseline's result moves that one.
  const baseCommit = (events[0] as Extract<RunEvent, { type: 'run.started' }>).baseCommit;

  const branch = opts.branch ?? bestBranchName(tag);
  if (!(await validBranchName(dir, branch))) throw new FinalizeRefused(`${branch} is not a valid branch name`, 'bad-branch');
  if (await branchExists(dir, branch)) throw branchExistsError(branch);

  const history = state.best ? await commitsSince(dir, baseCommit, state.best.commit) : new Set<string>();
  const result = bestResult(state, (c) => history.has(c));
  if (!result) throw new FinalizeRefused(`run ${tag} kept no experiment that beat its baseline: there is nothing to take home`, 'nothing-kept');
  const bestCommit = result.best.commit!;
  const tree = await treeWithStartRunFiles(dir, bestCommit, baseCommit);
  const files = await changedFiles(dir, baseCommit, tree);
  if (!files.length) throw new FinalizeRefused(`the best result of run ${tag} changes nothing outside .autoresearch/`, 'nothing-kept');

  const commit = await repo.commitTree(tree, baseCommit, finalizeCommitMessage(state, result, files));
  await createBranch(dir, branch, commit, tag);

  const report = join(runDir, 'report.md');
  const chart = join(runDir, CHART_PNG);
  const chartSvg = join(runDir, CHART_SVG);
  const layout = progressChartLayout(state);
  writeFileSync(chart, progressChartPng(layout));
  writeFileSync(chartSvg, progressChartSvg(layout));
  writeFileSync(report, finalizeReport(state, result, { branch, commit, baseCommit, files }, { png: CHART_PNG, svg: CHART_SVG }));
  return {
    tag,
    branch,
    commit,
    baseCommit,
    bestCommit,
    bestN: result.best.n,
    metricName: state.metricName,
    bestMetric: result.best.metric!,
    baselineMetric: result.baseline?.metric ?? null,
    kept: result.kept,
    params: result.params,
    files,
    report,
    chart,
    chartSvg,
  };
}

const branchExistsError = (branch: string) =>
  new FinalizeRefused(`branch ${branch} already exists; delete it (git branch -D ${branch}) or name another with --branch`, 'branch-exists');

async function validBranchName(dir: string, branch: string): Promise<boolean> {
  try {
    await git(['check-ref-format', `refs/heads/${branch}`], { cwd: dir });
    return !branch.startsWith('-');
  } catch (e) {
    if (e instanceof GitError && e.exitCode !== null) return false;
    throw e;
  }
}

async function branchExists(dir: string, branch: string): Promise<boolean> {
  try {
    await git(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { cwd: dir });
    return true;
  } catch (e) {
    // --quiet: exit status 1 with nothing said is "no such ref".
    if (e instanceof GitError && e.exitCode === 1 && !e.stderr.trim()) return false;
    throw e;
  }
}

/** The commits reachable from `tip` and not from `base`: the run's history up to the best. */
async function commitsSince(dir: string, base: string, tip: string): Promise<Set<string>> {
  return new Set((await git(['rev-list', `${base}..${tip}`], { cwd: dir })).split('\n').filter(Boolean));
}

/** `commit`'s tree with its top-level .autoresearch entry replaced by `start`'s (absent when start has none). */
async function treeWithStartRunFiles(dir: string, commit: string, start: string): Promise<string> {
  const entries = async (rev: string) => (await git(['ls-tree', '-z', rev], { cwd: dir })).split('\0').filter(Boolean);
  const isRunFiles = (entry: string) => entry.endsWith('\t.autoresearch');
  const kept = (await entries(commit)).filter((e) => !isRunFiles(e));
  const fromStart = (await entries(start)).filter(isRunFiles);
  return (await git(['mktree', '-z'], { cwd: dir, input: [...kept, ...fromStart].map((e) => `${e}\0`).join('') })).trim();
}

/** Creates the branch only if it does not exist (update-ref's expected old value of all zeros). */
async function createBranch(dir: string, branch: string, commit: string, tag: string): Promise<void> {
  try {
    await git(['update-ref', '-m', `bilevel finalize ${tag}`, `refs/heads/${branch}`, commit, '0'.repeat(commit.length)], { cwd: dir });
  } catch (e) {
    if (e instanceof GitError && (await branchExists(dir, branch))) throw branchExistsError(branch);
    throw e;
  }
}
