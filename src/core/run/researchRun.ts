import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Candidate, ParamValue } from '../../shared/trace/candidate';
import { applyCandidate } from '../candidates/applyCandidate';
import { validateCandidate, type CandidateRules } from '../candidates/validateCandidate';
import type { IterationResult, RejectedBy, RunEvent, RunEventBody } from '../../shared/trace/events';
import type { LlmCall } from '../llm/chatModel';
import type { Executor } from '../executors/executor';
import type { Worker } from '../executors/worker';
import { LocalExecutor } from '../executors/localExecutor';
import { SlurmExecutor } from '../executors/slurmExecutor';
import { isAlive, killProcessGroup, processStartTime } from '../process/processGroup';
import { GitError } from '../git/git';
import { RUN_STATE_DIR, RunRepo, runBranch } from '../git/runRepo';
import { ProposalError, type HistoryEntry, type ParamView, type ProposalContext, type Proposer } from '../proposers/proposer';
import { renderResultsTable } from '../store/resultsTable';
import { applyEvent, deriveRunState, needsBaseline, type Experiment, type RunState } from '../../shared/trace/runState';
import { TraceStore } from '../store/traceStore';
import { Secrets } from '../secrets/secrets';
import { parseParams } from '../target/pythonParams';
import type { TargetConfig } from '../target/targetConfig';
import { judge } from '../innerLoop/judge';
import { OfflineMechanismResearcher, type MechanismResearcher } from '../mechanismResearch/mechanismResearch';
import { sandboxStarter, type MechanismRuntime, type StartSandbox } from '../mechanisms/mechanismRuntime';
import { Aborted, OuterLevels, type Level } from './outerLevels';
import { RuleBasedReviewer, type StrategyReviewer } from '../strategyReview/strategyReview';
import { listLibrary } from '../mechanisms/library';
import type { ContextParam, MechanismResult } from '../mechanisms/mechanism';

export interface ResearchRunOptions {
  repoDir: string;
  config: TargetConfig;
  proposer: Proposer;
  /** Total iterations for the run (the baseline not counted); a resumed run continues up to it. */
  iterations: number;
  /** Run tag; default: the most recent run in this repo, or a new date-based tag. */
  tag?: string;
  /** Start a fresh run even if an earlier one could be resumed. */
  fresh?: boolean;
  /** Where experiments train; one experiment in flight per worker. Default: one local worker. */
  workers?: Worker[];
  /** Shorthand for a single worker. */
  executor?: Executor;
  signal?: AbortSignal;
  onEvent?: (e: RunEvent) => void;
  /** How many invalid candidates an iteration tolerates before it gives up. */
  maxAttempts?: number;
  /** Level 1.5. Default: the offline rule-based reviewer (see createLevels for the config's choice). */
  strategyReviewer?: StrategyReviewer;
  /** Level 2. Default: the offline researcher over the built-in library. */
  mechanismResearcher?: MechanismResearcher;
  /** How mechanism code is started. Default: the permission-model sandbox process. */
  startSandbox?: StartSandbox;
  /**
   * Stepping: called with each committed candidate before it trains. While it waits, a person may
   * edit the files in `checkout`; 'run' trains the candidate (with those edits, as a new commit),
   * 'skip' records it as rejected by the user.
   */
  beforeTraining?: (gate: TrainingGate) => Promise<'run' | 'skip'>;
  /** Levels to run right away, before the next inner iteration (Run Strategy Review Now, …). */
  levelsNow?: Level[];
  /**
   * Propose the next candidate while an experiment trains (on the current best), so the GPU does not
   * wait for the LLM. Default on. See `usePrepared` for what happens when the best moves meanwhile.
   */
  overlap?: boolean;
  /** Kept out of training and redacted from the trace and output. Default: OPENAI_API_KEY and run.secretEnv, from this process's environment. */
  secrets?: Secrets;
}

/** A proposal made while experiment `during` trained, on the best of that moment. */
interface PreparedProposal {
  during: number;
  base: string;
  /** The levels in force when it was prepared (see levelsStamp). */
  levels: string;
  /** What the mechanisms' beforePropose said for this iteration (run at preparation time). */
  steer: Promise<Steer>;
  result: Promise<{ candidate: Candidate } | { error: unknown }>;
}

type Steer = Awaited<ReturnType<MechanismRuntime['beforePropose']>>;
const NO_STEER: Steer = { guidance: [], freeze: [], focus: [] };

export interface TrainingGate {
  n: number;
  commit: string;
  /** The best commit the candidate was built on (diff against it). */
  parent: string;
  description: string;
  checkout: string;
}

interface Slot {
  index: number;
  worker: Worker;
  /** The working copy this slot trains in: the main checkout with one worker, else its own worktree. */
  checkout: string;
}

/** A re-run asked for by a mechanism's decide ('rerun'): the earlier run's metric(s). */
interface Confirmation {
  of: number;
  metrics: number[];
}

/** A committed candidate (or the baseline) ready to train. */
interface Prepared {
  confirm?: Confirmation;
  n: number;
  commit: string;
  /** The best commit it was built on. */
  base: string;
  description: string;
  candidate?: Candidate;
  baseline: boolean;
}

export interface ResearchRunSummary {
  tag: string;
  branch: string;
  runDir: string;
  state: RunState;
}

export const runsDir = (repoDir: string) => join(repoDir, RUN_STATE_DIR);
export const runLockPath = (runDir: string) => join(runDir, 'run.lock');

/** The pid of the process running this run now, if one is. */
export function liveRunPid(runDir: string): number | null {
  try {
    const pid = Number(readFileSync(runLockPath(runDir), 'utf8'));
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : null;
  } catch {
    return null;
  }
}

/** autoresearch's style of tag: month and day, e.g. `nov23`, with a suffix when taken. */
export function defaultTag(now: Date, taken: (tag: string) => boolean): string {
  const base = now.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' }).toLowerCase() + now.getUTCDate();
  if (!taken(base)) return base;
  for (let i = 2; ; i++) if (!taken(`${base}-${i}`)) return `${base}-${i}`;
}

/** The most recently written run in this repo, if any. */
export function latestRunTag(repoDir: string): string | null {
  const dir = runsDir(repoDir);
  if (!existsSync(dir)) return null;
  const runs = readdirSync(dir)
    .filter((t) => existsSync(join(dir, t, 'trace.jsonl')))
    .map((t) => ({ t, m: statSync(join(dir, t, 'trace.jsonl')).mtimeMs }))
    .sort((a, b) => b.m - a.m);
  return runs[0]?.t ?? null;
}

class Interrupted extends Error {}

/** A proposer that fails this many times in a row (endpoint down, bad key) stops the run instead of burning iterations. */
const MAX_PROPOSAL_FAILURES_IN_A_ROW = 3;

/**
 * Level 1, the inner research loop: propose → validate → commit → train → judge → keep or reset.
 * Every step is an event appended to the trace before the next step starts, so the run can be
 * resumed from the trace alone after Ctrl+C, a crash, or kill -9.
 */
export class ResearchRun {
  private store!: TraceStore;
  private state!: RunState;
  private repo!: RunRepo;
  private tag!: string;
  private runDir!: string;
  private readonly workers: Worker[];
  private lastProposalFailure: string | undefined;
  private gitQueue: Promise<unknown> = Promise.resolve();
  /** Candidates that beat the best on a stale base, to be re-applied onto the current best and re-run. */
  private readonly requeue: { candidate: Candidate; from: number; confirm?: Confirmation }[] = [];
  private levels!: OuterLevels;
  /** Work for the next boundary: levels asked for now, and people's verdicts on mechanisms. */
  private readonly atBoundary: ({ kind: 'level'; level: Level } | { kind: 'activate'; name: string } | { kind: 'review'; name: string; verdict: 'accept' | 'reject'; reason: string; done: (e?: Error) => void })[] = [];
  private pauseRequested = false;
  /** A level that waits on an LLM, running while experiments train (overlap). */
  private levelTask: Promise<void> | null = null;
  private prepared: PreparedProposal | null = null;
  private readonly secrets: Secrets;

  constructor(private readonly opts: ResearchRunOptions) {
    this.secrets = opts.secrets ?? Secrets.of(opts.config.run.secretEnv);
    this.workers = opts.workers?.length ? opts.workers : [{ executor: opts.executor ?? new LocalExecutor() }];
    for (const level of opts.levelsNow ?? []) this.atBoundary.push({ kind: 'level', level });
  }

  /** Stop at the next boundary (after the current iteration, review or research session), as `run.paused`. */
  pause(): void {
    this.pauseRequested = true;
  }

  /** Run a level at the next boundary, whatever its schedule. */
  requestLevel(level: Level): void {
    this.atBoundary.push({ kind: 'level', level });
  }

  /** A person's verdict on a mechanism awaiting review (or active), applied at the next boundary. */
  reviewMechanism(name: string, verdict: 'accept' | 'reject', reason = ''): Promise<void> {
    return new Promise((resolve, reject) => this.atBoundary.push({ kind: 'review', name, verdict, reason, done: (e) => (e ? reject(e) : resolve()) }));
  }

  async run(): Promise<ResearchRunSummary> {
    const { opts } = this;
    // An unreachable host or a dirty remote copy is one clear error before anything is written or counted.
    await Promise.all(this.workers.map((w) => w.executor.preflight?.()));
    this.repo = await RunRepo.open(opts.repoDir);
    const previous = opts.fresh ? null : (opts.tag ?? latestRunTag(this.repo.dir));
    const resuming = previous !== null && existsSync(join(runsDir(this.repo.dir), previous, 'trace.jsonl'));
    this.tag = resuming ? previous : (opts.tag ?? defaultTag(new Date(), (t) => existsSync(join(runsDir(this.repo.dir), t))));
    this.runDir = join(runsDir(this.repo.dir), this.tag);
    await this.repo.excludeRunState();
    if (resuming) await this.resume();
    else await this.start();
    // Tells other processes (bilevel mechanisms accept) that this run is live and owns the trace.
    writeFileSync(runLockPath(this.runDir), String(process.pid));
    const { mechanisms } = opts.config.levels;
    this.levels = new OuterLevels(
      {
        tag: this.tag,
        repo: this.repo,
        config: opts.config,
        state: () => this.state,
        events: () => this.store.events(),
        emit: (body) => void this.emit(body),
        bestCommit: () => this.bestCommit(),
        moveRunBranch: (commit) => this.repo.resetTo(this.tag, commit),
        exclusive: (f) => this.exclusive(f),
        signal: opts.signal,
      },
      opts.strategyReviewer ?? new RuleBasedReviewer({ freezeAfter: opts.config.levels.strategy.freezeAfter, maxFocus: 3 }),
      opts.mechanismResearcher ?? new OfflineMechanismResearcher(listLibrary()),
      opts.startSandbox ?? sandboxStarter({ callMs: mechanisms.callTimeoutMs, memoryMb: mechanisms.memoryMb }),
    );
    await this.levels.restoreActive();
    const slots = this.workers.map((worker, index): Slot => ({
      index,
      worker,
      checkout: this.workers.length === 1 ? this.repo.dir : join(this.runDir, 'worktrees', String(index)),
    }));

    try {
      const stop = await this.schedule(slots);
      this.emit(stop ?? { type: 'run.stopped', reason: 'completed' });
      if (stop?.type === 'run.paused') this.pauseRequested = false;
    } catch (e) {
      if (e instanceof Interrupted || e instanceof Aborted || opts.signal?.aborted) {
        this.emit({ type: 'run.stopped', reason: 'interrupted' });
      } else {
        this.emit({ type: 'run.stopped', reason: 'error', message: (e as Error).message });
        throw e;
      }
    } finally {
      this.levels.runtime.closeAll();
      for (const item of this.atBoundary.splice(0)) if (item.kind === 'review') item.done(new Error('the run stopped before the verdict could be applied'));
      this.store.close();
      rmSync(runLockPath(this.runDir), { force: true });
    }
    return this.summary();
  }

  /**
   * Keeps one experiment in flight per worker until the iteration budget is spent. With one
   * worker this is the plain loop: propose, train, judge, repeat. Proposals are made one at a
   * time (each sees what is already in flight); results are judged as they finish.
   */
  private async schedule(slots: Slot[]): Promise<RunEventBody | null> {
    const inFlight = new Map<number, Promise<void>>();
    const free = [...slots];
    let failuresInARow = 0;
    let stop: RunEventBody | null = null;
    // A failure inside a run in flight (git, disk) surfaces here once its siblings have settled.
    let failure: unknown;
    const drain = async () => {
      while (inFlight.size) await Promise.race(inFlight.values());
      await this.levelTask;
    };
    try {
      while (!stop) {
        this.checkAbort();
        if (needsBaseline(this.state)) {
          if (inFlight.size) {
            await drain();
            continue;
          }
          const baseline = await this.prepareBaseline(slots[0]);
          // The first proposal, too, is prepared while something trains: the baseline.
          if (this.state.iterationsDone < this.opts.iterations) this.prepareWhileTraining(baseline.n);
          const result = await this.runExperiment(slots[0], baseline);
          if (result === 'crash') {
            const x = this.state.experiments[this.state.experiments.length - 1];
            stop = { type: 'run.stopped', reason: 'error', message: `The baseline run failed (${x.training?.reason ?? 'no metric'}). Fix the training command and run again; see ${x.training?.log ?? 'the log'}.` };
          }
          continue;
        }
        if (this.baselineRuns() < this.opts.config.metric.baselineRepeats) {
          if (inFlight.size) {
            await drain();
            continue;
          }
          await this.runExperiment(slots[0], await this.prepareBaseline(slots[0]));
          continue;
        }
        // A level that waits on an LLM runs beside the training (overlap); its results take effect at
        // the next proposal. Other levels, verdicts and pauses wait for a boundary with nothing in flight.
        const due = this.levelTask ? null : this.levels.due(this.opts.iterations);
        if (due && this.opts.overlap !== false && this.levels.takesTime(due)) {
          this.levelTask = this.levels
            .runWhileTraining(due, (name) => this.atBoundary.push({ kind: 'activate', name }))
            .then(() => {
              // A candidate prepared before the review no longer fits: prepare again now, still hidden by the training.
              if (this.prepared && this.prepared.levels !== this.levelsStamp() && inFlight.size) {
                this.prepared = null;
                this.prepareWhileTraining(Math.max(...inFlight.keys()));
              }
            })
            .catch((e: unknown) => void (failure ??= e))
            .finally(() => (this.levelTask = null));
          continue;
        }
        const boundary = this.atBoundary.length > 0 || this.pauseRequested || due !== null;
        if (boundary && (inFlight.size || this.levelTask)) {
          await drain();
          if (failure) throw failure;
          continue;
        }
        if (await this.runBoundaryWork(due)) continue;
        if (this.pauseRequested) {
          stop = { type: 'run.paused', reason: 'paused at a boundary, as asked' };
          break;
        }
        if (free.length && this.state.iterationsDone + inFlight.size < this.opts.iterations) {
          const slot = free.shift()!;
          const prepared = await this.prepare(slot);
          if (typeof prepared === 'string') {
            free.unshift(slot);
            failuresInARow = prepared === 'proposal-failed' ? failuresInARow + 1 : 0;
            if (failuresInARow >= MAX_PROPOSAL_FAILURES_IN_A_ROW) {
              stop = { type: 'run.stopped', reason: 'error', message: `${failuresInARow} proposals in a row failed (last: ${this.lastProposalFailure ?? 'unknown'}). Fix the proposer (endpoint, model, key) and run again to resume.` };
            }
            continue;
          }
          failuresInARow = 0;
          const done = this.runExperiment(slot, prepared)
            .then(
              () => undefined,
              (e: unknown) => void (failure ??= e),
            )
            .finally(() => {
              inFlight.delete(prepared.n);
              free.push(slot);
            });
          inFlight.set(prepared.n, done);
          continue;
        }
        if (!inFlight.size) break;
        if (this.state.iterationsDone + inFlight.size < this.opts.iterations) this.prepareWhileTraining(Math.max(...inFlight.keys()));
        await Promise.race(inFlight.values());
        if (failure) throw failure;
      }
    } finally {
      // Stop or error: let every run in flight finish its bookkeeping (an abort ends them at once).
      await drain();
    }
    if (failure) throw failure;
    this.checkAbort();
    return stop;
  }

  /**
   * Overlap: asks the proposer for the next candidate now, on the current best, while experiments
   * train. Not when a mechanism proposes (its hook runs at the iteration itself).
   */
  private prepareWhileTraining(during: number): void {
    const runtime = this.levels.runtime;
    if (this.opts.overlap === false || this.opts.proposer.instant || this.prepared || runtime.hasHook('propose')) return;
    const base = this.bestCommit();
    const n = this.state.nextN;
    let steered!: (s: Steer) => void;
    const steer = new Promise<Steer>((resolve) => (steered = resolve));
    const result = (async () => {
      const files = await this.filesAt(base);
      const params = this.currentParams(files);
      const s = runtime.names().length ? await runtime.beforePropose(n, this.levels.context(this.contextParams(params), n)) : NO_STEER;
      steered(s);
      const rules = this.rules(params, [...this.state.strategy.frozen, ...s.freeze.map((f) => f.name)]);
      const ctx = this.context(n, rules, files, [...this.strategyGuidance(s.focus), ...s.guidance], [...this.state.strategy.focus, ...s.focus]);
      return { candidate: await this.opts.proposer.propose(ctx, this.opts.signal) };
    })().catch((error: unknown) => {
      steered(NO_STEER);
      return { error };
    });
    this.prepared = { during, base, levels: this.levelsStamp(), steer, result };
  }

  /**
   * The candidate prepared while training, if it still holds: on the same best it is used as is; on a
   * new best it must still apply (edits still match, values still change something), or it is dropped
   * and the iteration proposes afresh. It is never applied where it does not apply.
   */
  private async usePrepared(
    p: PreparedProposal,
    base: string,
    params: ReturnType<typeof parseParams>,
    rules: CandidateRules,
    files: Record<string, string>,
  ): Promise<{ candidate?: Candidate; prepared: NonNullable<Extract<RunEventBody, { type: 'candidate.proposed' }>['prepared']>; feedback?: string }> {
    const r = await p.result;
    if ('error' in r) {
      if (r.error instanceof ProposalError) throw r.error;
      this.checkAbort();
      throw r.error;
    }
    // A review or a mechanism that changed meanwhile must shape the next proposal, as without overlap.
    if (p.levels !== this.levelsStamp()) return { prepared: { during: p.during, how: 'reproposed', reason: `the strategy or the active mechanisms changed since the candidate prepared during #${p.during} ("${r.candidate.description}")` } };
    if (p.base === base) return { candidate: r.candidate, prepared: { during: p.during, how: 'used' } };
    // What fails on the new best but did not on the old one is what no longer applies. Anything wrong
    // on both goes through the normal validation below and is recorded as a rejection like any other.
    const before = new Set(validateCandidate(r.candidate, rules, await this.filesAt(p.base)));
    const stale = validateCandidate(r.candidate, rules, files).filter((x) => !before.has(x));
    if (!stale.length && !r.candidate.edits?.length && r.candidate.params && !Object.keys(proposedChanges(params, r.candidate)).length) stale.push('it changes nothing on the new best');
    if (stale.length) {
      const reason = `the candidate prepared during #${p.during} ("${r.candidate.description}") no longer applies: ${stale.join('; ')}`;
      return { prepared: { during: p.during, how: 'reproposed', reason }, feedback: reason };
    }
    return { candidate: r.candidate, prepared: { during: p.during, how: 'reapplied' } };
  }

  private levelsStamp(): string {
    return `${this.state.strategyReviews}:${this.levels.runtime.names().join(',')}`;
  }

  private async filesAt(commit: string): Promise<Record<string, string>> {
    const entries = await Promise.all(this.opts.config.editable.map(async (f) => [f, await this.repo.requireFileAt(commit, f)] as const));
    return Object.fromEntries(entries);
  }

  /** Baseline runs that ended (the first sets the best; repeats measure the noise floor). */
  private baselineRuns(): number {
    return this.state.experiments.filter((x) => x.baseline && x.result && x.result !== 'interrupted').length;
  }

  /** One piece of boundary work (a verdict, a level asked for, a level due); false when there was none. */
  private async runBoundaryWork(due: Level | null): Promise<boolean> {
    const item = this.atBoundary.shift();
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

  /** LLM-backed proposers report each call here so that tokens and latency land in the trace. */
  recordLlmCall(call: LlmCall): void {
    if (this.store) this.emit({ type: 'llm.called', ...call });
  }

  private summary(): ResearchRunSummary {
    return { tag: this.tag, branch: runBranch(this.tag), runDir: this.runDir, state: this.state };
  }

  private emit(body: RunEventBody): RunEvent {
    const event = this.store.append(this.secrets.redactDeep(body));
    if (event.type !== 'training.output') this.state = applyEvent(this.state ?? null, event);
    this.opts.onEvent?.(event);
    return event;
  }

  private checkAbort(): void {
    if (this.opts.signal?.aborted) throw new Interrupted('interrupted');
  }

  /** Git changes to the shared repository happen one at a time, whatever the number of workers. */
  private exclusive<T>(f: () => Promise<T>): Promise<T> {
    const next = this.gitQueue.then(f, f);
    this.gitQueue = next.catch(() => undefined);
    return next;
  }

  private async start(): Promise<void> {
    await this.repo.assertClean();
    await this.repo.assertCommitted(this.opts.config.editable);
    const { branch, baseCommit } = await this.repo.createRunBranch(this.tag);
    this.store = TraceStore.open(join(this.runDir, 'trace.jsonl')).store;
    const { metric } = this.opts.config;
    this.emit({ type: 'run.started', tag: this.tag, branch, baseCommit, metric: metric.name, goal: metric.goal, proposer: this.opts.proposer.name });
  }

  /** Picks a run up where the trace ends: experiments left open are closed as interrupted. */
  private async resume(): Promise<void> {
    const opened = TraceStore.open(join(this.runDir, 'trace.jsonl'));
    this.store = opened.store;
    this.state = deriveRunState(this.store.events());
    const open = [...this.state.open.values()];
    const dirty = await this.repo.dirtyPaths();
    const ours = new Set(this.opts.config.editable);
    // Changes the loop itself left behind (killed between applying and committing) are safe to drop;
    // anything else is the user's and stops the resume.
    if (dirty.length && !(open.length && dirty.every((p) => ours.has(p)))) await this.repo.assertClean();
    await this.repo.checkoutRunBranch(this.tag);
    for (const x of open) await this.closeOpenExperiment(x);
    const best = this.bestCommit();
    if ((await this.repo.head()) !== best || dirty.length) await this.repo.resetTo(this.tag, best);
    this.emit({ type: 'run.resumed', bestCommit: best, nextIteration: this.state.nextN });
  }

  private async closeOpenExperiment(x: Experiment): Promise<void> {
    if (x.status) {
      // Decided but not finished: only the bookkeeping after the decision was lost.
      this.emit({ type: 'iteration.finished', n: x.n, result: x.status });
      return;
    }
    const pid = x.training?.pid;
    if (pid && !x.training?.outcome && isOurTraining(pid, x.training!.startedAt)) await killProcessGroup(pid, 3000);
    // A batch job outlives the process that submitted it: nobody would read its result.
    const job = x.training?.slurmJobId;
    if (job && !x.training?.outcome) await new SlurmExecutor().cancelJob(job);
    if (x.commit && !x.baseline) await this.repo.recordTried(this.tag, x.n, x.commit);
    this.emit({ type: 'experiment.interrupted', n: x.n, commit: x.commit, reason: pid || job ? 'the run stopped while training' : 'the run stopped mid-iteration' });
    this.emit({ type: 'iteration.finished', n: x.n, result: 'interrupted' });
  }

  private bestCommit(): string {
    return this.state.incumbent?.commit ?? this.state.startCommit;
  }

  private rules(params: ReturnType<typeof parseParams>, extraFrozen: string[] = []): CandidateRules {
    const { parameters, editable } = this.opts.config;
    const excluded = new Set(parameters.exclude);
    return {
      params: params.filter((p) => !excluded.has(p.name)),
      frozen: [...parameters.frozen, ...extraFrozen],
      editable,
      paramFile: parameters.file,
      choices: parameters.choices,
    };
  }

  private readEditable(checkout: string): Record<string, string> {
    return Object.fromEntries(this.opts.config.editable.map((f) => [f, readFileSync(join(checkout, f), 'utf8')]));
  }

  private currentParams(files: Record<string, string>) {
    return parseParams(files[this.opts.config.parameters.file], { names: this.opts.config.parameters.names });
  }

  private async prepareBaseline(slot: Slot): Promise<Prepared> {
    const n = this.state.nextN;
    const commit = this.bestCommit();
    this.emit({ type: 'iteration.started', n, baseCommit: commit, baseline: true });
    if (slot.checkout !== this.repo.dir) await this.exclusive(() => this.repo.prepareWorktree(slot.checkout, commit));
    return { n, commit, base: commit, description: 'baseline', baseline: true };
  }

  /**
   * Proposes, validates, applies and commits a candidate on the current best, in the slot's
   * checkout; returns how the iteration ended when no candidate came of it.
   */
  private async prepare(slot: Slot): Promise<Prepared | IterationResult> {
    const n = this.state.nextN;
    const base = this.bestCommit();
    this.emit({ type: 'iteration.started', n, baseCommit: base, baseline: false });
    const finish = (result: IterationResult) => this.finishIteration(n, result);
    const shared = slot.checkout === this.repo.dir;
    const resetCheckout = () => (shared ? this.repo.resetTo(this.tag, base) : this.repo.prepareWorktree(slot.checkout, base));
    try {
      return await this.proposeAndCommit(n, slot, base, resetCheckout, finish);
    } catch (e) {
      if (!(e instanceof Interrupted)) throw e;
      this.emit({ type: 'experiment.interrupted', n, reason: 'stopped before training' });
      finish('interrupted');
      if (shared) await this.exclusive(resetCheckout);
      throw e;
    }
  }

  private async proposeAndCommit(
    n: number,
    slot: Slot,
    base: string,
    resetCheckout: () => Promise<void>,
    finish: (r: IterationResult) => IterationResult,
  ): Promise<Prepared | IterationResult> {
    const shared = slot.checkout === this.repo.dir;
    if (!shared) await this.exclusive(resetCheckout);
    const maxAttempts = this.opts.maxAttempts ?? 3;
    const feedback: string[] = [];
    const runtime = this.levels.runtime;
    let steer: Steer = NO_STEER;
    // Once a mechanism's own proposal is rejected, the proposer gets the remaining attempts.
    let mechanismMayPropose = true;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      this.checkAbort();
      const files = this.readEditable(slot.checkout);
      const params = this.currentParams(files);
      const strategyFrozen = this.state.strategy.frozen;
      const ctxParams = this.contextParams(params);
      const early = attempt === 1 ? this.prepared : null;
      if (attempt === 1) this.prepared = null;
      if (early) steer = await early.steer;
      else if (attempt === 1 && runtime.names().length) steer = await runtime.beforePropose(n, this.levels.context(ctxParams, n));
      const mechanismFrozen = steer.freeze.map((f) => f.name);
      const rules = this.rules(params, [...strategyFrozen, ...mechanismFrozen]);
      const hookContext = () => this.levels.context(ctxParams, n, mechanismFrozen, steer.focus);
      let candidate: Candidate;
      let proposer = this.opts.proposer.name;
      let byMechanism: string | undefined;
      let preparedInfo: Extract<RunEventBody, { type: 'candidate.proposed' }>['prepared'];
      const rerun = attempt === 1 ? this.requeue.shift() : undefined;
      try {
        const proposed = !rerun && mechanismMayPropose && runtime.names().length ? await runtime.propose(n, hookContext()) : null;
        if (rerun) {
          const why = rerun.confirm ? 'to confirm' : 'on the new best';
          candidate = { ...rerun.candidate, description: `${rerun.candidate.description.replace(/ \(re-run of #\d+ [^)]*\)$/, '')} (re-run of #${rerun.from} ${why})` };
          proposer = 'rerun';
        } else if (proposed) {
          candidate = { description: proposed.candidate.description, hypothesis: proposed.candidate.hypothesis, params: proposed.candidate.params };
          proposer = `mechanism:${proposed.name}`;
          byMechanism = proposed.name;
        } else {
          const ready = early ? await this.usePrepared(early, base, params, rules, files) : null;
          preparedInfo = ready?.prepared;
          if (ready?.feedback) feedback.push(ready.feedback);
          if (ready?.candidate) {
            candidate = ready.candidate;
          } else {
            const guidance = [...this.strategyGuidance(steer.focus), ...steer.guidance, ...feedback];
            candidate = await this.opts.proposer.propose(this.context(n, rules, files, guidance, [...this.state.strategy.focus, ...steer.focus]), this.opts.signal);
          }
        }
      } catch (e) {
        this.checkAbort();
        if (!(e instanceof ProposalError)) throw e;
        this.lastProposalFailure = e.message;
        this.emit({ type: 'proposal.failed', n, reason: e.message });
        return finish('proposal-failed');
      }
      this.emit({ type: 'candidate.proposed', n, candidate, proposer, level: byMechanism ? 2 : 1, ...(byMechanism ? { mechanism: byMechanism } : {}), ...(preparedInfo ? { prepared: preparedInfo } : {}) });
      const reject = (by: RejectedBy, reason: string) => {
        this.emit({ type: 'candidate.rejected', n, by, reason, candidate });
        feedback.push(`Your proposal "${candidate.description}" was rejected before training: ${reason}`);
        if (byMechanism) mechanismMayPropose = false;
      };
      const touched = Object.keys(candidate.params ?? {});
      const strategyHit = touched.filter((p) => strategyFrozen.includes(p) && !this.opts.config.parameters.frozen.includes(p));
      if (strategyHit.length) {
        reject('strategy', `${strategyHit.join(', ')} ${strategyHit.length > 1 ? 'are' : 'is'} frozen by the strategy review (cycle ${this.state.strategyReviews}): tried without gain since the best last moved`);
        continue;
      }
      const mechanismHit = steer.freeze.filter((f) => touched.includes(f.name));
      if (mechanismHit.length) {
        reject('mechanism', mechanismHit.map((f) => `${f.name} is frozen by the mechanism ${f.by} for this iteration`).join('; '));
        continue;
      }
      const reasons = validateCandidate(candidate, rules, files);
      if (reasons.length) {
        reject('validation', reasons.join('; '));
        continue;
      }
      if (runtime.names().length) {
        const veto = await runtime.review(n, hookContext(), { ...candidate, changed: proposedChanges(params, candidate) });
        if (veto) {
          reject('mechanism', `${veto.name}: ${veto.reason}`);
          continue;
        }
      }
      const outcome = await this.exclusive(async () => {
        const changedPaths = await applyCandidate(slot.checkout, candidate, rules, { names: this.opts.config.parameters.names });
        const after = this.currentParams(this.readEditable(slot.checkout));
        const staged = await this.repo.stageTree(changedPaths, slot.checkout);
        // Mechanism files ride along on the branch; the cache compares the training code alone.
        const tree = this.state.mechanisms.size ? await this.repo.experimentTree(staged) : staged;
        this.emit({ type: 'candidate.applied', n, params: paramRecord(after), changed: paramChanges(params, after), tree });
        // A confirmation re-run trains an evaluated configuration again on purpose.
        const sameAs = rerun?.confirm ? undefined : this.state.evaluatedTrees.get(tree);
        const twin = [...this.state.open.values()].find((x) => x.n !== n && x.tree === tree);
        if (sameAs !== undefined || twin) {
          await resetCheckout();
          return { sameAs, twin };
        }
        const message = `${candidate.description}\n\n${candidate.hypothesis}`.trim();
        const commit = shared ? await this.repo.commitStaged(this.tag, message) : await this.repo.commitDetached(slot.checkout, message);
        this.emit({ type: 'candidate.committed', n, commit });
        return { commit };
      });
      if (outcome.twin) {
        reject('validation', `identical to #${outcome.twin.n}, which is training now`);
        continue;
      }
      if (outcome.sameAs !== undefined && byMechanism) {
        // A mechanism that repeats itself must not burn the iteration: the proposer gets the next attempt.
        reject('mechanism', `${byMechanism} proposed a configuration already evaluated as #${outcome.sameAs}`);
        continue;
      }
      if (outcome.sameAs !== undefined) {
        const earlier = this.state.experiments.find((x) => x.n === outcome.sameAs)!;
        this.emit({ type: 'candidate.cached', n, sameAs: outcome.sameAs, metric: earlier.metric, status: earlier.status ?? 'crash' });
        return finish('cached');
      }
      return { n, commit: outcome.commit!, base, description: candidate.description, candidate, baseline: false, ...(rerun?.confirm ? { confirm: rerun.confirm } : {}) };
    }
    return finish('rejected');
  }

  /** Trains a prepared experiment in its slot and judges it against the best known when it finishes. */
  private async runExperiment(slot: Slot, x: Prepared): Promise<IterationResult> {
    const { n, baseline } = x;
    const { run, metric } = this.opts.config;
    if (!baseline && this.opts.beforeTraining) {
      const verdict = await this.opts.beforeTraining({ n, commit: x.commit, parent: x.base, description: x.description, checkout: slot.checkout });
      this.checkAbort();
      if (verdict === 'skip') {
        return this.exclusive(async () => {
          await this.repo.recordTried(this.tag, n, x.commit);
          this.emit({ type: 'candidate.rejected', n, by: 'user', reason: 'skipped before training', candidate: x.candidate });
          if (slot.checkout === this.repo.dir) await this.repo.resetTo(this.tag, this.bestCommit());
          return this.finishIteration(n, 'rejected');
        });
      }
      const edited = await this.exclusive(() => this.commitEdits(slot, x));
      if (edited) x.commit = edited;
    }
    const { commit } = x;
    const log = join(this.runDir, 'logs', `${n}.log`);
    mkdirSync(join(this.runDir, 'logs'), { recursive: true });
    const result = await slot.worker.executor.run({
      n,
      cwd: slot.checkout,
      commit,
      command: run.command,
      env: { ...run.env, ...slot.worker.env },
      secrets: this.secrets,
      timeoutSeconds: run.hardTimeoutSeconds,
      logPath: log,
      metric,
      signal: this.opts.signal,
      onStart: (pid, slurmJobId) => this.emit({ type: 'training.started', n, commit, command: run.command, log, pid, ...(slurmJobId !== undefined ? { slurmJobId } : {}) }),
      onLine: (line, stream) => this.emit({ type: 'training.output', n, line, stream }),
    });
    this.emit({ type: 'training.finished', n, outcome: result.outcome, exitCode: result.exitCode, metric: result.metric, secondary: result.secondary, seconds: result.seconds, reason: result.reason });
    const shared = slot.checkout === this.repo.dir;

    return this.exclusive(async () => {
      const finish = (r: IterationResult) => this.finishIteration(n, r);
      if (result.outcome === 'interrupted') {
        if (!baseline) await this.repo.recordTried(this.tag, n, commit);
        this.emit({ type: 'experiment.interrupted', n, commit, reason: result.reason ?? 'stopped' });
        if (shared) await this.repo.resetTo(this.tag, this.bestCommit());
        return finish('interrupted');
      }
      const previousBest = this.state.incumbent?.metric ?? null;
      let { status, delta } = judge(result.outcome, result.metric, previousBest, metric);
      const runtime = this.levels.runtime;
      const experiment = this.state.experiments.find((e) => e.n === n);
      const mechanismResult = () => ({ n, status, metric: result.metric, delta, changed: experiment?.changed ?? {}, description: x.description });
      const hookContext = !baseline && runtime.names().length ? this.levels.context(await this.levels.params(), n) : null;
      let decidedBy: string | undefined;
      if (hookContext && status !== 'crash') {
        const override = await runtime.decide(n, hookContext, { ...mechanismResult(), ...(x.confirm ? { reruns: x.confirm.metrics } : {}) } as MechanismResult);
        const why = override?.reason ? `: ${override.reason}` : '';
        if (override?.status === 'rerun' && !x.confirm && x.candidate && result.metric !== null) {
          status = 'discard';
          decidedBy = `not yet: the mechanism ${override.name} re-runs it to confirm${why}`;
          this.requeue.push({ candidate: x.candidate, from: n, confirm: { of: n, metrics: [result.metric] } });
        } else if (override?.status === 'rerun') {
          decidedBy = `the mechanism ${override.name} asked for another re-run; one confirmation is the limit${why}`;
        } else if (override) {
          status = override.status;
          decidedBy = `${override.status} by the mechanism ${override.name}${why}`;
        }
      }
      if (baseline && previousBest !== null && status !== 'crash') {
        status = 'discard';
        decidedBy = 'a repeat of the baseline: measures the noise floor';
      }
      // A run on a base that is no longer the best is judged against the best, but only kept if it
      // ran on it: its change would otherwise land untested on top of another.
      const stale = !baseline && x.base !== this.bestCommit();
      const note = stale && status === 'keep' ? `beat the best but ran on ${x.base.slice(0, 7)}, not on the current best; re-queued to run on it` : decidedBy;
      if (note && stale && status === 'keep') {
        status = 'discard';
        if (x.candidate) this.requeue.push({ candidate: x.candidate, from: n });
      }
      this.emit({ type: 'experiment.decided', n, status, commit, metric: result.metric, previousBest, delta, description: x.description, memoryGb: memoryGb(result.secondary, this.opts.config), ...(note ? { note } : {}) });
      if (!baseline) await this.repo.recordTried(this.tag, n, commit);
      if (status === 'keep' && !shared) await this.repo.resetTo(this.tag, commit);
      if (status !== 'keep' && shared) await this.repo.resetTo(this.tag, this.bestCommit());
      writeFileSync(join(this.runDir, 'results.tsv'), renderResultsTable(this.store.events(), metric.name));
      if (hookContext && runtime.names().length) await runtime.afterResult(n, hookContext, mechanismResult() as MechanismResult);
      return finish(status);
    });
  }

  /** Emits the iteration's provenance (which hooks ran, and what they returned), then ends it. */
  private finishIteration(n: number, result: IterationResult): IterationResult {
    const ran = this.levels.runtime.takeRuns(n);
    const active = this.levels.runtime.names();
    if (ran.length || active.length) this.emit({ type: 'mechanism.hooks', n, active, ran });
    this.emit({ type: 'iteration.finished', n, result });
    return result;
  }

  private contextParams(params: ReturnType<typeof parseParams>): ContextParam[] {
    const { parameters } = this.opts.config;
    const excluded = new Set(parameters.exclude);
    const frozen = new Set([...parameters.frozen, ...this.state.strategy.frozen]);
    return params
      .filter((p) => !excluded.has(p.name))
      .map((p) => ({ name: p.name, value: p.value, kind: p.kind, frozen: frozen.has(p.name), ...(parameters.choices[p.name] ? { choices: parameters.choices[p.name] } : {}) }));
  }

  /** The strategy in force, as lines of guidance for the proposer. */
  private strategyGuidance(extraFocus: string[]): string[] {
    const { strategy } = this.state;
    const focus = [...new Set([...strategy.focus, ...extraFocus])];
    const lines: string[] = [];
    if (strategy.guidance) lines.push(`Strategy review: ${strategy.guidance}`);
    if (focus.length) lines.push(`Focus the next experiments on: ${focus.join(', ')}.`);
    return lines;
  }

  /**
   * Stepping: a person edited the candidate's files before it trained. The edits become the
   * candidate's commit (amended, so its diff against the base stays one commit); null when untouched.
   */
  private async commitEdits(slot: Slot, x: Prepared): Promise<string | null> {
    const dirty = await this.repo.dirtyPaths(slot.checkout);
    const paths = dirty.filter((p) => this.opts.config.editable.includes(p));
    if (!paths.length) return null;
    const staged = await this.repo.stageTree(paths, slot.checkout);
    const tree = this.state.mechanisms.size ? await this.repo.experimentTree(staged) : staged;
    const commit = await this.repo.amend(slot.checkout);
    const { file, names } = this.opts.config.parameters;
    const before = parseParams(await this.repo.requireFileAt(x.base, file), { names });
    const after = this.currentParams(this.readEditable(slot.checkout));
    this.emit({ type: 'candidate.edited', n: x.n, commit, tree, changed: paramChanges(before, after), params: paramRecord(after) });
    return commit;
  }

  private context(n: number, rules: CandidateRules, files: Record<string, string>, guidance: string[], focus: string[]): ProposalContext {
    const { config } = this.opts;
    const frozen = new Set(rules.frozen);
    const params: ParamView[] = rules.params.map((p) => ({
      name: p.name,
      value: p.value,
      text: p.text,
      kind: p.kind,
      frozen: frozen.has(p.name),
      choices: config.parameters.choices[p.name],
    }));
    const finished = this.state.experiments.filter((x) => !x.baseline && x.result && x.result !== 'interrupted');
    return {
      n,
      metricName: config.metric.name,
      goal: config.metric.goal,
      researchGoal: config.goal,
      timeBudgetSeconds: config.run.timeBudgetSeconds,
      params,
      editableFiles: config.editable.map((path) => ({ path, content: files[path] })),
      history: finished.slice(-config.proposer.historyLength).map(historyEntry),
      best: { metric: this.state.best?.metric ?? null, n: this.state.best?.n ?? 0 },
      incumbent: { metric: this.state.incumbent?.metric ?? null, n: this.state.incumbent?.n ?? 0 },
      guidance,
      focus: [...new Set(focus)],
      // Configurations in flight count as evaluated, so parallel workers never train the same thing.
      evaluated: this.state.experiments.filter((x) => x.params && (x.status || x.sameAs !== undefined || (x.commit && !x.result))).map((x) => x.params!),
    };
  }
}

/** What a candidate would change against the current parameters (reviewCandidate sees it). Pure. */
export function proposedChanges(params: ReturnType<typeof parseParams>, candidate: Candidate): Record<string, { from: ParamValue; to: ParamValue }> {
  const current = paramRecord(params);
  const out: Record<string, { from: ParamValue; to: ParamValue }> = {};
  for (const [name, to] of Object.entries(candidate.params ?? {})) {
    if (JSON.stringify(current[name]) !== JSON.stringify(to)) out[name] = { from: current[name] ?? null, to };
  }
  return out;
}

/** The pid is alive and started within seconds of the trace's training.started (not a reused pid). */
function isOurTraining(pid: number, startedAt: string | undefined): boolean {
  if (!isAlive(pid)) return false;
  const started = processStartTime(pid);
  if (started === undefined || !startedAt) return true;
  return Math.abs(started - Date.parse(startedAt)) < 10_000;
}

function historyEntry(x: Experiment): HistoryEntry {
  const changed = Object.fromEntries(Object.entries(x.changed ?? {}).map(([k, v]) => [k, v.to]));
  const before = Object.fromEntries(Object.entries(x.changed ?? {}).map(([k, v]) => [k, v.from]));
  const status: HistoryEntry['status'] = x.status ?? (x.result === 'cached' ? 'cached' : 'rejected');
  return {
    n: x.n,
    description: x.description ?? x.rejections[0]?.candidate?.description ?? '(no valid proposal)',
    changed,
    before,
    status,
    metric: x.metric,
    delta: x.delta,
    reason: status === 'rejected' ? x.rejections.map((r) => r.reason).join('; ') || x.result : undefined,
  };
}

function paramRecord(params: ReturnType<typeof parseParams>): Record<string, ParamValue> {
  return Object.fromEntries(params.map((p) => [p.name, p.value]));
}

/** What changed between two parses of the parameter file. Pure. */
export function paramChanges(before: ReturnType<typeof parseParams>, after: ReturnType<typeof parseParams>): Record<string, { from: ParamValue; to: ParamValue }> {
  const old = paramRecord(before);
  const out: Record<string, { from: ParamValue; to: ParamValue }> = {};
  for (const p of after) {
    if (JSON.stringify(old[p.name]) !== JSON.stringify(p.value)) out[p.name] = { from: old[p.name] ?? null, to: p.value };
  }
  return out;
}

function memoryGb(secondary: Record<string, number>, config: TargetConfig): number | null {
  const m = config.metric.memory;
  if (!m || secondary[m.name] === undefined) return null;
  return m.unit === 'GB' ? secondary[m.name] : secondary[m.name] / 1024;
}
