import type { FinalizeResult } from '../../core';
import { formatDelta, formatMetric } from '../views/experimentPresentation';

/**
 * What Create Branch from Best says, decided from plain data (no `vscode` import): the question
 * before it when a run goes on in this window, and the result after.
 */

/** finalize refuses a live run: the run going on here is paused first, or nothing happens. */
export function liveRunQuestion(tag: string | undefined): string {
  return `Autoresearch: ${tag ? `run ${tag}` : 'the run'} is going on in this window; its best can be taken home once it stops. Pause it after the current step and create the branch then?`;
}

/** The one line shown once the branch exists. */
export function finalizedMessage(r: Pick<FinalizeResult, 'branch' | 'commit' | 'baseCommit' | 'bestN' | 'metricName' | 'bestMetric' | 'baselineMetric' | 'kept' | 'files'>): string {
  const delta = r.baselineMetric !== null ? formatDelta(r.bestMetric - r.baselineMetric) : '';
  const kept = `${r.kept.length} kept change${r.kept.length === 1 ? '' : 's'}`;
  const files = `${r.files.length} file${r.files.length === 1 ? '' : 's'}`;
  return `Autoresearch: created ${r.branch} at ${r.commit.slice(0, 7)}: the best ${r.metricName} ${formatMetric(r.bestMetric)} (#${r.bestN}${delta ? `, ${delta} over the baseline` : ''}), ${kept} as one commit on ${r.baseCommit.slice(0, 7)} (${files}). Your branches are untouched.`;
}

/** A branch name git accepts, roughly (finalize has the last word: it refuses 'bad-branch'). */
export function branchNameProblem(name: string): string | undefined {
  const v = name.trim();
  if (!v) return 'a branch name';
  if (/\s|\.\.|[~^:?*[\\]|@\{|^[-/]|\/$|\.lock$|\.$/.test(v)) return 'not a valid git branch name';
  return undefined;
}
