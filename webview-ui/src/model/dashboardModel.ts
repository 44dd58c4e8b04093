import type { ParamValue } from '../../../src/shared/trace/candidate';
import type { RunEvent } from '../../../src/shared/trace/events';
import { isLevelEvent, LevelFold, ORIGINS, originOf, type ChartMarker, type LevelEvent, type MechanismView, type Origin, type StrategyInForce } from './levelEvents';

/**
 * The dashboard's view model: one run's events folded into what the views draw. Pure (no DOM), O(1)
 * per event so a live run stays cheap; aggregates (parameter stats) are computed on demand and
 * cached per version. Unknown event types are ignored.
 */

/** An event as it arrives: a RunEvent, or a newer type this bundle does not know yet. */
export type DashboardEvent = RunEvent | { type: string; seq?: number; at?: string };

export type ExperimentStatus = 'keep' | 'discard' | 'crash' | 'cached' | 'rejected' | 'proposal-failed' | 'interrupted' | 'running';
/** Statuses that are results (drawn on the chart). */
export const CHARTED_STATUSES = ['keep', 'discard', 'crash', 'cached'] as const;
export type ChartedStatus = (typeof CHARTED_STATUSES)[number];
export const ALL_STATUSES: readonly ExperimentStatus[] = ['keep', 'discard', 'crash', 'cached', 'rejected', 'proposal-failed', 'interrupted', 'running'];

export interface ParamChange {
  name: string;
  from: ParamValue | undefined;
  to: ParamValue;
}

export interface ExperimentRow {
  n: number;
  baseline: boolean;
  status: ExperimentStatus;
  /** The metric; for a cached experiment, the one it reused. Null for crashes and unfinished ones. */
  metric: number | null;
  /** metric − best before it (the engine's delta); negative is better when minimizing. */
  delta: number | null;
  description: string;
  hypothesis: string;
  /** Parameters the experiment changed, plus `edit:<file>` for free-form edits. */
  touched: string[];
  changes: ParamChange[];
  origin: Origin;
  /** The mechanism whose `propose` hook proposed it (level 2). */
  proposedBy: string | null;
  /** Mechanisms whose hooks ran for this experiment (mechanism.hooks provenance). */
  mechanisms: string[];
  proposer: string;
  baseCommit: string;
  commit: string | null;
  sameAs: number | null;
  seconds: number | null;
  memoryGb: number | null;
  /** Why: the decision's note, the rejection or failure reason, the interruption reason. */
  note: string;
  startedAt: string;
  /** The full parameter configuration the experiment trained (after its change). */
  params: Record<string, ParamValue> | null;
}

export interface RunMeta {
  tag: string;
  group: string;
  branch: string;
  metricName: string;
  goal: 'minimize' | 'maximize';
  proposer: string;
  startedAt: string;
  stopped: null | 'completed' | 'interrupted' | 'error' | 'paused';
  stopMessage: string;
  resumes: number;
  llmCalls: number;
  llmTokens: number;
}

export interface ParamStat {
  name: string;
  /** Experiments with a result (kept, discarded, crashed, cached) that changed it. */
  tried: number;
  kept: number;
  discarded: number;
  crashed: number;
  cached: number;
  /** Proposals touching it that were rejected before training. */
  rejected: number;
  /** The most improving delta among experiments that changed it (goal-aware), and where. */
  bestDelta: number | null;
  bestDeltaN: number | null;
  /** Its value in the current best configuration (undefined when the trace never showed it). */
  current: ParamValue | undefined;
  frozen: 'config' | 'strategy' | null;
  focus: boolean;
  /** Share of all tried experiments, overall and among the last RECENT ones. */
  share: number;
  recentShare: number;
}

export const RECENT = 20;

export interface RunSummary {
  counts: Record<ExperimentStatus, number>;
  best: { n: number; metric: number } | null;
  baseline: number | null;
  running: number[];
}

const isBetter = (a: number, b: number, goal: 'minimize' | 'maximize') => (goal === 'minimize' ? a < b : a > b);

export class RunModel {
  readonly meta: RunMeta;
  /** Every iteration, sorted by n. */
  readonly rows: ExperimentRow[] = [];
  /** Increments with every applied batch; views compare it to skip work. */
  version = 0;

  private readonly byN = new Map<number, ExperimentRow>();
  private readonly levels = new LevelFold();
  /** The highest-numbered iteration finished so far: level events are placed after it. */
  private lastFinished = -1;
  private lastSeq = 0;
  private readonly configFrozen: Set<string>;
  private best: { n: number; metric: number } | null = null;
  private statsCache: { version: number; stats: ParamStat[] } | null = null;

  constructor(tag: string, opts: { frozen?: readonly string[]; group?: string } = {}) {
    this.meta = {
      tag,
      group: opts.group ?? '',
      branch: '',
      metricName: 'metric',
      goal: 'minimize',
      proposer: '',
      startedAt: '',
      stopped: null,
      stopMessage: '',
      resumes: 0,
      llmCalls: 0,
      llmTokens: 0,
    };
    this.configFrozen = new Set(opts.frozen ?? []);
  }

  get(n: number): ExperimentRow | undefined {
    return this.byN.get(n);
  }

  get bestResult(): { n: number; metric: number } | null {
    return this.best;
  }

  apply(events: readonly DashboardEvent[]): void {
    for (const e of events) {
      // An event already folded (a live batch overlapping the trace it follows) would count twice.
      if (typeof e.seq === 'number') {
        if (e.seq <= this.lastSeq) continue;
        this.lastSeq = e.seq;
      }
      this.applyOne(e);
    }
    this.version++;
  }

  private row(n: number, at = ''): ExperimentRow {
    let x = this.byN.get(n);
    if (x) return x;
    x = {
      n,
      baseline: false,
      status: 'running',
      metric: null,
      delta: null,
      description: '',
      hypothesis: '',
      touched: [],
      changes: [],
      origin: 'L1',
      proposedBy: null,
      mechanisms: [],
      proposer: '',
      baseCommit: '',
      commit: null,
      sameAs: null,
      seconds: null,
      memoryGb: null,
      note: '',
      startedAt: at,
      params: null,
    };
    this.byN.set(n, x);
    const last = this.rows[this.rows.length - 1];
    if (!last || last.n < n) this.rows.push(x);
    else this.rows.splice(this.rows.findIndex((r) => r.n > n), 0, x);
    // The hooks of an iteration may be recorded before its first event reaches the dashboard.
    x.mechanisms = this.levels.shapedBy(n);
    return x;
  }

  private applyOne(raw: DashboardEvent): void {
    const e = raw as RunEvent;
    switch (e.type) {
      case 'run.started':
        Object.assign(this.meta, { branch: e.branch, metricName: e.metric, goal: e.goal, proposer: e.proposer, startedAt: e.at });
        return;
      case 'run.resumed':
        this.meta.resumes++;
        this.meta.stopped = null;
        return;
      case 'run.stopped':
        this.meta.stopped = e.reason;
        this.meta.stopMessage = e.message ?? '';
        for (const x of this.rows) if (x.status === 'running') x.status = 'interrupted';
        return;
      case 'iteration.started': {
        const x = this.row(e.n, e.at);
        Object.assign(x, { baseline: e.baseline, baseCommit: e.baseCommit, startedAt: e.at, status: 'running' });
        if (e.baseline) Object.assign(x, { origin: 'baseline', description: x.description || 'baseline' });
        this.meta.stopped = null;
        return;
      }
      case 'candidate.proposed': {
        const x = this.row(e.n);
        Object.assign(x, {
          description: e.candidate.description,
          hypothesis: e.candidate.hypothesis ?? '',
          proposer: e.proposer,
          origin: originOf(e.level, x.baseline),
          proposedBy: e.mechanism ?? null,
          touched: touchedBy(e.candidate.params ? Object.keys(e.candidate.params) : [], e.candidate.edits),
          changes: Object.entries(e.candidate.params ?? {}).map(([name, to]) => ({ name, from: undefined, to })),
        });
        return;
      }
      case 'candidate.applied': {
        const x = this.row(e.n);
        const edits = x.touched.filter((t) => t.startsWith('edit:'));
        x.params = e.params;
        x.changes = Object.entries(e.changed).map(([name, c]) => ({ name, from: c.from, to: c.to }));
        x.touched = [...Object.keys(e.changed), ...edits];
        return;
      }
      case 'candidate.rejected': {
        const x = this.row(e.n);
        x.note = `rejected by ${e.by}: ${e.reason}`;
        return;
      }
      case 'candidate.cached': {
        const x = this.row(e.n);
        Object.assign(x, { status: 'cached', sameAs: e.sameAs, metric: e.metric });
        x.delta = e.metric !== null && this.best ? e.metric - this.best.metric : null;
        x.note = `same files as #${e.sameAs}`;
        return;
      }
      case 'candidate.committed':
        this.row(e.n).commit = e.commit;
        return;
      case 'candidate.edited': {
        // A person changed the candidate's files before it trained: this commit and these parameters trained.
        const x = this.row(e.n);
        const edits = x.touched.filter((t) => t.startsWith('edit:'));
        Object.assign(x, { commit: e.commit, params: e.params, note: 'edited by hand before training' });
        x.changes = Object.entries(e.changed).map(([name, c]) => ({ name, from: c.from, to: c.to }));
        x.touched = [...Object.keys(e.changed), ...edits];
        return;
      }
      case 'training.finished': {
        const x = this.row(e.n);
        x.seconds = e.seconds;
        if (e.reason) x.note = e.reason;
        return;
      }
      case 'experiment.decided': {
        const x = this.row(e.n);
        Object.assign(x, { status: e.status, metric: e.metric, delta: e.delta, description: e.description, memoryGb: e.memoryGb, commit: e.commit });
        if (e.note) x.note = e.note;
        if (e.status === 'keep' && e.metric !== null && (!this.best || !isBetter(this.best.metric, e.metric, this.meta.goal))) {
          this.best = { n: e.n, metric: e.metric };
        }
        return;
      }
      case 'experiment.interrupted': {
        const x = this.row(e.n);
        x.status = 'interrupted';
        x.note = e.reason;
        return;
      }
      case 'proposal.failed': {
        const x = this.row(e.n);
        x.note = e.reason;
        return;
      }
      case 'iteration.finished': {
        this.lastFinished = Math.max(this.lastFinished, e.n);
        const x = this.row(e.n);
        if (e.result === 'rejected' || e.result === 'proposal-failed' || e.result === 'interrupted') x.status = e.result;
        else if (x.status === 'running') x.status = e.result;
        return;
      }
      case 'llm.called':
        this.meta.llmCalls++;
        this.meta.llmTokens += (e.usage?.promptTokens ?? 0) + (e.usage?.completionTokens ?? 0);
        return;
      case 'run.paused':
        this.meta.stopped = 'paused';
        this.meta.stopMessage = e.reason;
        return;
      default:
        if (isLevelEvent(e)) this.applyLevel(e);
    }
  }

  private applyLevel(e: LevelEvent): void {
    this.levels.apply(e, this.lastFinished);
    if (e.type !== 'mechanism.hooks') return;
    const x = this.byN.get(e.n);
    if (x) x.mechanisms = this.levels.shapedBy(e.n);
  }

  /** Strategy reviews and mechanism research sessions, in trace order. */
  get markers(): readonly ChartMarker[] {
    return this.levels.markers;
  }

  /** The latest strategy review (level 1.5), or null before any. */
  get strategy(): StrategyInForce | null {
    return this.levels.strategy;
  }

  /** Mechanisms in the order they first appeared. */
  mechanisms(): MechanismView[] {
    return this.levels.mechanisms();
  }

  /** The x extent of the run: spans still open end here. */
  get lastX(): number {
    const last = this.rows[this.rows.length - 1];
    return last ? last.n + 0.5 : 0;
  }

  frozenParams(): Map<string, 'config' | 'strategy'> {
    const out = new Map<string, 'config' | 'strategy'>();
    for (const p of this.strategy?.frozen ?? []) out.set(p, 'strategy');
    for (const p of this.configFrozen) out.set(p, 'config');
    return out;
  }

  summary(): RunSummary {
    const counts = Object.fromEntries(ALL_STATUSES.map((s) => [s, 0])) as Record<ExperimentStatus, number>;
    const running: number[] = [];
    let baseline: number | null = null;
    for (const x of this.rows) {
      counts[x.status]++;
      if (x.status === 'running') running.push(x.n);
      if (x.baseline && x.metric !== null && baseline === null) baseline = x.metric;
    }
    return { counts, best: this.best, baseline, running };
  }

  /** The parameter configuration of the current best experiment. */
  currentParams(): Record<string, ParamValue> | null {
    const best = this.best ? this.byN.get(this.best.n) : undefined;
    if (best?.params) return best.params;
    // The best has no applied event (the baseline): any experiment built on its commit knows its
    // configuration, as that experiment's parameters with its own change undone.
    const commit = best?.commit ?? best?.baseCommit;
    const child = this.rows.find((r) => r.params && (commit ? r.baseCommit === commit : true));
    if (!child?.params) return null;
    const out = { ...child.params };
    for (const c of child.changes) if (c.from !== undefined) out[c.name] = c.from;
    return out;
  }

  /** Per parameter: how often tried and kept, the best delta, its current value and frozen state. */
  paramStats(): ParamStat[] {
    if (this.statsCache?.version === this.version) return this.statsCache.stats;
    const goal = this.meta.goal;
    const frozen = this.frozenParams();
    const focus = new Set(this.strategy?.focus ?? []);
    const current = this.currentParams() ?? {};
    const stats = new Map<string, ParamStat>();
    const stat = (name: string): ParamStat => {
      let s = stats.get(name);
      if (!s) {
        s = { name, tried: 0, kept: 0, discarded: 0, crashed: 0, cached: 0, rejected: 0, bestDelta: null, bestDeltaN: null, current: current[name], frozen: frozen.get(name) ?? null, focus: focus.has(name), share: 0, recentShare: 0 };
        stats.set(name, s);
      }
      return s;
    };
    for (const name of Object.keys(current)) stat(name);
    for (const name of frozen.keys()) stat(name);
    for (const name of focus) stat(name);
    let tried = 0;
    const recent: ExperimentRow[] = [];
    for (const x of this.rows) {
      if (x.baseline) continue;
      const result = x.status === 'keep' || x.status === 'discard' || x.status === 'crash' || x.status === 'cached';
      if (result) {
        tried++;
        recent.push(x);
        if (recent.length > RECENT) recent.shift();
      }
      for (const name of x.touched) {
        const s = stat(name);
        if (x.status === 'rejected') s.rejected++;
        if (!result) continue;
        s.tried++;
        if (x.status === 'keep') s.kept++;
        else if (x.status === 'discard') s.discarded++;
        else if (x.status === 'crash') s.crashed++;
        else s.cached++;
        if (x.status !== 'cached' && x.delta !== null && (s.bestDelta === null || isBetter(x.delta, s.bestDelta, goal))) {
          s.bestDelta = x.delta;
          s.bestDeltaN = x.n;
        }
      }
    }
    for (const s of stats.values()) {
      s.share = tried ? s.tried / tried : 0;
      s.recentShare = recent.length ? recent.filter((x) => x.touched.includes(s.name)).length / recent.length : 0;
    }
    const out = [...stats.values()].sort((a, b) => b.tried - a.tried || b.rejected - a.rejected || a.name.localeCompare(b.name));
    this.statsCache = { version: this.version, stats: out };
    return out;
  }

  /** Values the filters can take in this run. */
  filterOptions(): { params: string[]; origins: Origin[]; mechanisms: string[] } {
    const params = new Set<string>();
    const origins = new Set<Origin>();
    for (const x of this.rows) {
      for (const p of x.touched) params.add(p);
      origins.add(x.origin);
    }
    return {
      params: [...params].sort(),
      origins: ORIGINS.filter((o) => origins.has(o)),
      mechanisms: this.levels.mechanismNames(),
    };
  }
}

function touchedBy(params: string[], edits: { file: string }[] | undefined): string[] {
  const files = [...new Set((edits ?? []).map((e) => `edit:${e.file}`))];
  return [...params, ...files];
}

/** Every run the dashboard knows, by tag, in arrival order. */
export class DashboardModel {
  readonly runs = new Map<string, RunModel>();

  /** Replaces a run's model with one built from its whole trace. */
  load(tag: string, events: readonly DashboardEvent[], opts: { frozen?: readonly string[]; group?: string } = {}): RunModel {
    const m = new RunModel(tag, opts);
    m.apply(events);
    this.runs.set(tag, m);
    return m;
  }

  append(tag: string, events: readonly DashboardEvent[]): RunModel {
    const m = this.runs.get(tag) ?? this.load(tag, []);
    m.apply(events);
    return m;
  }

  clear(): void {
    this.runs.clear();
  }
}
