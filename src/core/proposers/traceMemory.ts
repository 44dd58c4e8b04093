import type { ParamValue } from '../../shared/trace/candidate';
import type { HistoryEntry, ProposalContext } from './proposer';

/** One finished experiment with its whole configuration, as a model-based proposer needs it. */
export interface Trial {
  n: number;
  params: Record<string, ParamValue>;
  /** null: crashed, or no metric. */
  metric: number | null;
}

/**
 * What a proposer instance has seen over a run: the context carries only the last
 * `historyLength` experiments and no whole configurations, so the proposer keeps every history
 * entry by number, and the configuration each experiment was built on (the incumbent when it was
 * proposed). Lost on resume; then it starts again from what the context shows.
 */
export class TraceMemory {
  private readonly entries = new Map<number, HistoryEntry>();
  /** The incumbent's configuration when experiment n was proposed. */
  private readonly bases = new Map<number, Record<string, ParamValue>>();
  private baseline: { params: Record<string, ParamValue>; metric: number | null } | null = null;

  observe(ctx: ProposalContext): void {
    for (const h of ctx.history) this.entries.set(h.n, h);
    const current = Object.fromEntries(ctx.params.map((p) => [p.name, p.value]));
    if (!this.bases.has(ctx.n)) this.bases.set(ctx.n, current);
    if (!this.baseline && ctx.incumbent.n === 0) this.baseline = { params: current, metric: ctx.incumbent.metric };
  }

  /** Every entry seen, oldest first. */
  history(): HistoryEntry[] {
    return [...this.entries.values()].sort((a, b) => a.n - b.n);
  }

  /** Every trained experiment with its configuration (the baseline first), reconstructed from bases and changes. */
  trials(): Trial[] {
    const out: Trial[] = this.baseline ? [{ n: 0, params: this.baseline.params, metric: this.baseline.metric }] : [];
    const known = [...this.bases.entries()].sort((a, b) => a[0] - b[0]);
    for (const h of this.history()) {
      if (h.status !== 'keep' && h.status !== 'discard' && h.status !== 'crash') continue;
      // A mechanism's proposal has no base of ours: the latest one known before it stands in.
      const base = this.bases.get(h.n) ?? known.filter(([n]) => n <= h.n).at(-1)?.[1];
      if (!base) continue;
      out.push({ n: h.n, params: { ...base, ...h.changed }, metric: h.status === 'crash' ? null : h.metric });
    }
    return out;
  }
}
