import type { RunEventBody } from '../../shared/trace/events';
import { CONFIG_FILE } from '../target/targetConfig';
import { needsBaseline } from '../../shared/trace/runState';
import { levelsInForce, proposeEarly, sameLevels, type EarlyProposal } from '../innerLoop/earlyProposal';
import type { InnerLoop, Slot } from '../innerLoop/innerLoop';
import { throwIfAborted } from '../innerLoop/interrupted';
import { Iteration } from '../innerLoop/iteration';
import type { Level, OuterLevels } from './outerLevels';

/** Work for the next boundary (nothing in flight): levels asked for now, and people's verdicts on mechanisms. */
export type BoundaryItem =
  | { kind: 'level'; level: Level }
  | { kind: 'activate'; name: string }
  | { kind: 'review'; name: string; verdict: 'accept' | 'reject'; reason: string; done: (e?: Error) => void };

/** What the run asks of the scheduler from outside (pause, verdicts, levels now), read at each step. */
export interface Boundary {
  items: BoundaryItem[];
  pauseRequested: boolean;
}

export interface SchedulerOptions {
  /** Iterations that train, for the run (the baseline not counted; see RunState.iterationsDone). */
  iterations: number;
  /** Propose the next candidate while an experiment trains (see ResearchRunOptions.overlap). */
  overlap: boolean;
}

/**
 * What a failed baseline tells the user: fix it where they like (the run branch or the branch the
 * run started from), commit, and adopt the fix; or start afresh.
 */
export function baselineFailed(reason: string, log: string, runBranch: string, startBranch: string | null): string {
  const where = startBranch ? `${runBranch} (checked out now) or on ${startBranch}` : runBranch;
  return `The baseline run failed (${reason}); see ${log}. Fix it and commit the fix on ${where}, then run \`bilevel run --adopt\`: the fix is trained as the new baseline and the run goes on from it (a fixed ${CONFIG_FILE} is used too). Or start a fresh run with \`bilevel run --new\`.`;
}

/** A proposer that fails this many times in a row (endpoint down, bad key) stops the run instead of burning iterations. */
const MAX_PROPOSAL_FAILURES_IN_A_ROW = 3;
/** Iterations that trained nothing (rejected, cached, failed) cost no budget; this many in a row stop the run instead of spinning. */
const MAX_IDLE_ITERATIONS_IN_A_ROW = 10;

/**
 * Keeps one experiment in flight per worker until the iteration budget is spent. With one worker
 * this is the plain loop: propose, train, judge, repeat. Proposals are made one at a time (each sees
 * what is already in flight); results are judged as they finish. Owns what is in flight, the level
 * that runs beside training, and the proposal prepared early (overlap).
 */
export class Scheduler {
  private readonly inFlight = new Map<number, Promise<void>>();
  /** A level that waits on an LLM, running while experiments train (overlap). */
  private levelTask: Promise<void> | null = null;
  private early: EarlyProposal | null = null;
  private lastProposalFailure: string | undefined;
  /** A failure inside a run in flight (git, disk) surfaces here once its siblings have settled. */
  private failure: unknown;
  /** The slots in rotation: a worker whose executor fails is taken out (see retire). */
  private live: Slot[] = [];
  /** Live slots with nothing in flight. */
  private free: Slot[] = [];

  constructor(
    private readonly loop: InnerLoop,
    private readonly levels: OuterLevels,
    private readonly boundary: Boundary,
    private readonly opts: SchedulerOptions,
  ) {}

  /** Runs until the budget is spent, a pause or a stop; returns the event that ends the run, if not `completed`. */
  async schedule(slots: Slot[]): Promise<RunEventBody | null> {
    const { session } = this.loop;
    const { inFlight } = this;
    this.live = [...slots];
    const free = (this.free = [...slots]);
    let failuresInARow = 0;
    let idleInARow = 0;
    let stop: RunEventBody | null = null;
    try {
      while (!stop) {
        throwIfAborted(session.signal);
        const state = session.state;
        if (needsBaseline(state)) {
          if (inFlight.size) {
            await this.drain();
            continue;
          }
          const slot = this.live[0];
          const it = Iteration.begin(this.loop, slot, true);
          const baseline = await it.baseline();
          // The first proposal, too, is prepared while something trains: the baseline.
          if (session.state.iterationsDone < this.opts.iterations) this.proposeEarly(baseline.n);
          const result = await it.train(baseline);
          if (it.workerFailure) this.retire(slot, it);
          if (result === 'crash') {
            const x = session.state.experiments[session.state.experiments.length - 1];
            stop = { type: 'run.stopped', reason: 'error', message: baselineFailed(x.training?.reason ?? 'no metric', x.training?.log ?? 'the log', session.branch, session.state.startBranch) };
          }
          continue;
        }
        if (this.baselineRuns() < session.config.metric.baselineRepeats) {
          if (inFlight.size) {
            await this.drain();
            continue;
          }
          const slot = this.live[0];
          const it = Iteration.begin(this.loop, slot, true);
          await it.train(await it.baseline());
          if (it.workerFailure) this.retire(slot, it);
          continue;
        }
        // A level that waits on an LLM runs beside the training (overlap); its results take effect at
        // the next proposal. Other levels, verdicts and pauses wait for a boundary with nothing in flight.
        const due = this.levelTask ? null : this.levels.due(this.opts.iterations);
        if (due && this.opts.overlap && this.levels.takesTime(due)) {
          this.levelTask = this.levels
            .runWhileTraining(due, (name) => this.boundary.items.push({ kind: 'activate', name }))
            .then(() => {
              // A candidate prepared before the review no longer fits: prepare again now, still hidden by the training.
              if (this.early && !sameLevels(this.early.levels, levelsInForce(session.state, this.loop.runtime)) && inFlight.size) {
                this.early = null;
                this.proposeEarly(Math.max(...inFlight.keys()));
              }
            })
            .catch((e: unknown) => void (this.failure ??= e))
            .finally(() => (this.levelTask = null));
          continue;
        }
        const atBoundary = this.boundary.items.length > 0 || this.boundary.pauseRequested || due !== null;
        if (atBoundary && (inFlight.size || this.levelTask)) {
          await this.drain();
          if (this.failure) throw this.failure;
          continue;
        }
        if (await this.runBoundaryWork(due)) continue;
        if (this.boundary.pauseRequested) {
          stop = { type: 'run.paused', reason: 'paused at a boundary, as asked' };
          break;
        }
        if (free.length && session.state.iterationsDone + inFlight.size < this.opts.iterations) {
          const slot = free.shift()!;
          const it = Iteration.begin(this.loop, slot, false);
          const prepared = await it.propose(() => this.takeEarly());
          if (typeof prepared === 'string') {
            free.unshift(slot);
            if (it.proposalFailure !== undefined) this.lastProposalFailure = it.proposalFailure;
            failuresInARow = prepared === 'proposal-failed' ? failuresInARow + 1 : 0;
            idleInARow++;
            const trained = `${session.state.iterationsDone} of ${this.opts.iterations} trainings done`;
            if (failuresInARow >= MAX_PROPOSAL_FAILURES_IN_A_ROW) {
              stop = { type: 'run.stopped', reason: 'error', message: `${failuresInARow} proposals in a row failed (last: ${this.lastProposalFailure ?? 'unknown'}); ${trained}. Fix the proposer (endpoint, model, key) and run again to resume.` };
            } else if (idleInARow >= MAX_IDLE_ITERATIONS_IN_A_ROW) {
              stop = { type: 'run.stopped', reason: 'error', message: `${idleInARow} iterations in a row trained nothing (the last: ${prepared}); ${trained}. The proposals were rejected or trained before: see the rejections in the trace, then run again to resume.` };
            }
            continue;
          }
          failuresInARow = 0;
          idleInARow = 0;
          const done = it
            .train(prepared)
            .then(
              () => {
                if (it.workerFailure) this.retire(slot, it);
              },
              (e: unknown) => void (this.failure ??= e),
            )
            .catch((e: unknown) => void (this.failure ??= e))
            .finally(() => {
              inFlight.delete(prepared.n);
              if (this.live.includes(slot)) free.push(slot);
            });
          inFlight.set(prepared.n, done);
          continue;
        }
        if (!inFlight.size) break;
        if (session.state.iterationsDone + inFlight.size < this.opts.iterations) this.proposeEarly(Math.max(...inFlight.keys()));
        await Promise.race(inFlight.values());
        if (this.failure) throw this.failure;
      }
    } finally {
      // Stop or error: let every run in flight finish its bookkeeping (an abort ends them at once).
      await this.drain();
    }
    if (this.failure) throw this.failure;
    throwIfAborted(session.signal);
    return stop;
  }

  /** Takes a failed worker out of rotation, saying so; with none left the run stops on its failure. */
  private retire(slot: Slot, it: Iteration): void {
    this.live = this.live.filter((s) => s !== slot);
    if (this.free.includes(slot)) this.free.splice(this.free.indexOf(slot), 1);
    const reason = it.workerFailure!.message;
    this.loop.session.emit({ type: 'worker.removed', n: it.n, worker: slot.index, executor: slot.worker.executor.kind, reason, left: this.live.length });
    if (!this.live.length) throw it.workerFailure;
  }

  private async drain(): Promise<void> {
    while (this.inFlight.size) await Promise.race(this.inFlight.values());
    await this.levelTask;
  }

  /**
   * Overlap: the next proposal starts now, on the current best, while experiments train. Not when a
   * mechanism proposes (its hook runs at the iteration itself), nor for a proposer with no wait to hide.
   */
  private proposeEarly(during: number): void {
    const { loop } = this;
    if (!this.opts.overlap || loop.proposer.instant || this.early || loop.runtime.hasHook('propose')) return;
    this.early = proposeEarly(loop, during);
  }

  private takeEarly(): EarlyProposal | null {
    const early = this.early;
    this.early = null;
    return early;
  }

  /** Baseline runs that ended (the first sets the best; repeats measure the noise floor). */
  private baselineRuns(): number {
    return this.loop.session.state.experiments.filter((x) => x.baseline && x.result && x.result !== 'interrupted').length;
  }

  /** One piece of boundary work (a verdict, a level asked for, a level due); false when there was none. */
  private async runBoundaryWork(due: Level | null): Promise<boolean> {
    const item = this.boundary.items.shift();
    if (item?.kind === 'activate') {
      await this.levels.activate(item.name, 'policy');
      return true;
    }
    if (item?.kind === 'review') {
      try {
        if (item.verdict === 'accept') await this.levels.activate(item.name, 'user');
        else this.levels.reject(item.name, item.reason);
        item.done();
      } catch (e) {
        item.done(e as Error);
      }
      return true;
    }
    const level = item?.level ?? due;
    if (!level) return false;
    await this.levels.run(level);
    return true;
  }
}
