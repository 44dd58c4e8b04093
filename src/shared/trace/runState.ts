import type { Candidate, ParamValue } from './candidate';
import type { ExperimentStatus, HookRun, IterationResult, MechanismCheck, Outcome, RejectedBy, RunEvent, Status } from './events';
import { isBetter, type Goal } from './goal';

/**
 * The one fold of the event stream: the engine, the CLI, the extension's views and the dashboard all
 * read a run from this state, so they cannot disagree about it. Pure and O(1) per event.
 */

/** One iteration as the events describe it. */
export interface Experiment {
  n: number;
  baseline: boolean;
  baseCommit: string;
  /** When the iteration started (its iteration.started). */
  startedAt: string;
  /** The latest proposal; an attempt that was rejected is replaced by the next. */
  candidate?: Candidate;
  proposer?: string;
  /** The level whose output the candidate is: 1 the inner proposer, 2 a mechanism's `propose` hook. */
  level?: 1 | 2;
  /** The mechanism whose `propose` hook proposed it. */
  proposedBy?: string;
  rejections: { by: RejectedBy; reason: string; candidate?: Candidate }[];
  /** Why no candidate came of the iteration (proposal.failed). */
  proposalFailure?: string;
  /** Of the latest proposal, once applied: the full configuration and what it changed. */
  params?: Record<string, ParamValue>;
  changed?: Record<string, { from: ParamValue; to: ParamValue }>;
  tree?: string;
  commit?: string;
  /** A person edited the candidate's files before it trained (stepping); `commit`, `params` and `changed` are theirs. */
  edited?: boolean;
  sameAs?: number;
  training?: { outcome?: Outcome; pid?: number; slurmJobId?: number; startedAt?: string; log: string; seconds?: number; reason?: string; secondary?: Record<string, number> };
  status?: Status;
  metric: number | null;
  delta: number | null;
  /** The incumbent's metric when the result came in: what it was judged against (null for the baseline). */
  incumbentMetric?: number | null;
  memoryGb: number | null;
  description?: string;
  /** Why the decision differs from what the metric alone says (experiment.decided's note). */
  note?: string;
  /** Why it stopped before a result (experiment.interrupted). */
  interrupted?: string;
  /** Set once the iteration finished; absent for those an interrupted process left open. */
  result?: IterationResult;
}

/** A kept experiment's result. */
export interface KeptResult {
  n: number;
  commit: string;
  metric: number;
}

export interface RunState {
  tag: string;
  branch: string;
  /**
   * What the search starts from until a baseline is kept: the user's HEAD when the run started, or
   * the commit adopted since (run.adopted).
   */
  startCommit: string;
  /** The branch the run started from (null: detached, or a trace from before it was recorded). */
  startBranch: string | null;
  /** The start branch's commit the run knows: the start, or the start branch's tip it adopted; newer ones are the user's. */
  startBranchSeen: string;
  /** The latest adoption (run.adopted): from experiment `n` on, comparisons start from its baseline. */
  adopted: { n: number; commit: string; from: 'run-branch' | 'start-branch'; branch: string; at: string } | null;
  metricName: string;
  goal: Goal;
  proposer: string;
  /** When the run started (its run.started). */
  startedAt: string;
  experiments: Experiment[];
  /**
   * The best result ever measured: among the experiments decided `keep` (the baseline included), the
   * one with the best metric under the goal; a later equal metric does not replace it. A worse result
   * that a mechanism's `decide` kept never displaces it, and a result the loop did not keep (a
   * discarded lucky run, a re-queued stale one) never counts. `commit` is the commit that trained it.
   * What every display calls "best".
   */
  best: KeptResult | null;
  /**
   * What the search continues from: the result of the latest `keep` decision, which a mechanism's
   * `decide` can make a worse one than the best. `commit` is where the run branch stands: a mechanism
   * activated or deactivated on top moves it onto that commit. New experiments start from it, are
   * judged against its metric, and the branch is reset to it. Null until the baseline is kept.
   */
  incumbent: KeptResult | null;
  /** Git tree → the experiment that trained it (cache of evaluated configurations). */
  evaluatedTrees: Map<string, number>;
  /** Iterations started and not finished: in flight now, or left behind by a process that died. */
  open: Map<number, Experiment>;
  /**
   * Finished iterations that count toward the budget: those that trained (keep, discard, crash) or
   * that a person skipped at the gate. A failed proposal, a cache hit or a rejection by the gates
   * costs nothing (see usesBudget); the baseline and interrupted iterations never count.
   */
  iterationsDone: number;
  nextN: number;
  stopped: 'completed' | 'interrupted' | 'error' | 'paused' | null;
  /** What the latest run.stopped said, or why the run paused; empty while it goes on. */
  stopMessage: string;
  /** How often the run was resumed. */
  resumes: number;
  llmCalls: number;
  /** Prompt plus completion tokens over all LLM calls. */
  llmTokens: number;
  /** The strategy in force (level 1.5): the latest review's lists. Config-frozen parameters are not in here. */
  strategy: Strategy;
  /** Strategy reviews done so far (outer cycles). */
  strategyReviews: number;
  /** Mechanism research sessions started so far. */
  mechanismSessions: number;
  /** Every mechanism proposed in this run, by name, in order of proposal. */
  mechanisms: Map<string, MechanismRecord>;
  /** What each mechanism's hooks did, by mechanism name, in order of the first hook run. */
  hookStats: Map<string, MechanismHookStats>;
  /** Iteration → the mechanisms whose hooks ran for it (the provenance mechanism.hooks records). */
  shapedBy: Map<number, string[]>;
}

export interface Strategy {
  frozen: string[];
  focus: string[];
  guidance: string;
  /** Iterations done when the latest review ran (null before any). */
  since: number | null;
  reviewer: string | null;
}

export type MechanismStatus = 'proposed' | 'awaiting-review' | 'active' | 'reverted' | 'deactivated';

export interface MechanismRecord {
  name: string;
  description: string;
  status: MechanismStatus;
  /** The research session that proposed it. */
  session: number;
  /** Experiment number when it was proposed (the iteration after which the session ran). */
  proposedAt: number;
  file: string;
  branch: string;
  /** The commit on the mechanism branch that adds the module. */
  commit: string;
  hooks: string[];
  checks: MechanismCheck[];
  /** The validation's verdict; absent before it ran. */
  validated?: boolean;
  /** Why it was reverted or deactivated. */
  reason?: string;
  /** Who reverted it: its validation failed, or a person rejected it (the views say which). */
  revertedBy?: 'validation' | 'user';
  /** The hook that misbehaved when it was deactivated at run time. */
  deactivatedIn?: string;
  activatedAt?: number;
  endedAt?: number;
  /** Its latest state as returned by a hook (restored on resume). */
  state: unknown;
}

export interface HookStat {
  hook: HookRun['hook'];
  runs: number;
  /** How often each result word came back (ok, guided, vetoed, …). */
  results: Record<string, number>;
  ms: number;
}

export interface MechanismHookStats {
  /** Per hook, in the order each first ran. */
  hooks: HookStat[];
  runs: number;
  /** Experiments at least one of its hooks ran for. */
  experiments: number;
}

/** Active mechanisms, in the order they were activated. */
export function activeMechanisms(state: RunState): MechanismRecord[] {
  return [...state.mechanisms.values()].filter((m) => m.status === 'active').sort((a, b) => (a.activatedAt ?? 0) - (b.activatedAt ?? 0));
}

/**
 * The incumbent when it is not the best (a mechanism's decide kept a worse result), else null: what
 * a display adds to the best ("continuing from #5").
 */
export function incumbentBehindBest(state: RunState): KeptResult | null {
  return state.incumbent && state.best && state.incumbent.n !== state.best.n ? state.incumbent : null;
}

/**
 * Where an experiment stands: how its iteration ended, else its decision, else whether it still
 * runs. One left open by a run that stopped is interrupted (a pause is not a stop: the stepping gate
 * waits on it).
 */
export function experimentStatus(x: Experiment, state: RunState): ExperimentStatus {
  if (x.result) return x.result;
  if (x.status) return x.status;
  if (x.interrupted !== undefined) return 'interrupted';
  if (x.sameAs !== undefined) return 'cached';
  return state.stopped !== null && state.stopped !== 'paused' ? 'interrupted' : 'running';
}

/** Replays a whole trace into the state the loop, the CLI and the views work from. Pure. */
export function deriveRunState(events: readonly RunEvent[]): RunState {
  let state: RunState | null = null;
  for (const e of events) state = applyEvent(state, e);
  if (!state) throw new Error('trace has no run.started event');
  return state;
}

/** Whether a finished iteration spent the budget: it trained, or a person decided it. Pure. */
export function usesBudget(x: Experiment, result: IterationResult): boolean {
  if (x.baseline) return false;
  if (result === 'keep' || result === 'discard' || result === 'crash') return true;
  return result === 'rejected' && x.rejections.some((r) => r.by === 'user');
}

/**
 * Folds one event into the state (mutating it, so a live run stays O(1) per event). The first event
 * must be run.started; event types it does not know are ignored.
 */
export function applyEvent(state: RunState | null, e: RunEvent): RunState {
  if (e.type === 'run.started') {
    return {
      tag: e.tag,
      branch: e.branch,
      startCommit: e.baseCommit,
      startBranch: e.startBranch ?? null,
      startBranchSeen: e.baseCommit,
      adopted: null,
      metricName: e.metric,
      goal: e.goal,
      proposer: e.proposer,
      startedAt: e.at,
      experiments: [],
      best: null,
      incumbent: null,
      evaluatedTrees: new Map(),
      open: new Map(),
      iterationsDone: 0,
      nextN: 0,
      stopped: null,
      stopMessage: '',
      resumes: 0,
      llmCalls: 0,
      llmTokens: 0,
      strategy: { frozen: [], focus: [], guidance: '', since: null, reviewer: null },
      strategyReviews: 0,
      mechanismSessions: 0,
      mechanisms: new Map(),
      hookStats: new Map(),
      shapedBy: new Map(),
    };
  }
  if (!state) throw new Error(`trace starts with ${e.type}, not run.started`);
  const get = (n: number) => {
    const x = state.open.get(n) ?? state.experiments.find((y) => y.n === n);
    if (!x) throw new Error(`trace event ${e.type} for experiment ${n} before its iteration.started`);
    return x;
  };
  switch (e.type) {
    case 'run.resumed':
      state.resumes++;
      state.stopped = null;
      state.stopMessage = '';
      break;
    case 'run.adopted':
      // A new starting point: the best and the incumbent restart from its baseline (the next iteration).
      state.startCommit = e.commit;
      if (e.from === 'start-branch') state.startBranchSeen = e.commit;
      state.adopted = { n: state.nextN, commit: e.commit, from: e.from, branch: e.branch, at: e.at };
      state.best = null;
      state.incumbent = null;
      break;
    case 'iteration.started': {
      const x: Experiment = { n: e.n, baseline: e.baseline, baseCommit: e.baseCommit, startedAt: e.at, rejections: [], metric: null, delta: null, memoryGb: null };
      state.experiments.push(x);
      state.open.set(e.n, x);
      state.nextN = Math.max(state.nextN, e.n + 1);
      state.stopped = null;
      state.stopMessage = '';
      break;
    }
    case 'candidate.proposed':
      // A new attempt: what the one before it applied is not this candidate's.
      Object.assign(get(e.n), { candidate: e.candidate, proposer: e.proposer, level: e.level, proposedBy: e.mechanism, description: e.candidate.description, params: undefined, changed: undefined, tree: undefined });
      break;
    case 'candidate.rejected':
      get(e.n).rejections.push({ by: e.by, reason: e.reason, candidate: e.candidate });
      break;
    case 'candidate.applied':
      Object.assign(get(e.n), { params: e.params, changed: e.changed, tree: e.tree });
      break;
    case 'candidate.cached':
      Object.assign(get(e.n), { sameAs: e.sameAs, metric: e.metric, incumbentMetric: state.incumbent?.metric ?? null });
      break;
    case 'candidate.committed':
      get(e.n).commit = e.commit;
      break;
    case 'candidate.edited':
      Object.assign(get(e.n), { commit: e.commit, tree: e.tree, changed: e.changed, params: e.params, edited: true });
      break;
    case 'training.started':
      get(e.n).training = { pid: e.pid, slurmJobId: e.slurmJobId, startedAt: e.at, log: e.log };
      break;
    case 'training.finished': {
      const x = get(e.n);
      x.training = { ...(x.training ?? { log: '' }), outcome: e.outcome, seconds: e.seconds, reason: e.reason, secondary: e.secondary };
      break;
    }
    case 'experiment.decided': {
      const x = get(e.n);
      Object.assign(x, { status: e.status, metric: e.metric, delta: e.delta, incumbentMetric: e.previousBest, memoryGb: e.memoryGb, description: e.description, commit: e.commit, note: e.note });
      if (x.tree) state.evaluatedTrees.set(x.tree, e.n);
      if (e.status === 'keep' && e.metric !== null) {
        const kept = { n: e.n, commit: e.commit, metric: e.metric };
        state.incumbent = kept;
        if (!state.best || isBetter(e.metric, state.best.metric, state.goal)) state.best = kept;
      }
      break;
    }
    case 'experiment.interrupted':
      get(e.n).interrupted = e.reason;
      break;
    case 'proposal.failed':
      get(e.n).proposalFailure = e.reason;
      break;
    case 'iteration.finished': {
      const x = get(e.n);
      x.result = e.result;
      if (usesBudget(x, e.result)) state.iterationsDone++;
      state.open.delete(e.n);
      break;
    }
    case 'llm.called':
      state.llmCalls++;
      state.llmTokens += (e.usage?.promptTokens ?? 0) + (e.usage?.completionTokens ?? 0);
      break;
    case 'run.stopped':
      state.stopped = e.reason;
      state.stopMessage = e.message ?? '';
      break;
    case 'run.paused':
      state.stopped = 'paused';
      state.stopMessage = e.reason;
      break;
    case 'strategy.updated':
      state.strategy = { frozen: e.frozen, focus: e.focus, guidance: e.guidance, since: e.n, reviewer: e.reviewer };
      state.strategyReviews = Math.max(state.strategyReviews, e.cycle);
      break;
    case 'mechanism.research.step':
    case 'mechanism.research.failed':
      state.mechanismSessions = Math.max(state.mechanismSessions, e.session);
      break;
    case 'mechanism.proposed':
      state.mechanismSessions = Math.max(state.mechanismSessions, e.session);
      state.mechanisms.set(e.name, {
        name: e.name,
        description: e.description,
        status: 'proposed',
        session: e.session,
        proposedAt: e.n,
        file: e.file,
        branch: e.branch,
        commit: e.commit,
        hooks: e.hooks,
        checks: [],
        state: null,
      });
      break;
    case 'mechanism.validated': {
      const m = state.mechanisms.get(e.name);
      if (m) Object.assign(m, { checks: e.checks, validated: e.ok, status: e.ok ? 'awaiting-review' : m.status });
      break;
    }
    case 'mechanism.activated': {
      const m = state.mechanisms.get(e.name);
      if (m) Object.assign(m, { status: 'active', activatedAt: e.n, reason: undefined });
      moveIncumbentCommit(state, e.commit);
      break;
    }
    case 'mechanism.reverted':
    case 'mechanism.deactivated': {
      const m = state.mechanisms.get(e.name);
      if (m) Object.assign(m, { status: e.type === 'mechanism.reverted' ? 'reverted' : 'deactivated', reason: e.reason, endedAt: e.n }, e.type === 'mechanism.reverted' ? { revertedBy: e.by } : { deactivatedIn: e.hook });
      if (e.type === 'mechanism.deactivated' && e.commit) moveIncumbentCommit(state, e.commit);
      break;
    }
    case 'mechanism.hooks':
      for (const r of e.ran) {
        countHookRun(state, r, e.n);
        const m = state.mechanisms.get(r.mechanism);
        if (m && r.state !== undefined) m.state = r.state;
      }
      break;
    default:
      break;
  }
  return state;
}

/**
 * A mechanism commit changes only .autoresearch/ on top of the incumbent: its result stays, its
 * commit moves so that the next experiments carry the mechanism files. The best keeps the commit
 * that trained it.
 */
function moveIncumbentCommit(state: RunState, commit: string): void {
  if (state.incumbent) state.incumbent = { ...state.incumbent, commit };
  else state.startCommit = commit;
}

/** Counts a hook run, also for a mechanism this trace never proposed (its hooks say it was active). */
function countHookRun(state: RunState, r: HookRun, n: number): void {
  let stats = state.hookStats.get(r.mechanism);
  if (!stats) {
    stats = { hooks: [], runs: 0, experiments: 0 };
    state.hookStats.set(r.mechanism, stats);
  }
  let hook = stats.hooks.find((h) => h.hook === r.hook);
  if (!hook) {
    hook = { hook: r.hook, runs: 0, results: {}, ms: 0 };
    stats.hooks.push(hook);
  }
  hook.runs++;
  hook.results[r.result] = (hook.results[r.result] ?? 0) + 1;
  hook.ms += r.ms;
  stats.runs++;
  const shaped = state.shapedBy.get(n) ?? [];
  if (!shaped.includes(r.mechanism)) {
    shaped.push(r.mechanism);
    state.shapedBy.set(n, shaped);
    stats.experiments++;
  }
}

/** The baseline comparisons start from: the first kept since the latest adoption (or since the start). */
export function currentBaseline(state: RunState): Experiment | null {
  const since = state.adopted?.n ?? 0;
  return state.experiments.find((x) => x.baseline && x.status === 'keep' && x.n >= since) ?? null;
}

/** The baseline has not produced a metric yet: the next iteration must (re)run it. */
export function needsBaseline(state: RunState): boolean {
  return state.incumbent === null;
}
