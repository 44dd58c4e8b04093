import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunEvent } from '../../shared/trace/events';
import type { Experiment, RunState } from '../../shared/trace/runState';
import type { Executor } from '../executors/executor';
import { LocalExecutor } from '../executors/localExecutor';
import type { Worker } from '../executors/worker';
import type { Slot, TrainingGate } from '../innerLoop/innerLoop';
import { Interrupted } from '../innerLoop/interrupted';
import { RunRepo, runBranch } from '../git/runRepo';
import type { LlmCall } from '../llm/chatModel';
import { OfflineMechanismResearcher, type MechanismResearcher } from '../mechanismResearch/mechanismResearch';
import { finishInterruptedResearch } from '../mechanismResearch/researchSession';
import { listLibrary } from '../mechanisms/library';
import { MechanismRuntime, sandboxStarter, type StartSandbox } from '../mechanisms/mechanismRuntime';
import type { Proposer } from '../proposers/proposer';
import { Secrets } from '../secrets/secrets';
import { defaultTag, latestRunTag, runLockPath, runsDir } from '../session/runDirectory';
import { RunSession } from '../session/runSession';
import { TraceStore } from '../store/traceStore';
import { rulesReviewerFor } from '../strategyReview/rulesReviewer';
import type { StrategyReviewer } from '../strategyReview/strategyReview';
import type { TargetConfig } from '../target/targetConfig';
import { loopCommits } from '../git/loopCommits';
import { adoptionOf, startBranchWork } from '../git/userWork';
import { loadTargetConfigAt } from '../target/configAtCommit';
import { ensureWritableRunDir } from '../store/writableRunDir';
import { closeOpenExperiment } from './crashRecovery';
import { loopLeftovers } from './loopLeftovers';
import { RepoLock } from '../session/repoLock';
import { repairKilledGit } from './killedGitRepair';
import { OuterLevels, type Level } from './outerLevels';
import { Scheduler, type Boundary } from './scheduler';

export interface ResearchRunOptions {
  repoDir: string;
  config: TargetConfig;
  proposer: Proposer;
  /** Iterations that train, for the run (the baseline not counted; see RunState.iterationsDone); a resumed run continues up to it. */
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
  /**
   * Resume taking the user's work as the new starting point (`bilevel run --adopt`, the editor's
   * Adopt): the run branch's commits the loop did not make, or the new commits on the branch the
   * run started from. The commit is recorded (run.adopted), trained as a new baseline and built on
   * from then on, with the config it holds. Without it, such work stops the resume, untouched.
   */
  adopt?: boolean;
  /**
   * What depends on the config, built for the one an adopted commit holds (createRun: the caller's
   * overrides applied, the proposer and the levels it asks for). Default: that config as committed,
   * with the same proposer and levels.
   */
  reconfigure?: (committed: TargetConfig) => Reconfigured;
}

/** The config an adopted commit brings, and what was rebuilt for it (absent: kept as they were). */
export interface Reconfigured {
  config: TargetConfig;
  proposer?: Proposer;
  strategyReviewer?: StrategyReviewer;
  mechanismResearcher?: MechanismResearcher;
}

export interface ResearchRunSummary {
  tag: string;
  branch: string;
  runDir: string;
  state: RunState;
}

/**
 * A research run's lifecycle: open a fresh run or resume one from its trace (closing what a crash
 * left open), run the scheduler until the budget is spent or a stop, and finish (run.stopped, the
 * sandboxes closed, the lock released). The loop itself is innerLoop/iteration.ts; the outer levels
 * run/outerLevels.ts. Every step is an event appended to the trace before the next step starts, so
 * the run can be resumed from the trace alone after Ctrl+C, a crash, or kill -9.
 */
export class ResearchRun {
  private session: RunSession | null = null;
  /** One writer per repository: held from the moment the tag is known until the run is finished. */
  private writer: RepoLock | null = null;
  private readonly workers: Worker[];
  private readonly boundary: Boundary = { items: [], pauseRequested: false };
  private secrets: Secrets;
  /** The options' config and what was built from it, until an adopted commit brings another. */
  private config: TargetConfig;
  private proposer: Proposer;
  private strategyReviewer?: StrategyReviewer;
  private mechanismResearcher?: MechanismResearcher;

  constructor(private readonly opts: ResearchRunOptions) {
    this.config = opts.config;
    this.proposer = opts.proposer;
    this.strategyReviewer = opts.strategyReviewer;
    this.mechanismResearcher = opts.mechanismResearcher;
    this.secrets = opts.secrets ?? Secrets.of(opts.config.run.secretEnv);
    this.workers = opts.workers?.length ? opts.workers : [{ executor: opts.executor ?? new LocalExecutor() }];
    for (const level of opts.levelsNow ?? []) this.boundary.items.push({ kind: 'level', level });
  }

  /** Stop at the next boundary (after the current iteration, review or research session), as `run.paused`. */
  pause(): void {
    this.boundary.pauseRequested = true;
  }

  /** Run a level at the next boundary, whatever its schedule. */
  requestLevel(level: Level): void {
    this.boundary.items.push({ kind: 'level', level });
  }

  /** A person's verdict on a mechanism awaiting review (or active), applied at the next boundary. */
  reviewMechanism(name: string, verdict: 'accept' | 'reject', reason = ''): Promise<void> {
    return new Promise((resolve, reject) => this.boundary.items.push({ kind: 'review', name, verdict, reason, done: (e) => (e ? reject(e) : resolve()) }));
  }

  /** LLM-backed proposers and levels report each call here so that tokens and latency land in the trace. */
  recordLlmCall(call: LlmCall): void {
    this.session?.recordLlmCall(call);
  }

  async run(): Promise<ResearchRunSummary> {
    const { opts } = this;
    // An unreachable host or a dirty remote copy is one clear error before anything is written or counted.
    await Promise.all(this.workers.map((w) => w.executor.preflight?.()));
    let session: RunSession;
    try {
      session = this.session = await this.open();
    } catch (e) {
      this.writer?.release();
      throw e;
    }
    // Tells other processes (bilevel mechanisms accept) that this run is live and owns the trace.
    writeFileSync(runLockPath(session.runDir), String(process.pid));
    const { config } = this;
    const { mechanisms } = config.levels;
    const runtime = new MechanismRuntime(opts.startSandbox ?? sandboxStarter({ callMs: mechanisms.callTimeoutMs, memoryMb: mechanisms.memoryMb }), (name, hook, reason, n) =>
      session.emit({ type: 'mechanism.deactivated', n, name, hook, reason }),
    );
    const fallbackReviewer = rulesReviewerFor(config);
    const levels = new OuterLevels(session, runtime, this.strategyReviewer ?? fallbackReviewer, fallbackReviewer, this.mechanismResearcher ?? new OfflineMechanismResearcher(listLibrary()));
    const loop = { session, proposer: this.proposer, runtime, secrets: this.secrets, requeue: [], maxAttempts: opts.maxAttempts ?? 3, beforeTraining: opts.beforeTraining };
    const scheduler = new Scheduler(loop, levels, this.boundary, { iterations: opts.iterations, overlap: opts.overlap !== false });
    try {
      await levels.restoreActive();
      for (const name of finishInterruptedResearch(session)) this.boundary.items.unshift({ kind: 'activate', name });
      const slots = this.workers.map((worker, index): Slot => ({
        index,
        worker,
        checkout: this.workers.length === 1 ? session.repo.dir : join(session.runDir, 'worktrees', String(index)),
      }));
      const stop = await scheduler.schedule(slots);
      session.emit(stop ?? { type: 'run.stopped', reason: 'completed' });
      if (stop?.type === 'run.paused') this.boundary.pauseRequested = false;
    } catch (e) {
      if (e instanceof Interrupted || opts.signal?.aborted) {
        session.emit({ type: 'run.stopped', reason: 'interrupted' });
      } else {
        session.emit({ type: 'run.stopped', reason: 'error', message: (e as Error).message });
        throw e;
      }
    } finally {
      runtime.closeAll();
      for (const item of this.boundary.items.splice(0)) if (item.kind === 'review') item.done(new Error('the run stopped before the verdict could be applied'));
      session.close();
      rmSync(runLockPath(session.runDir), { force: true });
      this.writer?.release();
    }
    return { tag: session.tag, branch: session.branch, runDir: session.runDir, state: session.state };
  }

  /** The run's session: the run named by `tag` (or the latest) resumed, or a fresh one started. */
  private async open(): Promise<RunSession> {
    const { opts } = this;
    const repo = await RunRepo.open(opts.repoDir);
    const previous = opts.fresh ? null : (opts.tag ?? latestRunTag(repo.dir));
    // A trace without run.started (killed as it was created) is a run that never began: start it afresh.
    const resuming = previous !== null && hasRunStarted(join(runsDir(repo.dir), previous, 'trace.jsonl'));
    const tag = resuming ? previous : (opts.tag ?? defaultTag(new Date(), (t) => existsSync(join(runsDir(repo.dir), t))));
    const runDir = join(runsDir(repo.dir), tag);
    // A second run in this repository (any tag, CLI or editor) is refused here, before it touches anything.
    // A run killed with -9 kills the git command it had started too, which leaves git's lock behind.
    await repairKilledGit(repo.dir);
    this.writer = await RepoLock.take(repo.dir, { tag });
    await repo.excludeRunState();
    // Before any branch or ref is created: a read-only or missing state directory is one clear error.
    ensureWritableRunDir(runDir, repo.dir);
    return resuming ? this.resume(repo, tag, runDir) : this.start(repo, tag, runDir);
  }

  private async start(repo: RunRepo, tag: string, runDir: string): Promise<RunSession> {
    const { config, proposer } = this;
    await repo.assertClean();
    await repo.assertCommitted(config.editable);
    await repo.assertRunBranchFree(tag);
    // Where the user goes on working (or fixes a failed baseline): its new commits can be adopted.
    const startBranch = await repo.currentBranch();
    const baseCommit = await repo.head();
    const { session } = this.sessionOn(repo, tag, runDir);
    // The trace first, then the branch: a kill in between resumes and creates the branch (see resume),
    // where the other order left a branch with no run and refused the tag.
    session.emit({ type: 'run.started', tag, branch: runBranch(tag), baseCommit, metric: config.metric.name, goal: config.metric.goal, proposer: proposer.name, startBranch });
    await repo.createRunBranch(tag, baseCommit);
    return session;
  }

  /** Picks a run up where the trace ends: experiments left open are closed as interrupted. */
  private async resume(repo: RunRepo, tag: string, runDir: string): Promise<RunSession> {
    let { session, repaired } = this.sessionOn(repo, tag, runDir);
    const open = [...session.state.open.values()];
    const dirty = await repo.dirtyPaths();
    // Changes the loop itself left behind (killed between applying and committing, inside a reset or a
    // branch move) are safe to drop; anything else is the user's and stops the resume.
    const own = loopLeftovers(dirty, this.config.editable, open.length > 0);
    const leftovers = own !== null && (await this.editsLeftByKill(repo, session, open, dirty.filter((p) => this.config.editable.includes(p)))) ? own : null;
    if (leftovers === null) await repo.assertClean();
    const { startBranch, startBranchSeen } = session.state;
    // What the start branch has that the run has not seen (nor holds already, merged into its branch):
    // without --adopt the resume stops here, before even the checkout.
    const onStartBranch = startBranch && startBranch !== session.branch ? await repo.newCommitsOn(startBranch, startBranchSeen, tag) : [];
    if (startBranch && onStartBranch.length && !this.opts.adopt) throw startBranchWork(tag, session.branch, startBranch, onStartBranch);
    // Killed between run.started and creating the branch: nothing ran yet, so the branch starts where the run did.
    if (!session.state.experiments.length && !(await repo.branchExists(session.branch))) await repo.createRunBranch(tag, session.state.startCommit);
    await repo.checkoutRunBranch(tag);
    // Commits the loop did not make, or files it did not change, stop the resume with nothing touched.
    // Before closing the open experiments: closing them would hide the trees they left unrecorded.
    const onRunBranch = await repo.takeUpRunBranch(tag, session.bestCommit(), loopCommits(session.events()), leftovers ?? [], this.opts.adopt === true);
    const adoption = adoptionOf({ tag, runBranch: session.branch, onRunBranch, startBranch, onStartBranch, adopt: this.opts.adopt === true, leftAt: session.bestCommit() });
    let configChanged = false;
    if (adoption) {
      // A bad config in the adopted commit is one clear error here, before anything is written or moved.
      const committed = await loadTargetConfigAt(repo, adoption.commits[0].commit);
      configChanged = committed !== null && this.reconfigure(committed);
      if (configChanged) {
        session.close();
        session = this.sessionOn(repo, tag, runDir).session;
      }
    }
    for (const x of open) await closeOpenExperiment(session, x);
    if (adoption) {
      const { commit } = adoption.commits[0];
      if (adoption.from === 'start-branch') await repo.resetTo(tag, commit);
      session.emit({ type: 'run.adopted', commit, from: adoption.from, branch: adoption.branch, commits: adoption.commits, by: 'user', ...(configChanged ? { configChanged } : {}) });
    }
    const best = session.bestCommit();
    if ((await repo.head()) !== best || dirty.length) await repo.resetTo(tag, best);
    session.emit({ type: 'run.resumed', bestCommit: best, nextIteration: session.state.nextN, ...(repaired !== null ? { repairedTrace: repaired } : {}) });
    return session;
  }

  /**
   * The changed paths a killed iteration left in the checkout (the loop's to drop), or none when
   * they may be the user's: only an iteration killed before its commit leaves files changed, only
   * editable ones, and once its candidate was applied and recorded, exactly as applied. An edit
   * made since (or while a committed candidate waited at the stepping gate) is the user's.
   */
  /**
   * Whether the changed editable files are what a killed iteration left: what it applied (its
   * recorded tree), or, for a kill inside a reset, the content of its commit or of the best. A
   * person's edit made after the kill matches none of them.
   */
  private async editsLeftByKill(repo: RunRepo, session: RunSession, open: Experiment[], paths: string[]): Promise<boolean> {
    if (!paths.length) return true;
    const uncommitted = open.filter((x) => x.commit === undefined);
    // Killed between writing the files and recording them: nothing to compare with.
    if (uncommitted.some((x) => x.tree === undefined)) return true;
    if (uncommitted.length) {
      const tree = await repo.worktreeTree(paths);
      // With mechanisms the recorded tree leaves the loop's own files out (experimentTree).
      const withoutOwn = await repo.experimentTree(tree);
      if (uncommitted.some((x) => x.tree === tree || x.tree === withoutOwn)) return true;
    }
    const sources = [session.bestCommit(), ...open.flatMap((x) => (x.commit ? [x.commit] : []))];
    for (const p of paths) {
      const now = existsSync(join(repo.dir, p)) ? readFileSync(join(repo.dir, p), 'utf8') : null;
      let matched = false;
      for (const c of sources) if (!matched && (await repo.readFileAt(c, p)) === now) matched = true;
      if (!matched) return false;
    }
    return true;
  }

  /** Takes up the config an adopted commit holds; false when it is the one in use. */
  private reconfigure(committed: TargetConfig): boolean {
    const next = this.opts.reconfigure?.(committed) ?? { config: committed };
    if (JSON.stringify(next.config) === JSON.stringify(this.config)) return false;
    this.config = next.config;
    this.proposer = next.proposer ?? this.proposer;
    this.strategyReviewer = next.strategyReviewer ?? this.strategyReviewer;
    this.mechanismResearcher = next.mechanismResearcher ?? this.mechanismResearcher;
    if (!this.opts.secrets) this.secrets = Secrets.of(next.config.run.secretEnv);
    return true;
  }

  private sessionOn(repo: RunRepo, tag: string, runDir: string): { session: RunSession; repaired: string | null } {
    const { store, repaired } = TraceStore.open(join(runDir, 'trace.jsonl'));
    const session = new RunSession({ tag, runDir, repo, config: this.config, store, secrets: this.secrets, onEvent: this.opts.onEvent, signal: this.opts.signal });
    return { session, repaired };
  }
}

function hasRunStarted(tracePath: string): boolean {
  return existsSync(tracePath) && TraceStore.read(tracePath)[0]?.type === 'run.started';
}
