import type { RunEvent } from './events';

const fmt = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v.toFixed(6));
const signed = (v: number | null | undefined) => (v === null || v === undefined ? '' : ` (Δ ${v >= 0 ? '+' : ''}${v.toFixed(6)})`);

/** One human line per event for the terminal, or null for events not worth a line. Pure. */
export function renderEvent(e: RunEvent, opts: { verbose?: boolean } = {}): string | null {
  switch (e.type) {
    case 'run.started':
      return `run ${e.tag} on branch ${e.branch} (from ${e.baseCommit.slice(0, 7)}), ${e.goal} ${e.metric}, proposer ${e.proposer}`;
    case 'run.resumed':
      return `resumed: continuing from ${e.bestCommit.slice(0, 7)}, next experiment #${e.nextIteration}${e.repairedTrace !== undefined ? ` (the trace's last line was torn by a crash and was cut off: ${e.repairedTrace.length} characters)` : ''}`;
    case 'run.adopted': {
      const n = e.commits.length;
      const from = e.from === 'run-branch' ? `your ${n > 1 ? `${n} commits` : 'commit'} on ${e.branch}` : `${e.branch}, ${n} new commit${n > 1 ? 's' : ''}`;
      return `adopted ${e.commit.slice(0, 7)} "${e.commits[0]?.subject ?? ''}" (${from})${e.configChanged ? ', with its config' : ''}: trained as the new baseline, the run continues from it`;
    }
    case 'iteration.started':
      return e.baseline ? `#${e.n} baseline` : null;
    case 'candidate.proposed':
      return `#${e.n} ${e.candidate.description}${e.mechanism ? ` [proposed by ${e.mechanism}]` : ''}`;
    case 'candidate.edited':
      return `#${e.n}   edited before training: now ${e.commit.slice(0, 7)}`;
    case 'candidate.rejected':
      return `#${e.n}   rejected by ${e.by}: ${e.reason}`;
    case 'candidate.cached':
      return `#${e.n}   same configuration as #${e.sameAs} (${e.status}, ${fmt(e.metric)}); not trained again`;
    case 'training.started':
      return opts.verbose ? `#${e.n}   training ${e.commit.slice(0, 7)}: ${e.command}` : null;
    case 'training.output':
      return opts.verbose ? `    │ ${e.line}` : null;
    case 'training.finished':
      if (e.outcome === 'ok') return e.logProblem ? `#${e.n}   ${e.logProblem}` : null;
      return `#${e.n}   ${e.outcome}: ${e.reason ?? ''}${e.logProblem ? ` (${e.logProblem})` : ''}`;
    case 'experiment.decided':
      return `#${e.n}   ${e.status.padEnd(7)} ${fmt(e.metric)}${signed(e.delta)}${e.note ? ` — ${e.note}` : ''}`;
    case 'experiment.interrupted':
      return `#${e.n}   interrupted: ${e.reason}`;
    case 'proposal.failed':
      return `#${e.n}   no proposal: ${e.reason}`;
    case 'llm.called':
      return opts.verbose
        ? `      llm ${e.usage.purpose}: ${e.usage.promptTokens}+${e.usage.completionTokens} tokens${e.usage.estimated ? ' (estimated)' : ''}, ${e.usage.ms} ms${e.ok ? '' : ` (failed: ${e.error})`}${e.answerError ? ` (unusable answer: ${e.answerError})` : ''}`
        : null;
    case 'run.paused':
      return `run paused: ${e.reason}`;
    case 'worker.removed':
      return `worker ${e.worker + 1} (${e.executor}) is out of rotation: ${e.reason}; ${e.left === 0 ? 'no worker left' : `${e.left} left`}`;
    case 'strategy.updated': {
      const parts = [
        e.frozen.length ? `frozen ${e.frozen.join(', ')}` : 'nothing frozen',
        e.unfrozen.length ? `unfrozen ${e.unfrozen.join(', ')}` : '',
        e.focus.length ? `focus ${e.focus.join(', ')}` : '',
      ].filter(Boolean);
      return `── strategy review ${e.cycle} (${e.reviewer}): ${parts.join('; ')}${e.guidance && opts.verbose ? `\n   ${e.guidance}` : ''}`;
    }
    case 'mechanism.research.step':
      return opts.verbose || !e.ok ? `── mechanism research ${e.session}, ${e.step}: ${e.ok ? 'done' : `failed: ${e.error}`}` : null;
    case 'mechanism.research.failed':
      return `── mechanism research ${e.session} produced nothing: ${e.reason}`;
    case 'mechanism.proposed':
      return `── mechanism research ${e.session}: proposed ${e.name} (${e.hooks.join(', ') || 'no hooks'}) on ${e.branch}`;
    case 'mechanism.validated':
      return `   ${e.name}: validation ${e.ok ? 'passed' : 'FAILED'} (${e.checks.map((c) => `${c.name} ${c.ok ? 'ok' : 'failed'}`).join(', ')})`;
    case 'mechanism.activated':
      return `   ${e.name}: active (${e.by === 'user' ? 'accepted' : 'activated by policy'})`;
    case 'mechanism.reverted':
      return `   ${e.name}: reverted (${e.by}): ${e.reason}`;
    case 'mechanism.deactivated':
      return `   ${e.name}: DEACTIVATED after ${e.hook}: ${e.reason}`;
    case 'mechanism.hooks':
      return opts.verbose && e.ran.length ? `#${e.n}   hooks: ${e.ran.map((r) => `${r.mechanism}.${r.hook}→${r.result}`).join(', ')}` : null;
    case 'run.stopped':
      return `run ${e.reason}${e.message ? `: ${e.message}` : ''}`;
    default:
      return null;
  }
}
