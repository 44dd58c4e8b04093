import type { RunEvent } from '../../shared/trace/events';
import type { ToWebview } from '../../shared/protocol';

/** The seq of the last complete event line of a trace.jsonl text (0 when none): what `init` already carried. */
export function lastSeq(traceJsonl: string): number {
  const lines = traceJsonl.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i].trim();
    if (!line) continue;
    try {
      const seq = (JSON.parse(line) as { seq?: unknown }).seq;
      if (typeof seq === 'number') return seq;
    } catch {
      // A torn last line (a run appending right now): the one before it counts.
    }
  }
  return 0;
}

/**
 * Live events on their way to the dashboard, batched (one postMessage per burst instead of one per
 * event) and cut against what the last `init` already carried: the trace was read from disk while
 * the run went on, so an event may be both in the file and in the queue. Pure, no timers.
 */
export class DashboardFeed {
  private readonly queued = new Map<string, RunEvent[]>();
  private readonly sent = new Map<string, number>();

  /** `init` carried run `tag` up to this seq; anything queued up to it is dropped. */
  initialized(tag: string, seq: number): void {
    this.sent.set(tag, seq);
    const q = this.queued.get(tag);
    if (q) this.queued.set(tag, q.filter((e) => e.seq > seq));
  }

  /** Forgets what was sent: the webview starts over (a new `ready`). */
  reset(): void {
    this.sent.clear();
    this.queued.clear();
  }

  /** Queues a trace event (training.output never goes to the dashboard). */
  add(tag: string, e: RunEvent): void {
    if (e.type === 'training.output' || e.seq <= (this.sent.get(tag) ?? 0)) return;
    let q = this.queued.get(tag);
    if (!q) this.queued.set(tag, (q = []));
    q.push(e);
  }

  get pending(): boolean {
    return [...this.queued.values()].some((q) => q.length > 0);
  }

  /** The messages for everything queued, one per run, in seq order; the queue is emptied. */
  take(): ToWebview[] {
    const out: ToWebview[] = [];
    for (const [tag, q] of this.queued) {
      const events = q.filter((e) => e.seq > (this.sent.get(tag) ?? 0)).sort((a, b) => a.seq - b.seq);
      if (!events.length) continue;
      this.sent.set(tag, events[events.length - 1].seq);
      out.push({ type: 'events', tag, events });
    }
    this.queued.clear();
    return out;
  }
}
