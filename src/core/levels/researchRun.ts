import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Candidate, ParamValue } from '../candidates/candidate';
import { applyCandidate } from '../candidates/applyCandidate';
import { validateCandidate, type CandidateRules } from '../candidates/validateCandidate';
import type { IterationResult, LlmUsage, RunEvent, RunEventBody } from '../events/events';
import type { Executor } from '../executors/executor';
import { LocalExecutor } from '../executors/localExecutor';
import { isAlive, killProcessGroup, processStartTime } from '../executors/processGroup';
import { GitError, RUN_STATE_DIR, RunRepo, runBranch } from '../git/runRepo';
import { ProposalError, type HistoryEntry, type ParamView, type ProposalContext, type Proposer } from '../proposers/proposer';
import { renderResultsTable } from '../store/resultsTable';
import { applyEvent, deriveRunState, needsBaseline, type Experiment, type RunState } from '../store/runState';
import { TraceStore } from '../store/traceStore';
import { parseParams } from '../target/pythonParams';
import type { TargetConfig } from '../target/targetConfig';
import { judge } from './judge';

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
}

/** A place where one experiment at a time can train: a GPU index, an SSH host, a Slurm job slot. */
export interface Worker {
  executor: Executor;
  /** Extra environment for this worker's runs, e.g. CUDA_VISIBLE_DEVICES. */
  env?: Record<string, string>;
}

interface Slot {
  index: number;
  worker: Worker;
  /** The working copy this slot trains in: the main checkout with one worker, else its own worktree. */
  checkout: string;
}

/** A committed candidate (or the baseline) ready to train. */
interface Prepared {
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
  private readonly requeue: { candidate: Candidate; from: number }[] = [];

  constructor(private readonly opts: ResearchRunOptions) {
    this.workers = opts.workers?.length ? opts.workers : [{ executor: opts.executor ?? new LocalExecutor() }];
  }

  async run(): Promise<ResearchRunSummary> {
    const { opts } = this;
    this.repo = await RunRepo.open(opts.repoDir);
    const previous = opts.fresh ? null : (opts.tag ?? latestRunTag(this.repo.dir));
    const resuming = previous !== null && existsSync(join(runsDir(this.repo.dir), previous, 'trace.jsonl'));
    this.tag = resuming ? previous : (opts.tag ?? defaultTag(new Date(), (t) => existsSync(join(runsDir(this.repo.dir), t))));
    this.runDir = join(runsDir(this.repo.dir), this.tag);
    await this.repo.excludeRunState();
    if (resuming) await this.resume();
    else await this.start();
    const slots = this.workers.map((worker, index): Slot => ({
      index,
      worker,
      checkout: this.workers.length === 1 ? this.repo.dir : join(this.runDir, 'worktrees', String(index)),
    }));

    try {
      const stop = await this.schedule(slots);
      this.emit(stop ?? { type: 'run.stopped', reason: 'completed' });
    } catch (e) {
      if (e instanceof Interrupted || opts.signal?.aborted) {
        this.emit({ type: 'run.stopped', reason: 'interrupted' });
      } else {
        this.emit({ type: 'run.stopped', reason: 'error', message: (e as Error).message });
        throw e;
      }
    } finally {
      this.store.close();
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
    };
    try {
      while (!stop) {
        this.checkAbort();
        if (needsBaseline(this.state)) {
          if (inFlight.size) {
            await drain();
            continue;
          }
          const result = await this.runExperiment(slots[0], await this.prepareBaseline(slots[0]));
          if (result === 'crash') {
            const x = this.state.experiments[this.state.experiments.length - 1];
            stop = { type: 'run.stopped', reason: 'error', message: `The baseline run failed (${x.training?.reason ?? 'no metric'}). Fix the training command and run again; see ${x.training?.log ?? 'the log'}.` };
          }
          continue;
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

  /** LLM-backed proposers report each call here so that tokens and latency land in the trace. */
  recordLlmCall(usage: LlmUsage, ok: boolean, error?: string): void {
    if (this.store) this.emit({ type: 'llm.called', usage, ok, error });
  }

  private summary(): ResearchRunSummary {
    return { tag: this.tag, branch: runBranch(this.tag), runDir: this.runDir, state: this.state };
  }

  private emit(body: RunEventBody): RunEvent {
    const event = this.store.append(body);
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
    if (x.commit && !x.baseline) await this.repo.recordTried(this.tag, x.n, x.commit);
    this.emit({ type: 'experiment.interrupted', n: x.n, commit: x.commit, reason: pid ? 'the run stopped while training' : 'the run stopped mid-iteration' });
    this.emit({ type: 'iteration.finished', n: x.n, result: 'interrupted' });
  }

  private bestCommit(): string {
    return this.state.best?.commit ?? this.state.startCommit;
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
    const finish = (result: IterationResult) => {
      this.emit({ type: 'iteration.finished', n, result });
      return result;
    };
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
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      this.checkAbort();
      const files = this.readEditable(slot.checkout);
      const params = this.currentParams(files);
      const rules = this.rules(params);
      let candidate: Candidate;
      let proposer = this.opts.proposer.name;
      const rerun = attempt === 1 ? this.requeue.shift() : undefined;
      try {
        if (rerun) {
          candidate = { ...rerun.candidate, description: `${rerun.candidate.description} (re-run of #${rerun.from} on the new best)` };
          proposer = 'rerun';
        } else {
          candidate = await this.opts.proposer.propose(this.context(n, rules, files, feedback), this.opts.signal);
        }
      } catch (e) {
        this.checkAbort();
        if (!(e instanceof ProposalError)) throw e;
        this.lastProposalFailure = e.message;
        this.emit({ type: 'proposal.failed', n, reason: e.message });
        return finish('proposal-failed');
      }
      this.emit({ type: 'candidate.proposed', n, candidate, proposer });
      const reasons = validateCandidate(candidate, rules, files);
      if (reasons.length) {
        const reason = reasons.join('; ');
        this.emit({ type: 'candidate.rejected', n, by: 'validation', reason, candidate });
        feedback.push(`Your proposal "${candidate.description}" was rejected before training: ${reason}`);
        continue;
      }
      const outcome = await this.exclusive(async () => {
        const changedPaths = await applyCandidate(slot.checkout, candidate, rules, { names: this.opts.config.parameters.names });
        const after = this.currentParams(this.readEditable(slot.checkout));
        const tree = await this.repo.stageTree(changedPaths, slot.checkout);
        this.emit({ type: 'candidate.applied', n, params: paramRecord(after), changed: paramChanges(params, after), tree });
        const sameAs = this.state.evaluatedTrees.get(tree);
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
        const reason = `identical to #${outcome.twin.n}, which is training now`;
        this.emit({ type: 'candidate.rejected', n, by: 'validation', reason, candidate });
        feedback.push(`Your proposal "${candidate.description}" was rejected: ${reason}`);
        continue;
      }
      if (outcome.sameAs !== undefined) {
        const earlier = this.state.experiments.find((x) => x.n === outcome.sameAs)!;
        this.emit({ type: 'candidate.cached', n, sameAs: outcome.sameAs, metric: earlier.metric, status: earlier.status ?? 'crash' });
        return finish('cached');
      }
      return { n, commit: outcome.commit!, base, description: candidate.description, candidate, baseline: false };
    }
    return finish('rejected');
  }

  /** Trains a prepared experiment in its slot and judges it against the best known when it finishes. */
  private async runExperiment(slot: Slot, x: Prepared): Promise<IterationResult> {
    const { n, commit, baseline } = x;
    const { run, metric } = this.opts.config;
    const log = join(this.runDir, 'logs', `${n}.log`);
    mkdirSync(join(this.runDir, 'logs'), { recursive: true });
    const result = await slot.worker.executor.run({
      n,
      cwd: slot.checkout,
      commit,
      command: run.command,
      env: { ...run.env, ...slot.worker.env },
      timeoutSeconds: run.hardTimeoutSeconds,
      logPath: log,
      metric,
      signal: this.opts.signal,
      onStart: (pid) => this.emit({ type: 'training.started', n, commit, command: run.command, log, pid }),
      onLine: (line, stream) => this.emit({ type: 'training.output', n, line, stream }),
    });
    this.emit({ type: 'training.finished', n, outcome: result.outcome, exitCode: result.exitCode, metric: result.metric, secondary: result.secondary, seconds: result.seconds, reason: result.reason });
    const shared = slot.checkout === this.repo.dir;

    return this.exclusive(async () => {
      const finish = (r: IterationResult) => {
        this.emit({ type: 'iteration.finished', n, result: r });
        return r;
      };
      if (result.outcome === 'interrupted') {
        if (!baseline) await this.repo.recordTried(this.tag, n, commit);
        this.emit({ type: 'experiment.interrupted', n, commit, reason: result.reason ?? 'stopped' });
        if (shared) await this.repo.resetTo(this.tag, this.bestCommit());
        return finish('interrupted');
      }
      const previousBest = this.state.best?.metric ?? null;
      let { status, delta } = judge(result.outcome, result.metric, previousBest, metric);
      // A run on a base that is no longer the best is judged against the best, but only kept if it
      // ran on it: its change would otherwise land untested on top of another.
      const stale = !baseline && x.base !== this.bestCommit();
      const note = stale && status === 'keep' ? `beat the best but ran on ${x.base.slice(0, 7)}, not on the current best; re-queued to run on it` : undefined;
      if (note) {
        status = 'discard';
        if (x.candidate) this.requeue.push({ candidate: x.candidate, from: n });
      }
      this.emit({ type: 'experiment.decided', n, status, commit, metric: result.metric, previousBest, delta, description: x.description, memoryGb: memoryGb(result.secondary, this.opts.config), ...(note ? { note } : {}) });
      if (!baseline) await this.repo.recordTried(this.tag, n, commit);
      if (status === 'keep' && !shared) await this.repo.resetTo(this.tag, commit);
      if (status !== 'keep' && shared) await this.repo.resetTo(this.tag, this.bestCommit());
      writeFileSync(join(this.runDir, 'results.tsv'), renderResultsTable(this.store.events(), metric.name));
      return finish(status);
    });
  }

  private context(n: number, rules: CandidateRules, files: Record<string, string>, feedback: string[]): ProposalContext {
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
      guidance: feedback,
      // Configurations in flight count as evaluated, so parallel workers never train the same thing.
      evaluated: this.state.experiments.filter((x) => x.params && (x.status || x.sameAs !== undefined || (x.commit && !x.result))).map((x) => x.params!),
    };
  }
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
