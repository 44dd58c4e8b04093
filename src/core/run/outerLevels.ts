import { activateMechanism, rejectMechanism } from '../mechanismResearch/mechanismReview';
import type { MechanismResearcher } from '../mechanismResearch/mechanismResearch';
import { researchMechanism } from '../mechanismResearch/researchSession';
import { mechanismSessionsDue } from '../mechanismResearch/researchCadence';
import type { MechanismRuntime } from '../mechanisms/mechanismRuntime';
import type { RunSession } from '../session/runSession';
import { activeMechanisms } from '../../shared/trace/runState';
import { reviewStrategy } from '../strategyReview/reviewStrategy';
import type { RuleBasedReviewer, StrategyReviewer } from '../strategyReview/strategyReview';

export type Level = 'strategy' | 'mechanism';

/**
 * Levels 1.5 and 2 as the loop runs them at its boundaries: when each is due, running it, a
 * person's accept/reject, and starting the active mechanisms in the runtime the iterations call.
 * Everything they learn goes into the trace through the session.
 */
export class OuterLevels {
  constructor(
    private readonly session: RunSession,
    private readonly runtime: MechanismRuntime,
    private readonly reviewer: StrategyReviewer,
    /** Answers when `reviewer` fails (see reviewStrategy). */
    private readonly fallbackReviewer: RuleBasedReviewer,
    private readonly researcher: MechanismResearcher,
  ) {}

  /** The level due at this boundary, if any: one review per outer cycle, one session per `every` cycles. */
  due(iterations: number): Level | null {
    const { state, config } = this.session;
    const { strategy, mechanisms } = config.levels;
    if (state.iterationsDone >= iterations) return null;
    const cycles = Math.floor(state.iterationsDone / strategy.every);
    if (strategy.enabled && state.strategyReviews < cycles) return 'strategy';
    if (mechanisms.enabled && state.mechanismSessions < mechanismSessionsDue(state, strategy.every, mechanisms.every)) return 'mechanism';
    return null;
  }

  /** At a boundary: the level runs, and a mechanism it validates is activated at once (policy auto). */
  async run(level: Level): Promise<void> {
    if (level === 'strategy') return reviewStrategy(this.session, this.reviewer, this.fallbackReviewer);
    const name = await researchMechanism(this.session, this.researcher);
    if (name) await this.activate(name, 'policy');
  }

  /** Levels that wait on an LLM run while an experiment trains (with overlap); instant ones at a boundary. */
  takesTime(level: Level): boolean {
    return !(level === 'strategy' ? this.reviewer.instant : this.researcher.instant);
  }

  /**
   * The same level, run while experiments train: its results are recorded as they come and take
   * effect at the next proposal; a mechanism's activation (which moves the run branch and the working
   * tree) is handed to `queueActivation` for the next boundary.
   */
  async runWhileTraining(level: Level, queueActivation: (name: string) => void): Promise<void> {
    if (level === 'strategy') return reviewStrategy(this.session, this.reviewer, this.fallbackReviewer);
    const name = await researchMechanism(this.session, this.researcher);
    if (name) queueActivation(name);
  }

  /** Activates a validated mechanism (see activateMechanism) and starts it in its sandbox. */
  async activate(name: string, by: 'policy' | 'user'): Promise<void> {
    const source = await activateMechanism(this.session, name, by);
    await this.start(name, source, null);
  }

  reject(name: string, reason: string): void {
    const wasActive = rejectMechanism(this.session, name, reason) === 'active';
    if (wasActive) this.runtime.deactivate(name);
  }

  /** On resume: the active mechanisms start again from their latest recorded state. */
  async restoreActive(): Promise<void> {
    const { session } = this;
    for (const m of activeMechanisms(session.state)) {
      const source = await session.repo.readFileAt(m.commit, m.file);
      if (source === null) {
        session.emit({ type: 'mechanism.deactivated', n: session.state.iterationsDone, name: m.name, hook: 'load', reason: `${m.file} is missing from ${m.commit.slice(0, 7)}` });
        continue;
      }
      await this.start(m.name, source, m.state);
    }
  }

  private async start(name: string, source: string, state: unknown): Promise<void> {
    try {
      await this.runtime.activate(name, source, state);
    } catch (e) {
      this.session.emit({ type: 'mechanism.deactivated', n: this.session.state.iterationsDone, name, hook: 'load', reason: `the sandbox did not start: ${(e as Error).message}` });
    }
  }
}
