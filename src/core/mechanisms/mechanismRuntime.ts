import { INNER_PROPOSER, proposingTurn, type ArmCredit } from '../mechanisms/proposalShare';
import type { HookRun } from '../../shared/trace/events';
import type { ContextWithoutState, HookName, MechanismCandidate, MechanismResult, ReviewedCandidate } from './mechanism';
import { MechanismSandbox, type SandboxLimits } from './mechanismSandbox';

/**
 * The active mechanisms of a running loop: each in its own sandbox process, called hook by hook.
 * The runtime serialises calls per mechanism (parallel workers share one state), records what ran for each iteration (provenance),
 * and switches a mechanism off the first time it misbehaves; the loop goes on with the rest.
 */

export type HookCall = { ok: true; output: Record<string, unknown>; state: unknown; ms: number } | { ok: false; failure: string; detail: string; ms: number };

/** One mechanism's sandbox, as the runtime needs it (see mechanisms/mechanismSandbox). */
export interface SandboxedMechanism {
  readonly hooks: readonly HookName[];
  /** Calls one hook with the mechanism's current state; on success `state` is its next state. */
  call(hook: HookName, ctx: ContextWithoutState, arg?: unknown): Promise<HookCall>;
  close(): void;
}

/** Starts a mechanism from its source and a state to resume from; throws when it cannot load. */
export type StartSandbox = (m: { name: string; source: string; state: unknown }) => Promise<SandboxedMechanism>;

interface Running {
  name: string;
  sandbox: SandboxedMechanism;
  queue: Promise<unknown>;
}

/** What the mechanisms' beforePropose said for one iteration: guidance lines, parameters frozen, focus. */
export interface Steer {
  guidance: string[];
  freeze: { name: string; by: string }[];
  focus: string[];
}

/** A mechanism's decide that overrode the metric's verdict (or, on a confirmation run, confirmed it). */
export interface MechanismOverride {
  name: string;
  status: 'keep' | 'discard' | 'rerun';
  reason: string;
}

export const NO_STEER: Steer = { guidance: [], freeze: [], focus: [] };

export class MechanismRuntime {
  private readonly running = new Map<string, Running>();
  private readonly runs = new Map<number, HookRun[]>();

  constructor(
    private readonly start: StartSandbox,
    /** Called once when a mechanism is switched off for misbehaving; the loop records it. */
    private readonly onFailure: (name: string, hook: HookName, reason: string, n: number) => void,
  ) {}

  /** Names of the mechanisms running now, in activation order. */
  names(): string[] {
    return [...this.running.keys()];
  }

  hasHook(hook: HookName): boolean {
    return this.with(hook).length > 0;
  }

  async activate(name: string, source: string, state: unknown): Promise<void> {
    if (this.running.has(name)) return;
    const sandbox = await this.start({ name, source, state: state ?? null });
    this.running.set(name, { name, sandbox, queue: Promise.resolve() });
  }

  deactivate(name: string): void {
    this.running.get(name)?.sandbox.close();
    this.running.delete(name);
  }

  closeAll(): void {
    for (const name of this.names()) this.deactivate(name);
  }

  /** The hooks that ran for iteration n, removed from the runtime (they go into the trace once). */
  takeRuns(n: number): HookRun[] {
    const ran = this.runs.get(n) ?? [];
    this.runs.delete(n);
    return ran;
  }

  async beforePropose(n: number, ctx: ContextWithoutState): Promise<Steer> {
    const out: Steer = { guidance: [], freeze: [], focus: [] };
    for (const m of this.with('beforePropose')) {
      const r = await this.call(m, 'beforePropose', n, ctx, undefined, (o) => (o.guidance || o.freeze || o.focus ? 'guided' : 'ok'));
      if (!r) continue;
      if (typeof r.guidance === 'string' && r.guidance.trim()) out.guidance.push(`${m.name}: ${r.guidance.trim()}`);
      for (const p of strings(r.freeze)) out.freeze.push({ name: p, by: m.name });
      out.focus.push(...strings(r.focus));
    }
    return out;
  }

  /**
   * The bandit over proposers decides who is asked first (see proposingTurn, credited from the trace);
   * null leaves the proposal to the inner proposer: its turn, or every mechanism asked passed.
   */
  async propose(n: number, ctx: ContextWithoutState, credit: ReadonlyMap<string, ArmCredit> = new Map()): Promise<{ name: string; candidate: MechanismCandidate } | null> {
    const proposing = this.with('propose');
    for (const name of proposingTurn(proposing.map((m) => m.name), credit, n)) {
      if (name === INNER_PROPOSER) return null;
      const m = proposing.find((x) => x.name === name)!;
      const r = await this.call(m, 'propose', n, ctx, undefined, (o) => (o.candidate ? 'proposed' : 'passed'));
      if (r?.candidate) return { name: m.name, candidate: r.candidate as MechanismCandidate };
    }
    return null;
  }

  /** The first veto, if any. Every mechanism with the hook sees the candidate (their state may count it). */
  async review(n: number, ctx: ContextWithoutState, candidate: ReviewedCandidate): Promise<{ name: string; reason: string } | null> {
    let veto: { name: string; reason: string } | null = null;
    for (const m of this.with('reviewCandidate')) {
      const r = await this.call(m, 'reviewCandidate', n, ctx, candidate, (o) => (o.verdict === 'reject' ? 'vetoed' : 'accepted'));
      if (r?.verdict === 'reject' && !veto) veto = { name: m.name, reason: typeof r.reason === 'string' && r.reason ? r.reason : 'rejected (no reason given)' };
    }
    return veto;
  }

  /** The first mechanism that overrides keep/discard decides. */
  async decide(n: number, ctx: ContextWithoutState, result: MechanismResult): Promise<MechanismOverride | null> {
    let override: MechanismOverride | null = null;
    for (const m of this.with('decide')) {
      const r = await this.call(m, 'decide', n, ctx, result, (o) => (o.status && o.status !== result.status ? `overrode:${String(o.status)}` : 'agreed'));
      // On a confirmation run the mechanism's word is the decision even when it agrees with the metric.
      if (!override && r && (r.status === 'keep' || r.status === 'discard' || r.status === 'rerun') && (r.status !== result.status || result.reruns?.length)) {
        override = { name: m.name, status: r.status, reason: typeof r.reason === 'string' ? r.reason : '' };
      }
    }
    return override;
  }

  async afterResult(n: number, ctx: ContextWithoutState, result: MechanismResult): Promise<void> {
    for (const m of this.with('afterResult')) await this.call(m, 'afterResult', n, ctx, result, () => 'ok');
  }

  private with(hook: HookName): Running[] {
    return [...this.running.values()].filter((m) => m.sandbox.hooks.includes(hook));
  }

  /** One hook call, after the mechanism's previous call; null when it failed (and it is now off). */
  private call(m: Running, hook: HookName, n: number, ctx: ContextWithoutState, arg: unknown, word: (o: Record<string, unknown>) => string): Promise<Record<string, unknown> | null> {
    const next = m.queue.then(async () => {
      if (!this.running.has(m.name)) return null;
      const r = await m.sandbox.call(hook, ctx, arg);
      const ran = this.runs.get(n) ?? [];
      this.runs.set(n, ran);
      if (!r.ok) {
        ran.push({ mechanism: m.name, hook, result: 'failed', ms: r.ms, output: { failure: r.failure, detail: r.detail } });
        this.deactivate(m.name);
        this.onFailure(m.name, hook, `${hook} ${r.failure}: ${r.detail}`, n);
        return null;
      }
      ran.push({ mechanism: m.name, hook, result: word(r.output), ms: r.ms, output: r.output, state: r.state });
      return r.output;
    });
    m.queue = next.catch(() => undefined);
    return next;
  }
}

const strings = (x: unknown): string[] => (Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : []);

/** The real thing: each mechanism in its own permission-model Node process (mechanisms/mechanismSandbox). */
export function sandboxStarter(limits: Partial<SandboxLimits>): StartSandbox {
  return async ({ name, source, state }) => {
    const box = await MechanismSandbox.start({ name, source, limits, state });
    if (box.failure) {
      void box.close();
      throw new Error(`${box.failure.failure}: ${box.failure.detail}`);
    }
    return {
      hooks: box.hooks,
      call: async (hook, ctx, arg) => {
        const call = box.call.bind(box) as (h: HookName, c: ContextWithoutState, ...a: unknown[]) => ReturnType<MechanismSandbox['call']>;
        const r = await call(hook, ctx, ...(arg === undefined ? [] : [arg]));
        if (!r.ok) return r;
        const { state: _returned, ...output } = r.output as Record<string, unknown>;
        return { ok: true, output, state: box.state, ms: r.ms };
      },
      close: () => void box.close(),
    };
  };
}
