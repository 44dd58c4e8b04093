import type { RunEvent, RunEventBody } from '../../shared/trace/events';
import { mechanismBranch, type RunRepo } from '../git/runRepo';
import { MECHANISM_INTERFACE_TEXT, type ContextParam, type ContextWithoutState } from '../mechanisms/mechanism';
import { mechanismContext } from '../mechanisms/replayContexts';
import { validateMechanism } from '../mechanisms/validateMechanism';
import { parseMechanismModule } from '../mechanisms/mechanismModule';
import { isHookName } from '../mechanisms/mechanism';
import { activeMechanisms, type MechanismStatus, type RunState } from '../../shared/trace/runState';
import { parseParams } from '../target/pythonParams';
import type { TargetConfig } from '../target/targetConfig';
import { mechanismName, ResearchFailed, type MechanismResearcher } from '../mechanismResearch/mechanismResearch';
import { MechanismRuntime, type StartSandbox } from '../mechanisms/mechanismRuntime';
import { ruleBasedReview, sanitizeDecision, summarizeTrace, type StrategyReviewer } from '../strategyReview/strategyReview';

/**
 * Levels 1.5 and 2 as the loop runs them at its boundaries: when each is due, the strategy review,
 * the mechanism research session (propose → commit on its branch → validate → activate or revert),
 * a person's accept/reject, and the runtime of the active mechanisms. Everything it learns goes into
 * the trace through `host.emit`; nothing is kept here that the trace does not say.
 */

export const MECHANISMS_DIR = '.autoresearch/mechanisms';
export const MECHANISMS_MANIFEST = '.autoresearch/mechanisms.json';

export type Level = 'strategy' | 'mechanism';

export interface LevelsHost {
  readonly tag: string;
  readonly repo: RunRepo;
  readonly config: TargetConfig;
  state(): RunState;
  /** The trace so far (validation replays it). */
  events(): readonly RunEvent[];
  emit(body: RunEventBody): void;
  bestCommit(): string;
  /** Moves the run branch to a commit on top of its best (the working tree follows when it is checked out). */
  moveRunBranch(commit: string): Promise<void>;
  /** Git changes to the repository happen one at a time. */
  exclusive<T>(f: () => Promise<T>): Promise<T>;
  signal?: AbortSignal;
}

export class Aborted extends Error {}

export class OuterLevels {
  readonly runtime: MechanismRuntime;

  constructor(
    private readonly host: LevelsHost,
    private readonly reviewer: StrategyReviewer,
    private readonly researcher: MechanismResearcher,
    startSandbox: StartSandbox,
  ) {
    this.runtime = new MechanismRuntime(startSandbox, (name, hook, reason, n) => host.emit({ type: 'mechanism.deactivated', n, name, hook, reason }));
  }

  /** The level due at this boundary, if any: one review per outer cycle, one session per `every` cycles. */
  due(iterations: number): Level | null {
    const state = this.host.state();
    const { strategy, mechanisms } = this.host.config.levels;
    if (state.iterationsDone >= iterations) return null;
    const cycles = Math.floor(state.iterationsDone / strategy.every);
    if (strategy.enabled && state.strategyReviews < cycles) return 'strategy';
    if (mechanisms.enabled && state.mechanismSessions < Math.floor(cycles / mechanisms.every)) return 'mechanism';
    return null;
  }

  async run(level: Level): Promise<void> {
    if (level === 'strategy') await this.reviewStrategy();
    else await this.researchMechanism();
  }

  /** Levels that wait on an LLM run while an experiment trains (with overlap); instant ones at a boundary. */
  takesTime(level: Level): boolean {
    return !(level === 'strategy' ? this.reviewer.instant : this.researcher.instant);
  }

  /**
   * The same level, run while experiments train: its results are recorded as they come and take
   * effect at the next proposal; a mechanism's activation waits for the next boundary.
   */
  async runWhileTraining(level: Level, queueActivation: (name: string) => void): Promise<void> {
    if (level === 'strategy') return this.reviewStrategy();
    return this.researchMechanism(queueActivation);
  }

  /** The run's parameters at the best commit, marked frozen by config or strategy. */
  async params(): Promise<ContextParam[]> {
    const { parameters } = this.host.config;
    const source = await this.host.repo.requireFileAt(this.host.bestCommit(), parameters.file);
    const excluded = new Set(parameters.exclude);
    const frozen = new Set([...parameters.frozen, ...this.host.state().strategy.frozen]);
    return parseParams(source, { names: parameters.names })
      .filter((p) => !excluded.has(p.name))
      .map((p) => ({ name: p.name, value: p.value, kind: p.kind, frozen: frozen.has(p.name), ...(parameters.choices[p.name] ? { choices: parameters.choices[p.name] } : {}) }));
  }

  /** What every hook receives about iteration n. `extraFrozen`/`extraFocus`: what mechanisms added this iteration. */
  context(params: ContextParam[], n: number, extraFrozen: string[] = [], extraFocus: string[] = []): ContextWithoutState {
    const strategy = this.host.state().strategy;
    return mechanismContext(this.host.state(), {
      iteration: n,
      space: params.map((p) => ({ name: p.name, kind: p.kind, choices: p.choices })),
      incumbentParams: Object.fromEntries(params.map((p) => [p.name, p.value])),
      frozen: [...new Set([...params.filter((p) => p.frozen).map((p) => p.name), ...extraFrozen])],
      focus: [...new Set([...strategy.focus, ...extraFocus])],
    });
  }

  async reviewStrategy(): Promise<void> {
    const { host } = this;
    const state = host.state();
    const params = await this.params();
    const summary = summarizeTrace(state, params);
    let reviewer = this.reviewer.name;
    let decision;
    try {
      decision = await this.reviewer.review(summary, state.strategy, host.signal);
    } catch (e) {
      if (host.signal?.aborted) throw new Aborted();
      // A failed LLM review must not leave the cycle unreviewed: the rules answer instead, and say so.
      reviewer = `rules (the ${this.reviewer.name} reviewer failed: ${(e as Error).message})`;
      decision = ruleBasedReview(summary, state.strategy, { freezeAfter: host.config.levels.strategy.freezeAfter, maxFocus: 3 });
    }
    const clean = sanitizeDecision(decision, params.map((p) => p.name), host.config.parameters.frozen, state.strategy);
    const ignored = clean.ignored.length ? ` (ignored unknown or config-frozen names: ${clean.ignored.join(', ')})` : '';
    host.emit({
      type: 'strategy.updated',
      n: state.iterationsDone,
      cycle: state.strategyReviews + 1,
      reviewer,
      frozen: clean.frozen,
      unfrozen: clean.unfrozen,
      focus: clean.focus,
      guidance: clean.guidance + ignored,
    });
  }

  /**
   * `queueActivation`: when the session runs while an experiment trains, activation (which moves the
   * run branch and the working tree) is handed to the caller for the next boundary.
   */
  async researchMechanism(queueActivation?: (name: string) => void): Promise<void> {
    const { host } = this;
    const state = host.state();
    const session = state.mechanismSessions + 1;
    const n = state.iterationsDone;
    const params = await this.params();
    const active = await Promise.all(
      activeMechanisms(state).map(async (m) => ({ name: m.name, description: m.description, source: await host.repo.requireFileAt(m.commit, m.file) })),
    );
    const earlier = [...state.mechanisms.values()].filter((m) => m.status !== 'active').map((m) => ({ name: m.name, status: m.status, reason: m.reason }));
    let researched;
    try {
      researched = await this.researcher.research(
        { summary: summarizeTrace(state, params), active, earlier, interfaceText: MECHANISM_INTERFACE_TEXT },
        (s) => host.emit({ type: 'mechanism.research.step', n, session, ...s }),
        host.signal,
      );
    } catch (e) {
      if (host.signal?.aborted) throw new Aborted();
      if (!(e instanceof ResearchFailed)) throw e;
      host.emit({ type: 'mechanism.research.failed', n, session, reason: e.message });
      return;
    }
    const name = mechanismName(researched.name, new Set(state.mechanisms.keys()));
    const file = `${MECHANISMS_DIR}/${name}.mjs`;
    const branch = mechanismBranch(host.tag, session, name);
    const commit = await host.exclusive(async () => {
      const c = await host.repo.commitFilesOnto(
        host.bestCommit(),
        { [file]: researched.source, [MECHANISMS_MANIFEST]: manifest(state, name, researched.description, 'proposed') },
        `mechanism: ${name}\n\n${researched.description}`,
      );
      await host.repo.setBranch(branch, c);
      return c;
    });
    host.emit({ type: 'mechanism.proposed', n, session, name, description: researched.description, file, branch, commit, hooks: exportedHooks(researched.source) });
    const validation = await validateMechanism(researched.source, {
      trace: host.events(),
      space: params.map((p) => ({ name: p.name, kind: p.kind, choices: p.choices })),
      configFrozen: host.config.parameters.frozen,
      limits: this.limits(),
    });
    host.emit({ type: 'mechanism.validated', n, name, ok: validation.ok, checks: validation.checks });
    if (!validation.ok) {
      const failed = validation.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
      host.emit({ type: 'mechanism.reverted', n, name, by: 'validation', reason: failed.join('; ') });
      return;
    }
    if (host.config.levels.mechanisms.policy !== 'auto') return;
    if (queueActivation) queueActivation(name);
    else await this.activate(name, 'policy');
  }

  /** Activates a validated mechanism (see activateMechanism) and starts it in its sandbox. */
  async activate(name: string, by: 'policy' | 'user'): Promise<void> {
    const source = await activateMechanism(this.host, name, by);
    await this.start(name, source, null);
  }

  reject(name: string, reason: string): void {
    const wasActive = rejectMechanism(this.host, name, reason) === 'active';
    if (wasActive) this.runtime.deactivate(name);
  }

  /** On resume: the active mechanisms start again from their latest recorded state. */
  async restoreActive(): Promise<void> {
    for (const m of activeMechanisms(this.host.state())) {
      const source = await this.host.repo.readFileAt(m.commit, m.file);
      if (source === null) {
        this.host.emit({ type: 'mechanism.deactivated', n: this.host.state().iterationsDone, name: m.name, hook: 'load', reason: `${m.file} is missing from ${m.commit.slice(0, 7)}` });
        continue;
      }
      await this.start(m.name, source, m.state);
    }
  }

  private async start(name: string, source: string, state: unknown): Promise<void> {
    try {
      await this.runtime.activate(name, source, state);
    } catch (e) {
      this.host.emit({ type: 'mechanism.deactivated', n: this.host.state().iterationsDone, name, hook: 'load', reason: `the sandbox did not start: ${(e as Error).message}` });
    }
  }

  private limits() {
    const { callTimeoutMs, memoryMb } = this.host.config.levels.mechanisms;
    return { callMs: callTimeoutMs, memoryMb };
  }
}

/**
 * Brings a validated mechanism onto the run branch: a commit on the best that adds its module and the
 * manifest. The best result stays; its commit moves to this one. Returns the module's source.
 */
export async function activateMechanism(host: LevelsHost, name: string, by: 'policy' | 'user'): Promise<string> {
  const m = host.state().mechanisms.get(name);
  if (!m) throw new Error(`no mechanism named ${name} in run ${host.tag}`);
  if (m.status !== 'awaiting-review') throw new Error(`mechanism ${name} is ${m.status}, not awaiting review`);
  const source = await host.repo.readFileAt(m.commit, m.file);
  if (source === null) throw new Error(`mechanism ${name}: ${m.file} is missing from ${m.commit.slice(0, 7)}`);
  const commit = await host.exclusive(async () => {
    const c = await host.repo.commitFilesOnto(host.bestCommit(), { [m.file]: source, [MECHANISMS_MANIFEST]: manifest(host.state(), name, m.description, 'active') }, `mechanism: activate ${name}`);
    await host.moveRunBranch(c);
    return c;
  });
  host.emit({ type: 'mechanism.activated', n: host.state().iterationsDone, name, by, commit });
  return source;
}

/** A person's rejection of a mechanism awaiting review or active; returns the status it had. */
export function rejectMechanism(host: Pick<LevelsHost, 'tag' | 'state' | 'emit'>, name: string, reason: string): MechanismStatus {
  const m = host.state().mechanisms.get(name);
  if (!m) throw new Error(`no mechanism named ${name} in run ${host.tag}`);
  if (m.status !== 'awaiting-review' && m.status !== 'active') throw new Error(`mechanism ${name} is ${m.status}: nothing to reject`);
  const was = m.status;
  host.emit({ type: 'mechanism.reverted', n: host.state().iterationsDone, name, by: 'user', reason: reason || 'rejected in review' });
  return was;
}

/** .autoresearch/mechanisms.json: what the run branch carries, a record for people (the trace is the truth). */
function manifest(state: RunState, name: string, description: string, status: 'proposed' | 'active'): string {
  const entries = activeMechanisms(state).map((m) => ({ name: m.name, file: m.file, description: m.description, status: 'active' }));
  entries.push({ name, file: `${MECHANISMS_DIR}/${name}.mjs`, description, status });
  return JSON.stringify({ mechanisms: entries }, null, 2) + '\n';
}


/** The hooks a module exports by name (before validation says whether they work). */
function exportedHooks(source: string): string[] {
  const parsed = parseMechanismModule(source);
  return parsed.ok ? parsed.exports.filter(isHookName) : [];
}
