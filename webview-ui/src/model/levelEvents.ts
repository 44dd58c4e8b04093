import type { HookRun, MechanismCheck, RunEvent } from '../../../src/shared/trace/events';

/**
 * What level 1.5 (strategy review) and level 2 (mechanism research) did in one run, folded from
 * their events (typed in src/shared/trace/events.ts) into what the chart and the mechanisms
 * timeline draw. O(1) per event.
 *
 * Positions come from the trace's order, not from the events' own n (the engine's count of
 * iterations done, which interrupted iterations and parallel workers set apart from experiment
 * numbers): a level event happened after the highest-numbered iteration finished before it in the
 * trace, and is drawn between that experiment and the next, at x = after + 0.5. mechanism.hooks is
 * the exception: its n is the iteration the hooks ran for.
 */

export type LevelEvent = Extract<
  RunEvent,
  {
    type:
      | 'strategy.updated'
      | 'mechanism.research.step'
      | 'mechanism.research.failed'
      | 'mechanism.proposed'
      | 'mechanism.validated'
      | 'mechanism.activated'
      | 'mechanism.reverted'
      | 'mechanism.deactivated'
      | 'mechanism.hooks';
  }
>;

const LEVEL_TYPES: ReadonlySet<string> = new Set<LevelEvent['type']>([
  'strategy.updated',
  'mechanism.research.step',
  'mechanism.research.failed',
  'mechanism.proposed',
  'mechanism.validated',
  'mechanism.activated',
  'mechanism.reverted',
  'mechanism.deactivated',
  'mechanism.hooks',
]);

export const isLevelEvent = (e: { type: string }): e is LevelEvent => LEVEL_TYPES.has(e.type);

/** Where "after iteration n" is on the experiment axis. */
export const afterX = (n: number) => n + 0.5;

/**
 * Which level proposed an experiment: the baseline, the inner loop (level 1), or a mechanism's
 * `propose` hook (level 2). Mechanisms that only shaped it are in ExperimentRow.mechanisms.
 */
export type Origin = 'baseline' | 'L1' | 'L2';
export const ORIGINS: readonly Origin[] = ['baseline', 'L1', 'L2'];

export function originOf(level: 1 | 2 | undefined, baseline: boolean): Origin {
  if (baseline) return 'baseline';
  return level === 2 ? 'L2' : 'L1';
}

/** A vertical marker on the experiment axis. */
export interface ChartMarker {
  x: number;
  kind: 'strategy' | 'mechanism';
  label: string;
  detail: string;
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

export type MechanismStage = 'proposed' | 'validated' | 'validation-failed' | 'active' | 'deactivated' | 'reverted';

export interface HookStat {
  hook: HookRun['hook'];
  runs: number;
  /** How often each result word came back (ok, guided, vetoed, …). */
  results: Record<string, number>;
  ms: number;
}

export interface MechanismView {
  name: string;
  description: string;
  /** Hooks the module declares; `hooks` below are those that actually ran. */
  declaredHooks: string[];
  session: number | null;
  stage: MechanismStage;
  /** Each step and the experiment after which it happened. */
  history: { stage: MechanismStage; after: number; detail: string }[];
  validation: { ok: boolean; checks: MechanismCheck[] } | null;
  /** Where it was active on the x axis; `to` null while still active. */
  spans: { from: number; to: number | null }[];
  hooks: HookStat[];
  hookRuns: number;
  /** Experiments at least one of its hooks ran for. */
  experiments: number;
}

interface Session {
  marker: ChartMarker;
  steps: string[];
  outcome: string;
}

export class LevelFold {
  readonly markers: ChartMarker[] = [];
  strategy: StrategyInForce | null = null;
  private readonly mechs = new Map<string, { view: MechanismView; hookIndex: Map<string, HookStat>; shaped: Set<number> }>();
  private readonly sessions = new Map<number, Session>();
  /** Iteration → mechanisms whose hooks ran for it. */
  private readonly shaped = new Map<number, string[]>();

  /** `after`: the highest-numbered iteration finished before e in the trace (-1 before any). */
  apply(e: LevelEvent, after: number): void {
    switch (e.type) {
      case 'strategy.updated': {
        this.strategy = { after, cycle: e.cycle, reviewer: e.reviewer, frozen: e.frozen, focus: e.focus, guidance: e.guidance };
        const parts = [
          e.focus.length && `focus: ${e.focus.join(', ')}`,
          e.frozen.length && `frozen: ${e.frozen.join(', ')}`,
          e.unfrozen.length && `unfrozen: ${e.unfrozen.join(', ')}`,
          e.guidance,
        ].filter(Boolean);
        this.markers.push({ x: afterX(after), kind: 'strategy', label: `strategy review ${e.cycle}`, detail: parts.join(' · ') });
        return;
      }
      case 'mechanism.research.step': {
        const s = this.session(e.session, after);
        // A failed step's error is also the session's reason (mechanism.research.failed), shown once.
        s.steps.push(e.ok ? e.step : `${e.step} failed`);
        this.describe(s);
        return;
      }
      case 'mechanism.research.failed': {
        const s = this.session(e.session, after);
        s.outcome = `no mechanism: ${e.reason}`;
        this.describe(s);
        return;
      }
      case 'mechanism.proposed': {
        const s = this.session(e.session, after);
        s.outcome = `proposed ${e.name}`;
        this.describe(s);
        const m = this.mech(e.name);
        Object.assign(m.view, { description: e.description, declaredHooks: e.hooks, session: e.session });
        this.step(m.view, 'proposed', after, e.description);
        return;
      }
      case 'mechanism.validated': {
        const m = this.mech(e.name);
        m.view.validation = { ok: e.ok, checks: e.checks };
        const failed = e.checks.filter((c) => !c.ok).map((c) => c.name);
        const detail = `${e.checks.length - failed.length}/${e.checks.length} checks passed${failed.length ? ` (failed: ${failed.join(', ')})` : ''}`;
        this.step(m.view, e.ok ? 'validated' : 'validation-failed', after, detail);
        return;
      }
      case 'mechanism.activated': {
        const m = this.mech(e.name);
        this.step(m.view, 'active', after, `by ${e.by}`);
        if (!m.view.spans.some((s) => s.to === null)) m.view.spans.push({ from: afterX(after), to: null });
        return;
      }
      case 'mechanism.reverted':
      case 'mechanism.deactivated': {
        const m = this.mech(e.name);
        const how = e.type === 'mechanism.reverted' ? 'reverted' : 'deactivated';
        const detail = e.type === 'mechanism.reverted' ? `by ${e.by}: ${e.reason}` : `${e.hook}: ${e.reason}`;
        this.step(m.view, how, after, detail);
        for (const s of m.view.spans) if (s.to === null) s.to = afterX(after);
        return;
      }
      case 'mechanism.hooks':
        for (const h of e.ran) this.countHook(h, e.n);
        return;
    }
  }

  /** Mechanisms in the order they first appeared. */
  mechanisms(): MechanismView[] {
    return [...this.mechs.values()].map((m) => m.view);
  }

  mechanismNames(): string[] {
    return [...this.mechs.keys()];
  }

  /** Mechanisms whose hooks ran for iteration n (a fresh array). */
  shapedBy(n: number): string[] {
    return [...(this.shaped.get(n) ?? [])];
  }

  private session(id: number, after: number): Session {
    let s = this.sessions.get(id);
    if (!s) {
      s = { marker: { x: afterX(after), kind: 'mechanism', label: `mechanism research ${id}`, detail: '' }, steps: [], outcome: '' };
      this.sessions.set(id, s);
      this.markers.push(s.marker);
    }
    return s;
  }

  private describe(s: Session): void {
    s.marker.detail = [s.outcome, s.steps.join(' → ')].filter(Boolean).join(' · ');
  }

  private mech(name: string) {
    let m = this.mechs.get(name);
    if (!m) {
      m = {
        view: { name, description: '', declaredHooks: [], session: null, stage: 'proposed', history: [], validation: null, spans: [], hooks: [], hookRuns: 0, experiments: 0 },
        hookIndex: new Map(),
        shaped: new Set(),
      };
      this.mechs.set(name, m);
    }
    return m;
  }

  private step(v: MechanismView, stage: MechanismStage, after: number, detail: string): void {
    v.stage = stage;
    v.history.push({ stage, after, detail });
  }

  private countHook(h: HookRun, n: number): void {
    const m = this.mech(h.mechanism);
    // Hooks of a mechanism this trace never proposed (e.g. one carried over from another run): it is evidently active.
    if (m.view.history.length === 0) m.view.stage = 'active';
    let c = m.hookIndex.get(h.hook);
    if (!c) {
      c = { hook: h.hook, runs: 0, results: {}, ms: 0 };
      m.hookIndex.set(h.hook, c);
      m.view.hooks.push(c);
    }
    c.runs++;
    c.results[h.result] = (c.results[h.result] ?? 0) + 1;
    c.ms += h.ms;
    m.view.hookRuns++;
    if (!m.shaped.has(n)) {
      m.shaped.add(n);
      m.view.experiments++;
      const list = this.shaped.get(n) ?? [];
      list.push(h.mechanism);
      this.shaped.set(n, list);
    }
  }
}
