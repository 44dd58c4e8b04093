import type { RunEvent } from '../../shared/trace/events';

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
        e.description.replace(/[\t\r\n]+/g, ' ').trim(),
      ].join('\t'),
    );
  }
  return rows.join('\n') + '\n';
}
