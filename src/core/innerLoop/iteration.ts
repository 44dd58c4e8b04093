import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Candidate } from '../../shared/trace/candidate';
import type { IterationResult, RunEventBody } from '../../shared/trace/events';
import { applyValidatedCandidate } from '../candidates/applyCandidate';
import { validateCandidate, type CandidateRules } from '../candidates/validateCandidate';
import { ExecutorSetupError, type TrainingResult } from '../executors/executor';
import { hookContext } from '../mechanisms/hookContext';
import type { MechanismResult } from '../mechanisms/mechanism';
import { NO_STEER, type Steer } from '../mechanisms/mechanismRuntime';
import { proposerCredit } from '../mechanisms/proposalShare';
import { ProposalError } from '../proposers/proposer';
import { writeResultsTable } from '../store/resultsTable';
import { experimentCommitMessage } from '../git/commitMessage';
import { describeEdit } from '../candidates/describeEdit';
import type { PythonParam } from '../target/pythonParams';
import type { TargetConfig } from '../target/targetConfig';
import { decide, type Confirmation } from './decision';
import { useEarly, type EarlyProposal } from './earlyProposal';
import { duplicateRejection, firstRejection, vetoRejection, type Rejection } from './gates';
import type { InnerLoop, Requeued, Slot } from './innerLoop';
import { Interrupted, throwIfAborted } from './interrupted';
import { judge } from './judge';
import { paramChanges, paramRecord, proposedChanges } from './paramChanges';
import { candidateRules, proposalContext, readEditable, strategyGuidance } from './proposalInputs';

/** A committed candidate (or the baseline) ready to train. */
export interface Prepared {
  confirm?: Confirmation;
  n: number;
  commit: string;
  /** The best commit it was built on. */
  base: string;
  description: string;
  candidate?: Candidate;
  baseline: boolean;
}

interface Proposal {
  candidate: Candidate;
  proposer: string;
  /** The mechanism that proposed it, if one did (Level 2). */
  byMechanism?: string;
  prepared?: Extract<RunEventBody, { type: 'candidate.proposed' }>['prepared'];
}

/**
 * One iteration of Level 1, karpathy's program.md loop: propose a change on the best, pass it through
 * the gates, commit it, train it, decide keep or discard, record. Every step is an event appended to
 * the trace before the next one starts, so a run resumes from the trace alone after a kill.
 */
export class Iteration {
  /** Why the proposer failed, when it did (the run stops after several failures in a row). */
  proposalFailure?: string;
  /** The worker's executor failed (host down, setup): the worker is out of rotation, not the run. */
  workerFailure?: ExecutorSetupError;
  private readonly shared: boolean;

  private constructor(
    private readonly loop: InnerLoop,
    readonly n: number,
    private readonly slot: Slot,
    /** The best commit when the iteration started: what it builds on. */
    readonly base: string,
  ) {
    this.shared = slot.checkout === loop.session.repo.dir;
  }

  static begin(loop: InnerLoop, slot: Slot, baseline: boolean): Iteration {
    const { session } = loop;
    const it = new Iteration(loop, session.state.nextN, slot, session.bestCommit());
    session.emit({ type: 'iteration.started', n: it.n, baseCommit: it.base, baseline });
    return it;
  }

  /** The baseline: the best commit as it is (the first measures the start; repeats measure noise). */
  async baseline(): Promise<Prepared> {
    const { session } = this.loop;
    if (!this.shared) await session.exclusive(() => session.repo.prepareWorktree(this.slot.checkout, this.base));
    return { n: this.n, commit: this.base, base: this.base, description: 'baseline', baseline: true };
  }

  /**
   * Propose → gates → commit, up to maxAttempts candidates; returns how the iteration ended when no
   * candidate came of it. `takeEarly`: the proposal prepared while the previous experiment trained, if any.
   */
  async propose(takeEarly: () => EarlyProposal | null): Promise<Prepared | IterationResult> {
    const { session } = this.loop;
    try {
      if (!this.shared) await session.exclusive(() => this.resetCheckout());
      return await this.proposeUntilCommitted(takeEarly);
    } catch (e) {
      if (!(e instanceof Interrupted)) throw e;
      session.emit({ type: 'experiment.interrupted', n: this.n, reason: 'stopped before training' });
      this.finish('interrupted');
      if (this.shared) await session.exclusive(() => this.resetCheckout());
      throw e;
    }
  }

  /** Train → decide → record. */
  async train(x: Prepared): Promise<IterationResult> {
    const { session } = this.loop;
    if (!x.baseline && this.loop.beforeTraining) {
      const verdict = await this.loop.beforeTraining({ n: x.n, commit: x.commit, parent: x.base, description: x.description, checkout: this.slot.checkout });
      throwIfAborted(session.signal);
      if (verdict === 'skip') return session.exclusive(() => this.skip(x));
      const edited = await session.exclusive(() => this.commitEdits(x));
      if (edited) x.commit = edited;
    }
    let result: TrainingResult;
    try {
      result = await this.runTraining(x);
    } catch (e) {
      if (!(e instanceof ExecutorSetupError)) throw e;
      this.workerFailure = e;
      return session.exclusive(() => this.untrained(x, e.message));
    }
    return session.exclusive(() => this.decideAndRecord(x, result));
  }

  private async proposeUntilCommitted(takeEarly: () => EarlyProposal | null): Promise<Prepared | IterationResult> {
    const { session, runtime, maxAttempts } = this.loop;
    const { n } = this;
    const feedback: string[] = [];
    let steer: Steer = NO_STEER;
    // Once a mechanism's own proposal is rejected, the proposer gets the remaining attempts.
    let mechanismMayPropose = true;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      throwIfAborted(session.signal);
      const files = readEditable(session, this.slot.checkout);
      const params = session.parse(files);
      const ctxParams = session.contextParams(params);
      const strategyFrozen = session.state.strategy.frozen;
      const earlyNow = attempt === 1 ? takeEarly() : null;
      if (earlyNow) steer = await earlyNow.steer;
      else if (attempt === 1 && runtime.names().length) steer = await runtime.beforePropose(n, hookContext(session.state, ctxParams, n));
      const mechanismFrozen = steer.freeze.map((f) => f.name);
      const rules = candidateRules(session, params, [...strategyFrozen, ...mechanismFrozen]);
      const validate = validateOnce(rules, files);
      const hooks = () => hookContext(session.state, ctxParams, n, mechanismFrozen, steer.focus);
      const rerun = attempt === 1 ? this.loop.requeue.shift() : undefined;

      // 1. propose
      let proposal: Proposal;
      try {
        proposal = await this.proposeOne({ rerun, mechanismMayPropose, hooks, early: earlyNow, params, rules, files, validate, steer, feedback });
      } catch (e) {
        throwIfAborted(session.signal);
        if (!(e instanceof ProposalError)) throw e;
        this.proposalFailure = e.message;
        session.emit({ type: 'proposal.failed', n, reason: e.message });
        return this.finish('proposal-failed');
      }
      const { candidate, byMechanism } = proposal;
      session.emit({ type: 'candidate.proposed', n, candidate, proposer: proposal.proposer, level: byMechanism ? 2 : 1, ...(byMechanism ? { mechanism: byMechanism } : {}), ...(proposal.prepared ? { prepared: proposal.prepared } : {}) });
      const reject = (r: Rejection) => {
        session.emit({ type: 'candidate.rejected', n, by: r.by, reason: r.reason, candidate });
        feedback.push(`Your proposal "${candidate.description}" was rejected before training: ${r.reason}`);
        if (byMechanism) mechanismMayPropose = false;
      };

      // 2. gates
      const stopped =
        firstRejection({ candidate, strategyFrozen, configFrozen: session.config.parameters.frozen, strategyCycle: session.state.strategyReviews, mechanismFrozen: steer.freeze, validation: validate(candidate) }) ??
        (runtime.names().length ? vetoRejection(await runtime.review(n, hooks(), { ...candidate, changed: proposedChanges(params, candidate) })) : null);
      if (stopped) {
        reject(stopped);
        continue;
      }

      // 3. commit
      const committed = await this.commit(candidate, rules, params, rerun);
      const duplicate = duplicateRejection(committed, byMechanism);
      if (duplicate) {
        reject(duplicate);
        continue;
      }
      if (committed.sameAs !== undefined) {
        const earlier = session.state.experiments.find((x) => x.n === committed.sameAs)!;
        session.emit({ type: 'candidate.cached', n, sameAs: committed.sameAs, metric: earlier.metric, status: earlier.status ?? 'crash' });
        return this.finish('cached');
      }
      return { n, commit: committed.commit!, base: this.base, description: candidate.description, candidate, baseline: false, ...(rerun?.confirm ? { confirm: rerun.confirm } : {}) };
    }
    return this.finish('rejected');
  }

  /** One candidate: a re-run from the queue, a mechanism's own proposal, the early one, or the proposer's. */
  private async proposeOne(a: {
    rerun?: Requeued;
    mechanismMayPropose: boolean;
    hooks: () => ReturnType<typeof hookContext>;
    early: EarlyProposal | null;
    params: PythonParam[];
    rules: CandidateRules;
    files: Record<string, string>;
    validate: (c: Candidate) => readonly string[];
    steer: Steer;
    feedback: string[];
  }): Promise<Proposal> {
    const { session, runtime, proposer } = this.loop;
    const proposed = !a.rerun && a.mechanismMayPropose && runtime.names().length ? await runtime.propose(this.n, a.hooks(), proposerCredit(session.state.experiments)) : null;
    if (a.rerun) {
      const why = a.rerun.confirm ? 'to confirm' : 'on the new best';
      const description = `${a.rerun.candidate.description.replace(/ \(re-run of #\d+ [^)]*\)$/, '')} (re-run of #${a.rerun.from} ${why})`;
      return { candidate: { ...a.rerun.candidate, description }, proposer: 'rerun' };
    }
    if (proposed) {
      const { description, hypothesis, params } = proposed.candidate;
      return { candidate: { description, hypothesis, params }, proposer: `mechanism:${proposed.name}`, byMechanism: proposed.name };
    }
    const ready = a.early ? await useEarly(this.loop, a.early, this.base, a.params, a.rules, a.validate) : null;
    if (ready?.feedback) a.feedback.push(ready.feedback);
    if (ready?.candidate) return { candidate: ready.candidate, proposer: proposer.name, prepared: ready.prepared };
    const guidance = [...strategyGuidance(session.state, a.steer.focus), ...a.steer.guidance, ...a.feedback];
    const ctx = proposalContext(session, this.n, a.rules, a.files, guidance, [...session.state.strategy.focus, ...a.steer.focus]);
    return { candidate: await proposer.propose(ctx, session.signal), proposer: proposer.name, prepared: ready?.prepared };
  }

  /** Applies and stages the candidate; commits it unless its tree is one trained before or training now. */
  private commit(candidate: Candidate, rules: CandidateRules, params: PythonParam[], rerun: Requeued | undefined): Promise<{ commit?: string; sameAs?: number; twin?: number }> {
    const { session } = this.loop;
    const { repo, config } = session;
    const { n, slot } = this;
    return session.exclusive(async () => {
      const changedPaths = await applyValidatedCandidate(slot.checkout, candidate, rules, { names: config.parameters.names });
      const after = session.parse(readEditable(session, slot.checkout));
      const staged = await repo.stageTree(changedPaths, slot.checkout);
      // Mechanism files ride along on the branch; the cache compares the training code alone.
      const tree = session.state.mechanisms.size ? await repo.experimentTree(staged) : staged;
      session.emit({ type: 'candidate.applied', n, params: paramRecord(after), changed: paramChanges(params, after), tree });
      // A confirmation re-run trains an evaluated configuration again on purpose.
      const sameAs = rerun?.confirm ? undefined : session.state.evaluatedTrees.get(tree);
      const twin = [...session.state.open.values()].find((x) => x.n !== n && x.tree === tree);
      if (sameAs !== undefined || twin) {
        await this.resetCheckout();
        return { sameAs, twin: twin?.n };
      }
      const message = experimentCommitMessage(candidate.description, candidate.hypothesis);
      const commit = this.shared ? await repo.commitStaged(session.tag, message) : await repo.commitDetached(slot.checkout, message);
      session.emit({ type: 'candidate.committed', n, commit });
      return { commit };
    });
  }

  private async runTraining(x: Prepared): Promise<TrainingResult> {
    const { session, secrets } = this.loop;
    const { run, metric } = session.config;
    const { n, commit } = x;
    const log = join(session.runDir, 'logs', `${n}.log`);
    mkdirSync(join(session.runDir, 'logs'), { recursive: true });
    const result = await this.slot.worker.executor.run({
      n,
      cwd: this.slot.checkout,
      commit,
      command: run.command,
      env: { ...run.env, ...this.slot.worker.env },
      secrets,
      timeoutSeconds: run.hardTimeoutSeconds,
      logPath: log,
      metric,
      signal: session.signal,
      onStart: (pid, slurmJobId) => session.emit({ type: 'training.started', n, commit, command: run.command, log, pid, ...(slurmJobId !== undefined ? { slurmJobId } : {}), ...(this.slot.worker.executor.where ? { where: this.slot.worker.executor.where } : {}) }),
      onLine: (line, stream) => session.emit({ type: 'training.output', n, line, stream }),
    });
    session.emit({ type: 'training.finished', n, outcome: result.outcome, exitCode: result.exitCode, metric: result.metric, secondary: result.secondary, seconds: result.seconds, reason: result.reason, ...(result.logProblem ? { logProblem: result.logProblem } : {}) });
    return result;
  }

  /** Judges the result against the incumbent (with the mechanisms' say), records it, moves the branch. */
  private async decideAndRecord(x: Prepared, result: TrainingResult): Promise<IterationResult> {
    const { session, runtime } = this.loop;
    const { repo, config, tag } = session;
    const { n, commit, baseline } = x;
    if (result.outcome === 'interrupted') {
      if (!baseline) await repo.recordTried(tag, n, commit);
      session.emit({ type: 'experiment.interrupted', n, commit, reason: result.reason ?? 'stopped' });
      if (this.shared) await repo.resetTo(tag, session.bestCommit());
      return this.finish('interrupted');
    }
    const previousBest = session.state.incumbent?.metric ?? null;
    const judged = judge(result.outcome, result.metric, previousBest, config.metric);
    const experiment = session.state.experiments.find((e) => e.n === n);
    const mechanismResult = (status: string) => ({ n, status, metric: result.metric, delta: judged.delta, changed: experiment?.changed ?? {}, description: x.description }) as MechanismResult;
    const hooks = !baseline && runtime.names().length ? hookContext(session.state, await session.paramsAtBest(), n) : null;
    const override = hooks && judged.status !== 'crash' ? await runtime.decide(n, hooks, { ...mechanismResult(judged.status), ...(x.confirm ? { reruns: x.confirm.metrics } : {}) }) : null;
    const decision = decide({ n, judged, metric: result.metric, previousBest, baseline, override, confirm: x.confirm, hasCandidate: !!x.candidate, base: x.base, bestCommit: session.bestCommit() });
    if (decision.requeue && x.candidate) this.loop.requeue.push({ candidate: x.candidate, from: n, ...decision.requeue });
    const { status, delta, note } = decision;
    // The tried ref first: a kill after the decision is recorded must not lose the commit.
    if (!baseline) await repo.recordTried(tag, n, commit);
    session.emit({ type: 'experiment.decided', n, status, commit, metric: result.metric, previousBest, delta, description: x.description, memoryGb: memoryGb(result.secondary, config), ...(note ? { note } : {}) });
    if (status === 'keep' && !this.shared) await repo.resetTo(tag, commit);
    if (status !== 'keep' && this.shared) await repo.resetTo(tag, session.bestCommit());
    writeResultsTable(join(session.runDir, 'results.tsv'), session.events(), config.metric.name);
    if (hooks && runtime.names().length) await runtime.afterResult(n, hooks, mechanismResult(status));
    return this.finish(status);
  }

  /** The worker could not train it: recorded as interrupted (not a result, not counted), the checkout back on the best. */
  private async untrained(x: Prepared, why: string): Promise<IterationResult> {
    const { session } = this.loop;
    if (!x.baseline) await session.repo.recordTried(session.tag, x.n, x.commit);
    session.emit({ type: 'experiment.interrupted', n: x.n, commit: x.commit, reason: `the worker failed: ${why}` });
    if (this.shared) await session.repo.resetTo(session.tag, session.bestCommit());
    return this.finish('interrupted');
  }

  /** Stepping: the person skipped the candidate before it trained. */
  private async skip(x: Prepared): Promise<IterationResult> {
    const { session } = this.loop;
    await session.repo.recordTried(session.tag, x.n, x.commit);
    session.emit({ type: 'candidate.rejected', n: x.n, by: 'user', reason: 'skipped before training', candidate: x.candidate });
    if (this.shared) await session.repo.resetTo(session.tag, session.bestCommit());
    return this.finish('rejected');
  }

  /**
   * Stepping: a person edited the candidate's files before it trained. The edits become the
   * candidate's commit (amended, so its diff against the base stays one commit); null when untouched.
   */
  private async commitEdits(x: Prepared): Promise<string | null> {
    const { session } = this.loop;
    const { repo, config } = session;
    const { checkout } = this.slot;
    const dirty = await repo.dirtyPaths(checkout);
    const paths = dirty.filter((p) => config.editable.includes(p));
    if (!paths.length) return null;
    const staged = await repo.stageTree(paths, checkout);
    const tree = session.state.mechanisms.size ? await repo.experimentTree(staged) : staged;
    const { file } = config.parameters;
    const before = session.parse({ [file]: await repo.requireFileAt(x.base, file) });
    const after = session.parse(readEditable(session, checkout));
    // The commit, the results and the trace say what was trained, and that a person edited it.
    x.description = describeEdit(x.description, paramChanges(before, after), paths.filter((p) => p !== file));
    const commit = await repo.amend(checkout, session.tag, experimentCommitMessage(x.description, x.candidate?.hypothesis ?? ''));
    session.emit({ type: 'candidate.edited', n: x.n, commit, tree, changed: paramChanges(before, after), params: paramRecord(after) });
    return commit;
  }

  private resetCheckout(): Promise<void> {
    const { repo, tag } = this.loop.session;
    return this.shared ? repo.resetTo(tag, this.base) : repo.prepareWorktree(this.slot.checkout, this.base);
  }

  /** Emits the iteration's provenance (which hooks ran, and what they returned), then ends it. */
  finish(result: IterationResult): IterationResult {
    const { session, runtime } = this.loop;
    const ran = runtime.takeRuns(this.n);
    const active = runtime.names();
    if (ran.length || active.length) session.emit({ type: 'mechanism.hooks', n: this.n, active, ran });
    session.emit({ type: 'iteration.finished', n: this.n, result });
    return result;
  }
}

/** validateCandidate against one set of files, run at most once per candidate. */
function validateOnce(rules: CandidateRules, files: Record<string, string>): (c: Candidate) => readonly string[] {
  const seen = new Map<Candidate, string[]>();
  return (c) => {
    let reasons = seen.get(c);
    if (!reasons) seen.set(c, (reasons = validateCandidate(c, rules, files)));
    return reasons;
  };
}

function memoryGb(secondary: Record<string, number>, config: TargetConfig): number | null {
  const m = config.metric.memory;
  if (!m || secondary[m.name] === undefined) return null;
  return m.unit === 'GB' ? secondary[m.name] : secondary[m.name] / 1024;
}
