import type { ParamValue } from '../../../src/shared/trace/candidate';
import { EXPERIMENT_STATUSES, isResultStatus, type ExperimentStatus, type RunEvent } from '../../../src/shared/trace/events';
import { isBetter, type Goal } from '../../../src/shared/trace/goal';
import { noiseFloor } from '../../../src/shared/stats/noiseFloor';
import { mechanismOutcome, type MechanismOutcome } from '../../../src/shared/trace/mechanismOutcome';
import { applyEvent, currentBaseline, experimentStatus, incumbentBehindBest, type Experiment, type HookStat, type MechanismStatus, type RunState } from '../../../src/shared/trace/runState';
import { isLevelEvent, LevelTimeline, ORIGINS, originOf, type ChartMarker, type MechanismPlacing, type Origin } from './levelEvents';

/**
 * The dashboard's view model: one run's events folded by the shared fold (src/shared/trace/runState.ts,
 * the same the engine, the CLI and the extension read), and turned into what the views draw. Rows
 * are refreshed only for the experiments an event touches, so a live run stays O(1) per event;
 * aggregates (parameter stats) are computed on demand and cached per version. Unknown event types
 * are ignored.
 */

/** An event as it arrives: a RunEvent, or a newer type this bundle does not know yet. */
export type DashboardEvent = RunEvent | { type: string; seq?: number; at?: string };

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
  /** metric − the incumbent's before it (the engine's delta); negative is better when minimizing. */
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
  goal: Goal;
  proposer: string;
  startedAt: string;
  stopped: RunState['stopped'];
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
  /** Its value in the configuration the search continues from (undefined when the trace never showed it). */
  current: ParamValue | undefined;
  frozen: 'config' | 'strategy' | null;
  focus: boolean;
  /** Share of all tried experiments, overall and among the last RECENT ones. */
  share: number;
  recentShare: number;
}

export const RECENT = 20;

/** A parameter of the best configuration against the baseline's. */
export interface BestParam {
  name: string;
  baseline: ParamValue | undefined;
  best: ParamValue | undefined;
  changed: boolean;
}

export interface BestConfiguration {
  best: { n: number; metric: number };
  baseline: { n: number; metric: number | null } | null;
  params: BestParam[];
}

export interface RunSummary {
  counts: Record<ExperimentStatus, number>;
  /** The best result (RunState.best). */
  best: { n: number; metric: number } | null;
  /** What the search continues from, only when that is not the best (a mechanism kept a worse result). */
  incumbent: { n: number; metric: number } | null;
  baseline: number | null;
  running: number[];
}

export interface StrategyInForce {
  /** The experiment after which the review ran. */
  after: number;
  cycle: number;
  reviewer: string;
  frozen: string[];
  focus: string[];
  guidance: string;
}

export interface MechanismView extends MechanismPlacing {
  name: string;
  description: string;
  /** Hooks the module declares; `hooks` below are those that actually ran. */
  declaredHooks: string[];
  session: number | null;
  stage: MechanismStatus;
  /** What became of it as a person tells it apart (failed validation, rejected by you, deactivated at run time, …). */
  outcome: MechanismOutcome;
  validation: { ok: boolean; checks: { name: string; ok: boolean; detail: string }[] } | null;
  hooks: HookStat[];
  hookRuns: number;
  /** Experiments at least one of its hooks ran for. */
  experiments: number;
}

/** Events whose `n` is an experiment's: they change that experiment's row. */
const EXPERIMENT_EVENTS: ReadonlySet<string> = new Set<RunEvent['type']>([
  'iteration.started',
  'candidate.proposed',
  'candidate.rejected',
  'candidate.applied',
  'candidate.cached',
  'candidate.committed',
  'candidate.edited',
  'training.started',
  'training.finished',
  'experiment.decided',
  'experiment.interrupted',
  'proposal.failed',
  'iteration.finished',
  'mechanism.hooks',
]);

/** Events that can change whether an unfinished experiment still runs. */
const RUN_EVENTS: ReadonlySet<string> = new Set<RunEvent['type']>(['run.stopped', 'run.paused', 'run.resumed', 'iteration.started']);

export class RunModel {
  /** Every iteration, sorted by n. */
  readonly rows: ExperimentRow[] = [];
  /** Increments with every applied batch; views compare it to skip work. */
  version = 0;

  private state: RunState | null = null;
  private readonly byN = new Map<number, ExperimentRow>();
  private readonly experiments = new Map<number, Experiment>();
  private readonly timeline = new LevelTimeline();
  /** The highest-numbered iteration finished so far: level events are placed after it. */
  private lastFinished = -1;
  private lastSeq = 0;
  private readonly configFrozen: Set<string>;
  private statsCache: { version: number; stats: ParamStat[] } | null = null;
  private floorCache: { version: number; floor: number | null } | null = null;

  constructor(
    private readonly tag: string,
    private readonly opts: { frozen?: readonly string[]; group?: string } = {},
  ) {
    this.configFrozen = new Set(opts.frozen ?? []);
  }

  get meta(): RunMeta {
    const s = this.state;
    return {
      tag: this.tag,
      group: this.opts.group ?? '',
      branch: s?.branch ?? '',
      metricName: s?.metricName ?? 'metric',
      goal: s?.goal ?? 'minimize',
      proposer: s?.proposer ?? '',
      startedAt: s?.startedAt ?? '',
      stopped: s?.stopped ?? null,
      stopMessage: s?.stopMessage ?? '',
      resumes: s?.resumes ?? 0,
      llmCalls: s?.llmCalls ?? 0,
      llmTokens: s?.llmTokens ?? 0,
    };
  }

  get(n: number): ExperimentRow | undefined {
    return this.byN.get(n);
  }

  /** The best result (RunState.best). */
  get bestResult(): { n: number; metric: number } | null {
    const best = this.state?.best;
    return best ? { n: best.n, metric: best.metric } : null;
  }

  apply(events: readonly DashboardEvent[]): void {
    for (const e of events) {
      // An event already folded (a live batch overlapping the trace it follows) would count twice.
      if (typeof e.seq === 'number') {
        if (e.seq <= this.lastSeq) continue;
        this.lastSeq = e.seq;
      }
      this.applyOne(e as RunEvent);
    }
    this.version++;
  }

  private applyOne(e: RunEvent): void {
    // Nothing to fold into before run.started; a second one would start the state over.
    if ((this.state === null) !== (e.type === 'run.started')) return;
    try {
      this.state = applyEvent(this.state, e);
    } catch {
      // An event the fold refuses (one for an iteration this trace never started) is left out; the
      // dashboard shows the rest rather than nothing.
      return;
    }
    const state = this.state;
    if (isLevelEvent(e)) this.timeline.apply(e, this.lastFinished);
    if (e.type === 'iteration.finished') this.lastFinished = Math.max(this.lastFinished, e.n);
    if (e.type === 'iteration.started') this.experiments.set(e.n, state.open.get(e.n)!);
    if (EXPERIMENT_EVENTS.has(e.type)) this.refresh((e as { n: number }).n);
    if (RUN_EVENTS.has(e.type)) for (const n of state.open.keys()) this.refresh(n);
  }

  /** Rebuilds experiment n's row from the fold (the row object stays, so views may hold it). */
  private refresh(n: number): void {
    const x = this.experiments.get(n);
    if (!x || !this.state) return;
    const row = experimentRow(x, this.state);
    const existing = this.byN.get(n);
    if (existing) {
      Object.assign(existing, row);
      return;
    }
    this.byN.set(n, row);
    const last = this.rows[this.rows.length - 1];
    if (!last || last.n < n) this.rows.push(row);
    else this.rows.splice(this.rows.findIndex((r) => r.n > n), 0, row);
  }

  /** Strategy reviews and mechanism research sessions, in trace order. */
  get markers(): readonly ChartMarker[] {
    return this.timeline.markers;
  }

  /** The latest strategy review (level 1.5), or null before any. */
  get strategy(): StrategyInForce | null {
    const s = this.state;
    if (!s || s.strategy.reviewer === null) return null;
    const { reviewer, frozen, focus, guidance } = s.strategy;
    return { after: this.timeline.strategyAfter ?? -1, cycle: s.strategyReviews, reviewer, frozen, focus, guidance };
  }

  /** Mechanisms in the order they first appeared. */
  mechanisms(): MechanismView[] {
    const s = this.state;
    if (!s) return [];
    return this.timeline.names.map((name) => {
      const m = s.mechanisms.get(name);
      const hooks = s.hookStats.get(name);
      return {
        name,
        description: m?.description ?? '',
        declaredHooks: m?.hooks ?? [],
        session: m?.session ?? null,
        // Hooks of a mechanism this trace never proposed (e.g. one carried over from another run): evidently active.
        stage: m?.status ?? 'active',
        outcome: m ? mechanismOutcome(m) : 'active',
        validation: m?.validated === undefined ? null : { ok: m.validated, checks: m.checks },
        ...this.timeline.placingOf(name),
        hooks: hooks?.hooks ?? [],
        hookRuns: hooks?.runs ?? 0,
        experiments: hooks?.experiments ?? 0,
      };
    });
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
    const counts = Object.fromEntries(EXPERIMENT_STATUSES.map((s) => [s, 0])) as Record<ExperimentStatus, number>;
    const running: number[] = [];
    let baseline: number | null = null;
    for (const x of this.rows) {
      counts[x.status]++;
      if (x.status === 'running') running.push(x.n);
      if (x.baseline && x.metric !== null && baseline === null) baseline = x.metric;
    }
    const behind = this.state ? incumbentBehindBest(this.state) : null;
    return { counts, best: this.bestResult, incumbent: behind ? { n: behind.n, metric: behind.metric } : null, baseline, running };
  }

  /** The parameter configuration of the incumbent (what the search continues from). */
  currentParams(): Record<string, ParamValue> | null {
    return this.paramsOf(this.state?.incumbent ? this.byN.get(this.state.incumbent.n) : undefined);
  }

  /** The parameter configuration experiment `row` trained. */
  paramsOf(row: ExperimentRow | undefined): Record<string, ParamValue> | null {
    if (row?.params) return row.params;
    // No applied event (a baseline): any experiment built on its commit knows its configuration, as
    // that experiment's parameters with its own change undone.
    const commit = row?.commit ?? row?.baseCommit;
    const child = this.rows.find((r) => r.params && (commit ? r.baseCommit === commit : true));
    if (!child?.params) return null;
    const out = { ...child.params };
    for (const c of child.changes) if (c.from !== undefined) out[c.name] = c.from;
    return out;
  }

  /** How much the metric moves when nothing changes (src/shared/stats/noiseFloor.ts); null until a configuration ran twice. */
  noiseFloor(): number | null {
    if (this.floorCache?.version !== this.version) this.floorCache = { version: this.version, floor: this.state ? noiseFloor(this.state).floor : null };
    return this.floorCache.floor;
  }

  /** The best result's parameters against the baseline's (the latest adoption's baseline), changed ones first. */
  bestConfiguration(): BestConfiguration | null {
    const best = this.bestResult;
    if (!best) return null;
    const base = this.state ? currentBaseline(this.state) : null;
    const baselineRow = (base && this.byN.get(base.n)) ?? null;
    const bestParams = this.paramsOf(this.byN.get(best.n)) ?? {};
    const baseParams = (baselineRow && this.paramsOf(baselineRow)) ?? {};
    const names = [...new Set([...Object.keys(baseParams), ...Object.keys(bestParams)])];
    const params = names
      .map((name) => ({ name, baseline: baseParams[name], best: bestParams[name], changed: JSON.stringify(baseParams[name]) !== JSON.stringify(bestParams[name]) }))
      .sort((a, b) => Number(b.changed) - Number(a.changed) || a.name.localeCompare(b.name));
    return { best, baseline: baselineRow ? { n: baselineRow.n, metric: baselineRow.metric } : null, params };
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
      const result = isResultStatus(x.status);
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
      mechanisms: [...this.timeline.names],
    };
  }
}

/** One experiment of the fold as the table, the chart and the filters show it. Pure. */
export function experimentRow(x: Experiment, state: RunState): ExperimentRow {
  const edits = [...new Set((x.candidate?.edits ?? []).map((e) => `edit:${e.file}`))];
  const changes: ParamChange[] = x.changed
    ? Object.entries(x.changed).map(([name, c]) => ({ name, from: c.from, to: c.to }))
    : Object.entries(x.candidate?.params ?? {}).map(([name, to]) => ({ name, from: undefined, to }));
  // A cached experiment reused a metric without a decision: its delta is against the incumbent it met.
  const cachedDelta = x.metric !== null && x.incumbentMetric != null ? x.metric - x.incumbentMetric : null;
  return {
    n: x.n,
    baseline: x.baseline,
    status: experimentStatus(x, state),
    metric: x.metric,
    delta: x.sameAs !== undefined && !x.status ? cachedDelta : x.delta,
    description: x.description || (x.baseline ? 'baseline' : ''),
    hypothesis: x.candidate?.hypothesis ?? '',
    touched: [...changes.map((c) => c.name), ...edits],
    changes,
    origin: originOf(x.level, x.baseline),
    proposedBy: x.proposedBy ?? null,
    mechanisms: [...(state.shapedBy.get(x.n) ?? [])],
    proposer: x.proposer ?? '',
    baseCommit: x.baseCommit,
    commit: x.commit ?? null,
    sameAs: x.sameAs ?? null,
    seconds: x.training?.seconds ?? null,
    memoryGb: x.memoryGb,
    note: noteOf(x),
    startedAt: x.startedAt,
    params: x.params ?? null,
  };
}

/**
 * The latest reason the experiment's events gave, in the order an iteration goes: rejections before
 * applying, a failed proposal, a cache hit, the stepping gate (an edit, or a person's rejection),
 * training, the decision, an interruption.
 */
function noteOf(x: Experiment): string {
  const last = x.rejections[x.rejections.length - 1];
  const rejection = last ? `rejected by ${last.by}: ${last.reason}` : '';
  return (
    x.interrupted ||
    x.note ||
    x.training?.reason ||
    (last?.by === 'user' ? rejection : '') ||
    (x.edited ? 'edited by hand before training' : '') ||
    (x.sameAs !== undefined ? `same files as #${x.sameAs}` : '') ||
    x.proposalFailure ||
    rejection
  );
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
