import { renameSync, rmSync, writeFileSync } from 'node:fs';
import type { RunEvent } from '../../shared/trace/events';
import { RunStateError } from './writableRunDir';
import { displayLine } from '../../shared/text/displayLine';

/**
 * results.tsv in karpathy/autoresearch's shape (`commit, <metric>, memory_gb, status, description`),
 * regenerated from the trace so it can never disagree with it. It reads as RunState does without a
 * column of its own: the best is the `keep` row with the best metric, the incumbent the last `keep`
 * row (a mechanism that keeps a worse result makes them differ).
 */
export function renderResultsTable(events: readonly RunEvent[], metricName: string): string {
  const rows = [['commit', metricName, 'memory_gb', 'status', 'description'].join('\t')];
  for (const e of events) {
    if (e.type !== 'experiment.decided') continue;
    rows.push(
      [
        e.commit.slice(0, 7),
        e.metric === null ? '0.000000' : e.metric.toFixed(6),
        e.memoryGb === null ? '0.0' : e.memoryGb.toFixed(1),
        e.status,
        displayLine(e.description, 200),
      ].join('\t'),
    );
  }
  return rows.join('\n') + '\n';
}

/**
 * Writes results.tsv whole or not at all (written aside, then renamed over the old one): a full disk
 * leaves the previous table, never a cut one. A failure stops the run, with the trace intact.
 */
export function writeResultsTable(path: string, events: readonly RunEvent[], metricName: string): void {
  const aside = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(aside, renderResultsTable(events, metricName));
    renameSync(aside, path);
  } catch (e) {
    rmSync(aside, { force: true });
    throw new RunStateError(`cannot write ${path}: ${(e as Error).message}. The trace is intact (the table is made from it); free space (or fix the problem) and run again to resume.`);
  }
}
