import type { RunEvent } from '../core/events/events';

const fmt = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v.toFixed(6));
const signed = (v: number | null | undefined) => (v === null || v === undefined ? '' : ` (Δ ${v >= 0 ? '+' : ''}${v.toFixed(6)})`);

/** One human line per event for the terminal, or null for events not worth a line. Pure. */
export function renderEvent(e: RunEvent, opts: { verbose?: boolean } = {}): string | null {
  switch (e.type) {
    case 'run.started':
      return `run ${e.tag} on branch ${e.branch} (from ${e.baseCommit.slice(0, 7)}), ${e.goal} ${e.metric}, proposer ${e.proposer}`;
    case 'run.resumed':
      return `resumed: best commit ${e.bestCommit.slice(0, 7)}, next experiment #${e.nextIteration}`;
    case 'iteration.started':
      return e.baseline ? `#${e.n} baseline` : null;
    case 'candidate.proposed':
      return `#${e.n} ${e.candidate.description}`;
    case 'candidate.rejected':
      return `#${e.n}   rejected by ${e.by}: ${e.reason}`;
    case 'candidate.cached':
      return `#${e.n}   same configuration as #${e.sameAs} (${e.status}, ${fmt(e.metric)}); not trained again`;
    case 'training.started':
      return opts.verbose ? `#${e.n}   training ${e.commit.slice(0, 7)}: ${e.command}` : null;
    case 'training.output':
      return opts.verbose ? `    │ ${e.line}` : null;
    case 'training.finished':
      return e.outcome === 'ok' ? null : `#${e.n}   ${e.outcome}: ${e.reason ?? ''}`;
    case 'experiment.decided':
      return `#${e.n}   ${e.status.padEnd(7)} ${fmt(e.metric)}${signed(e.delta)}`;
    case 'experiment.interrupted':
      return `#${e.n}   interrupted: ${e.reason}`;
    case 'proposal.failed':
      return `#${e.n}   no proposal: ${e.reason}`;
    case 'llm.called':
      return opts.verbose ? `      llm ${e.usage.purpose}: ${e.usage.promptTokens}+${e.usage.completionTokens} tokens, ${e.usage.ms} ms${e.ok ? '' : ` (failed: ${e.error})`}` : null;
    case 'run.stopped':
      return `run ${e.reason}${e.message ? `: ${e.message}` : ''}`;
    default:
      return null;
  }
}
