import type { RunEvent } from '../../../src/shared/trace/events';

/**
 * Where level 1.5 (strategy review) and level 2 (mechanism research) events sit on the experiment
 * axis: the chart's markers and each mechanism's steps and active spans. What a mechanism is and
 * where it stands (its status, checks, hook counts) comes from the shared fold
 * (src/shared/trace/runState.ts); this is only their placing. O(1) per event.
 *
 * Positions come from the trace's order, not from the events' own n (the engine's count of
 * iterations done, which interrupted iterations and parallel workers set apart from experiment
 * numbers): a level event happened after the highest-numbered iteration finished before it in the
 * trace, and is drawn between that experiment and the next, at x = after + 0.5.
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

/** A step a mechanism took, as the timeline draws it (a failed validation is a step of its own). */
export type MechanismStep = 'proposed' | 'validated' | 'validation-failed' | 'active' | 'deactivated' | 'reverted';

export interface MechanismPlacing {
  /** Each step and the experiment after which it happened. */
  history: { stage: MechanismStep; after: number; detail: string }[];
  /** Where it was active on the x axis; `to` null while still active. */
  spans: { from: number; to: number | null }[];
}

interface Session {
  marker: ChartMarker;
  steps: string[];
  outcome: string;
}

export class LevelTimeline {
  readonly markers: ChartMarker[] = [];
  /** The experiment after which the latest strategy review ran (null before any). */
  strategyAfter: number | null = null;
  /** Mechanism names in the order they first appeared in a level event (hooks included). */
  readonly names: string[] = [];
  private readonly placings = new Map<string, MechanismPlacing>();
  private readonly sessions = new Map<number, Session>();

  /** `after`: the highest-numbered iteration finished before e in the trace (-1 before any). */
  apply(e: LevelEvent, after: number): void {
    switch (e.type) {
      case 'strategy.updated': {
        this.strategyAfter = after;
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
        this.placing(e.name).history.push({ stage: 'proposed', after, detail: e.description });
        return;
      }
      case 'mechanism.validated': {
        const failed = e.checks.filter((c) => !c.ok).map((c) => c.name);
        const detail = `${e.checks.length - failed.length}/${e.checks.length} checks passed${failed.length ? ` (failed: ${failed.join(', ')})` : ''}`;
        this.placing(e.name).history.push({ stage: e.ok ? 'validated' : 'validation-failed', after, detail });
        return;
      }
      case 'mechanism.activated': {
        const p = this.placing(e.name);
        p.history.push({ stage: 'active', after, detail: `by ${e.by}` });
        if (!p.spans.some((s) => s.to === null)) p.spans.push({ from: afterX(after), to: null });
        return;
      }
      case 'mechanism.reverted':
      case 'mechanism.deactivated': {
        const p = this.placing(e.name);
        const how = e.type === 'mechanism.reverted' ? 'reverted' : 'deactivated';
        const detail = e.type === 'mechanism.reverted' ? `by ${e.by}: ${e.reason}` : `${e.hook}: ${e.reason}`;
        p.history.push({ stage: how, after, detail });
        for (const s of p.spans) if (s.to === null) s.to = afterX(after);
        return;
      }
      case 'mechanism.hooks':
        for (const h of e.ran) this.placing(h.mechanism);
        return;
    }
  }

  /** Where a mechanism's steps and spans are (empty for a name never seen). */
  placingOf(name: string): MechanismPlacing {
    return this.placings.get(name) ?? { history: [], spans: [] };
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

  private placing(name: string): MechanismPlacing {
    let p = this.placings.get(name);
    if (!p) {
      p = { history: [], spans: [] };
      this.placings.set(name, p);
      this.names.push(name);
    }
    return p;
  }
}
