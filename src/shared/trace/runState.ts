import type { Candidate, ParamValue } from './candidate';
import type { IterationResult, MechanismCheck, Outcome, RejectedBy, RunEvent, Status } from './events';

/** One iteration as the events describe it. */
export interface Experiment {
  n: number;
  baseline: boolean;
  baseCommit: string;
  candidate?: Candidate;
  proposer?: string;
  rejections: { by: RejectedBy; reason: string; candidate?: Candidate }[];
  params?: Record<string, ParamValue>;
  changed?: Record<string, { from: ParamValue; to: ParamValue }>;
  tree?: string;
  commit?: string;
  sameAs?: number;
  training?: { outcome?: Outcome; pid?: number; slurmJobId?: number; startedAt?: string; log: string; seconds?: number; reason?: string; secondary?: Record<string, number> };
  status?: Status;
  metric: number | null;
  delta: number | null;
  memoryGb: number | null;
  description?: string;
  /** Set once the iteration finished; absent for those an interrupted process left open. */
  result?: IterationResult;
}

export interface RunState {
  tag: string;
  branch: string;
  /** The commit the run started from (the user's HEAD). */
  startCommit: string;
  metricName: string;
  goal: 'minimize' | 'maximize';
  experiments: Experiment[];
  best: { n: number; commit: string; metric: number } | null;
  /** Git tree → the experiment that trained it (cache of evaluated configurations). */
  evaluatedTrees: Map<string, number>;
  /** Iterations started and not finished: in flight now, or left behind by a process that died. */
  open: Map<number, Experiment>;
  /** Finished iterations that count toward the budget (all but interrupted ones, baseline excluded). */
  iterationsDone: number;
  nextN: number;
  stopped: 'completed' | 'interrupted' | 'error' | 'paused' | null;
  /** The strategy in force (level 1.5): the latest review's lists. Config-frozen parameters are not in here. */
  strategy: Strategy;
  /** Strategy reviews done so far (outer cycles). */
  strategyReviews: number;
  /** Mechanism research sessions started so far. */
  mechanismSessions: number;
  /** Every mechanism proposed in this run, by name, in order of proposal. */
  mechanisms: Map<string, MechanismRecord>;
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
  /** Experiment number when it was proposed (the iteration after which the session ran). */
  proposedAt: number;
  file: string;
  branch: string;
  /** The commit on the mechanism branch that adds the module. */
  commit: string;
  hooks: string[];
  checks: MechanismCheck[];
  /** Why it was reverted or deactivated. */
  reason?: string;
  activatedAt?: number;
  endedAt?: number;
  /** Its latest state as returned by a hook (restored on resume). */
  state: unknown;
  /** How often each hook ran. */
  hookRuns: Record<string, number>;
}

/** Active mechanisms, in the order they were activated. */
export function activeMechanisms(state: RunState): MechanismRecord[] {
  return [...state.mechanisms.values()].filter((m) => m.status === 'active').sort((a, b) => (a.activatedAt ?? 0) - (b.activatedAt ?? 0));
}

/** Replays a whole trace into the state the loop, the CLI and the views work from. Pure. */
export function deriveRunState(events: readonly RunEvent[]): RunState {
  let state: RunState | null = null;
  for (const e of events) state = applyEvent(state, e);
  if (!state) throw new Error('trace has no run.started event');
  return state;
}

/**
 * Folds one event into the state (mutating it, so a live run stays O(1) per event). The first event
 * must be run.started.
 */
export function applyEvent(state: RunState | null, e: RunEvent): RunState {
  if (e.type === 'run.started') {
    return {
      tag: e.tag,
      branch: e.branch,
      startCommit: e.baseCommit,
      metricName: e.metric,
      goal: e.goal,
      experiments: [],
      best: null,
      evaluatedTrees: new Map(),
      open: new Map(),
      iterationsDone: 0,
      nextN: 0,
      stopped: null,
      strategy: { frozen: [], focus: [], guidance: '', since: null, reviewer: null },
      strategyReviews: 0,
      mechanismSessions: 0,
      mechanisms: new Map(),
    };
  }
  if (!state) throw new Error(`trace starts with ${e.type}, not run.started`);
  const get = (n: number) => {
    const x = state.open.get(n) ?? state.experiments.find((y) => y.n === n);
    if (!x) throw new Error(`trace event ${e.type} for experiment ${n} before its iteration.started`);
    return x;
  };
  switch (e.type) {
    case 'iteration.started': {
      const x: Experiment = { n: e.n, baseline: e.baseline, baseCommit: e.baseCommit, rejections: [], metric: null, delta: null, memoryGb: null };
      state.experiments.push(x);
      state.open.set(e.n, x);
      state.nextN = Math.max(state.nextN, e.n + 1);
      state.stopped = null;
      break;
    }
    case 'candidate.proposed':
      Object.assign(get(e.n), { candidate: e.candidate, proposer: e.proposer, description: e.candidate.description });
      break;
    case 'candidate.rejected':
      get(e.n).rejections.push({ by: e.by, reason: e.reason, candidate: e.candidate });
      break;
    case 'candidate.applied':
      Object.assign(get(e.n), { params: e.params, changed: e.changed, tree: e.tree });
      break;
    case 'candidate.cached':
      Object.assign(get(e.n), { sameAs: e.sameAs, metric: e.metric });
      break;
    case 'candidate.committed':
      get(e.n).commit = e.commit;
      break;
    case 'candidate.edited':
      Object.assign(get(e.n), { commit: e.commit, tree: e.tree, changed: e.changed, params: e.params });
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
      Object.assign(x, { status: e.status, metric: e.metric, delta: e.delta, memoryGb: e.memoryGb, description: e.description, commit: e.commit });
      if (x.tree) state.evaluatedTrees.set(x.tree, e.n);
      if (e.status === 'keep' && e.metric !== null) state.best = { n: e.n, commit: e.commit, metric: e.metric };
      break;
    }
    case 'iteration.finished': {
      const x = get(e.n);
      x.result = e.result;
      if (e.result !== 'interrupted' && !x.baseline) state.iterationsDone++;
      state.open.delete(e.n);
      break;
    }
    case 'run.stopped':
      state.stopped = e.reason;
      break;
    case 'run.paused':
      state.stopped = 'paused';
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
        proposedAt: e.n,
        file: e.file,
        branch: e.branch,
        commit: e.commit,
        hooks: e.hooks,
        checks: [],
        state: null,
        hookRuns: {},
      });
      break;
    case 'mechanism.validated': {
      const m = state.mechanisms.get(e.name);
      if (m) Object.assign(m, { checks: e.checks, status: e.ok ? 'awaiting-review' : m.status });
      break;
    }
    case 'mechanism.activated': {
      const m = state.mechanisms.get(e.name);
      if (m) Object.assign(m, { status: 'active', activatedAt: e.n, reason: undefined });
      moveBestCommit(state, e.commit);
      break;
    }
    case 'mechanism.reverted':
    case 'mechanism.deactivated': {
      const m = state.mechanisms.get(e.name);
      if (m) Object.assign(m, { status: e.type === 'mechanism.reverted' ? 'reverted' : 'deactivated', reason: e.reason, endedAt: e.n });
      if (e.type === 'mechanism.deactivated' && e.commit) moveBestCommit(state, e.commit);
      break;
    }
    case 'mechanism.hooks':
      for (const r of e.ran) {
        const m = state.mechanisms.get(r.mechanism);
        if (!m) continue;
        m.hookRuns[r.hook] = (m.hookRuns[r.hook] ?? 0) + 1;
        if (r.state !== undefined) m.state = r.state;
      }
      break;
    default:
      break;
  }
  return state;
}

/**
 * A mechanism commit changes only .autoresearch/ on top of the best: the best result stays, its commit
 * moves so that the next experiments carry the mechanism files.
 */
function moveBestCommit(state: RunState, commit: string): void {
  if (state.best) state.best = { ...state.best, commit };
  else state.startCommit = commit;
}

/** The baseline has not produced a metric yet: the next iteration must (re)run it. */
export function needsBaseline(state: RunState): boolean {
  return state.best === null;
}
