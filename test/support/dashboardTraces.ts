import type { Candidate, ParamValue } from '../../src/shared/trace/candidate';
import { seededRandom } from '../../src/core/proposers/heuristicProposer';
import type { HookRun, MechanismCheck, RunEvent, RunEventBody } from '../../src/shared/trace/events';

/**
 * Traces for the dashboard tests: a hand-written fixture whose every number the tests check by
 * hand (fixtureTrace), and a synthetic run of any size for the 10,000-experiment measurements
 * (syntheticTrace). Both are in the engine's event shapes (src/shared/trace/events.ts), level 1.5
 * (strategy.updated) and level 2 (mechanism.*) included.
 */

export class TraceBuilder {
  readonly events: RunEvent[] = [];
  private seq = 0;
  private t: number;
  params: Record<string, ParamValue>;
  /** The incumbent's metric and commit: what the next experiment starts from and is judged against. */
  best: number | null = null;
  bestCommit = 'c0000000';
  private commits = 0;

  constructor(
    readonly tag: string,
    params: Record<string, ParamValue>,
    opts: { start?: string; proposer?: string; goal?: 'minimize' | 'maximize' } = {},
  ) {
    this.t = Date.parse(opts.start ?? '2026-11-23T09:00:00Z');
    this.params = { ...params };
    this.push({ type: 'run.started', tag, branch: `autoresearch/${tag}`, baseCommit: this.bestCommit, metric: 'val_bpb', goal: opts.goal ?? 'minimize', proposer: opts.proposer ?? 'heuristic' });
  }

  push(body: RunEventBody): void {
    this.t += 1000;
    this.events.push({ seq: ++this.seq, at: new Date(this.t).toISOString(), ...body } as RunEvent);
  }

  private commit(): string {
    return `c${String(++this.commits).padStart(7, '0')}`;
  }

  baseline(n: number, metric: number): void {
    const commit = this.bestCommit;
    this.push({ type: 'iteration.started', n, baseCommit: commit, baseline: true });
    this.push({ type: 'training.started', n, commit, command: 'python3 train.py', log: `logs/${n}.log`, pid: 100 + n });
    this.push({ type: 'training.finished', n, outcome: 'ok', exitCode: 0, metric, secondary: { peak_vram_mb: 512 }, seconds: 300 });
    this.push({ type: 'experiment.decided', n, status: 'keep', commit, metric, previousBest: null, delta: null, description: 'baseline', memoryGb: 0.5 });
    this.push({ type: 'iteration.finished', n, result: 'keep' });
    this.best = metric;
  }

  /** Starts iteration n and proposes+applies the change; returns what finishing it needs. */
  start(n: number, change: Record<string, ParamValue>, o: ProposalOptions = {}) {
    const base = this.bestCommit;
    this.push({ type: 'iteration.started', n, baseCommit: base, baseline: false });
    const description = o.description ?? Object.entries(change).map(([k, v]) => `${k} ${fmt(this.params[k])} -> ${fmt(v)}`).join(', ');
    const candidate: Candidate = { description, hypothesis: 'may lower val_bpb', ...(Object.keys(change).length ? { params: change } : {}), ...(o.edits ? { edits: o.edits } : {}) };
    this.push({ type: 'candidate.proposed', n, candidate, proposer: o.mechanism ? `mechanism:${o.mechanism}` : 'heuristic', level: o.mechanism ? 2 : 1, ...(o.mechanism ? { mechanism: o.mechanism } : {}) });
    const after = { ...this.params, ...change };
    const changed = Object.fromEntries(Object.entries(change).map(([k, v]) => [k, { from: this.params[k], to: v }]));
    this.push({ type: 'candidate.applied', n, params: after, changed, tree: `tree-${JSON.stringify(after)}${o.edits ? `-${o.edits.length}` : ''}` });
    return { n, after, description };
  }

  /**
   * A whole experiment: keep when it beats the incumbent, else discard; metric null is a crash.
   * `keptBy`: a mechanism whose decide keeps it whatever the metric (annealing acceptance).
   */
  experiment(n: number, change: Record<string, ParamValue>, metric: number | null, o: ProposalOptions & { keptBy?: string } = {}): void {
    const s = this.start(n, change, o);
    this.finish(s, metric, o.keptBy);
  }

  finish(s: { n: number; after: Record<string, ParamValue>; description: string }, metric: number | null, keptBy?: string): void {
    const { n } = s;
    const commit = this.commit();
    this.push({ type: 'candidate.committed', n, commit });
    this.push({ type: 'training.started', n, commit, command: 'python3 train.py', log: `logs/${n}.log`, pid: 100 + n });
    this.push({
      type: 'training.finished',
      n,
      outcome: metric === null ? 'crash' : 'ok',
      exitCode: metric === null ? 1 : 0,
      metric,
      secondary: metric === null ? {} : { peak_vram_mb: 512 },
      seconds: metric === null ? 12 : 300,
      ...(metric === null ? { reason: 'exit code 1: CUDA out of memory' } : {}),
    });
    const previousBest = this.best;
    const delta = metric === null || previousBest === null ? null : metric - previousBest;
    const status = metric === null ? 'crash' : keptBy || previousBest === null || metric < previousBest ? 'keep' : 'discard';
    const note = keptBy ? { note: `keep by the mechanism ${keptBy}: annealing` } : {};
    this.push({ type: 'experiment.decided', n, status, commit, metric, previousBest, delta, description: s.description, memoryGb: metric === null ? null : 0.5, ...note });
    this.push({ type: 'iteration.finished', n, result: status });
    if (status === 'keep') {
      this.best = metric;
      this.bestCommit = commit;
      this.params = s.after;
    }
  }

  cached(n: number, change: Record<string, ParamValue>, sameAs: number, metric: number | null, status: 'keep' | 'discard' | 'crash'): void {
    this.start(n, change);
    this.push({ type: 'candidate.cached', n, sameAs, metric, status });
    this.push({ type: 'iteration.finished', n, result: 'cached' });
  }

  rejected(n: number, change: Record<string, ParamValue>, reason: string): void {
    this.push({ type: 'iteration.started', n, baseCommit: this.bestCommit, baseline: false });
    const candidate: Candidate = { description: Object.entries(change).map(([k, v]) => `${k} -> ${fmt(v)}`).join(', '), hypothesis: 'longer training helps', params: change };
    this.push({ type: 'candidate.proposed', n, candidate, proposer: 'heuristic' });
    this.push({ type: 'candidate.rejected', n, by: 'validation', reason, candidate });
    this.push({ type: 'iteration.finished', n, result: 'rejected' });
  }

  proposalFailed(n: number, reason: string): void {
    this.push({ type: 'iteration.started', n, baseCommit: this.bestCommit, baseline: false });
    this.push({ type: 'proposal.failed', n, reason });
    this.push({ type: 'iteration.finished', n, result: 'proposal-failed' });
  }

  interrupted(n: number, change: Record<string, ParamValue>): void {
    const s = this.start(n, change);
    const commit = this.commit();
    this.push({ type: 'candidate.committed', n, commit });
    this.push({ type: 'training.started', n, commit, command: 'python3 train.py', log: `logs/${n}.log`, pid: 100 + n });
    this.push({ type: 'experiment.interrupted', n, commit, reason: 'the run stopped while training' });
    this.push({ type: 'iteration.finished', n, result: 'interrupted' });
    void s;
  }

  /** What the hooks of the active mechanisms did for iteration n (each call took 2 ms). */
  hooks(n: number, ran: Omit<HookRun, 'ms'>[]): void {
    this.push({ type: 'mechanism.hooks', n, active: [...new Set(ran.map((r) => r.mechanism))], ran: ran.map((r) => ({ ...r, ms: 2 })) });
  }

  /** A mechanism research session after iteration n: its four LLM steps, then what came of it. */
  research(n: number, session: number, outcome: { failedAt: 'explore' | 'critique' | 'specify' | 'generate'; reason: string } | { name: string; description: string; hooks: string[] }): void {
    for (const step of ['explore', 'critique', 'specify', 'generate'] as const) {
      const failed = 'failedAt' in outcome && outcome.failedAt === step;
      this.push({ type: 'mechanism.research.step', n, session, step, prompt: `${step} prompt`, response: failed ? '' : `${step} response`, ok: !failed, ...(failed ? { error: outcome.reason } : {}) });
      if (failed) {
        this.push({ type: 'mechanism.research.failed', n, session, reason: outcome.reason });
        return;
      }
    }
    if ('failedAt' in outcome) return;
    const { name, description, hooks } = outcome;
    this.push({ type: 'mechanism.proposed', n, session, name, description, file: `.autoresearch/mechanisms/${name}.mjs`, branch: `autoresearch/${this.tag}/mechanism/${name}`, commit: `m${session}000000`, hooks });
  }

  validated(n: number, name: string, checks: MechanismCheck[]): void {
    const ok = checks.every((c) => c.ok);
    this.push({ type: 'mechanism.validated', n, name, ok, checks });
    if (!ok) this.push({ type: 'mechanism.reverted', n, name, by: 'validation', reason: `failed: ${checks.filter((c) => !c.ok).map((c) => c.name).join(', ')}` });
  }

  activated(n: number, name: string, by: 'policy' | 'user' = 'policy'): void {
    // The activation commit records the mechanism on the run branch and becomes the best commit.
    this.bestCommit = `c-${name}`;
    this.push({ type: 'mechanism.activated', n, name, by, commit: this.bestCommit });
  }
}

interface ProposalOptions {
  description?: string;
  edits?: Candidate['edits'];
  /** Proposed by this mechanism's `propose` hook (level 2). */
  mechanism?: string;
}

const fmt = (v: ParamValue | undefined) => JSON.stringify(v);

export const FIXTURE_PARAMS: Record<string, ParamValue> = {
  DEPTH: 2,
  N_EMBD: 64,
  LEARNING_RATE: 0.001,
  BATCH_SIZE: 128,
  WARMUP_STEPS: 10,
  ACTIVATION: 'gelu',
  TIME_BUDGET: 6,
  SEED: 1337,
};
export const FIXTURE_FROZEN = ['TIME_BUDGET', 'SEED'];

/**
 * The fixture run "fixture" (experiments 0–19, #19 still training):
 *
 *  #  status           change                           metric  Δ        notes
 *  0  keep (baseline)                                   1.000
 *  1  keep             LEARNING_RATE 0.001→0.002        0.980   −0.020
 *  2  discard          N_EMBD 64→128                    0.990   +0.010
 *  3  crash            LEARNING_RATE 0.002→0.004        —
 *  4  keep             DEPTH 2→3                        0.975   −0.005
 *  5  discard          DEPTH 3→4                        0.985   +0.010
 *  6  cached (= #5)    DEPTH 3→4                        0.985
 *  7  rejected         TIME_BUDGET 6→12 (frozen)
 *     strategy review 1 after #7: freeze N_EMBD, focus LEARNING_RATE + WARMUP_STEPS
 *  8  keep             WARMUP_STEPS 10→20               0.970   −0.005
 *  9  discard          LEARNING_RATE 0.002→0.003        0.972   +0.002
 *     research session 1 after #9: lr-warmup-guard proposed, validated (2/2), activated
 * 10  keep             LEARNING_RATE 0.002→0.0025       0.968   −0.002   hooks: lr-warmup-guard
 * 11  discard          BATCH_SIZE 128→256               0.980   +0.012   hooks: lr-warmup-guard
 * 12  keep (L2)        ACTIVATION gelu→relu             0.966   −0.002   proposed by lr-warmup-guard
 *     lr-warmup-guard reverted by the user after #12
 * 13  discard          edit train.py (RMSNorm)          0.970   +0.004
 *     research session 2 after #13: crash-predictor proposed, fails validation (1/2), reverted
 * 14  keep             LEARNING_RATE 0.0025→0.003       0.964   −0.002
 *     research session 3 after #14: the specify step fails, no mechanism
 * 15  proposal failed
 *     research session 4 after #15: dedupe-near proposed, validated, activated by the user
 * 16  discard          WARMUP_STEPS 20→40               0.965   +0.001   hooks: dedupe-near
 * 17  interrupted      LEARNING_RATE 0.003→0.0035                         (then run.resumed)
 * 18  keep             DEPTH 3→4                        0.961   −0.003   hooks: dedupe-near
 * 19  running          LEARNING_RATE 0.003→0.0028
 */
export function fixtureTrace(): RunEvent[] {
  const b = new TraceBuilder('fixture', FIXTURE_PARAMS);
  b.baseline(0, 1.0);
  b.experiment(1, { LEARNING_RATE: 0.002 }, 0.98);
  b.experiment(2, { N_EMBD: 128 }, 0.99);
  b.experiment(3, { LEARNING_RATE: 0.004 }, null);
  b.experiment(4, { DEPTH: 3 }, 0.975);
  b.experiment(5, { DEPTH: 4 }, 0.985);
  b.cached(6, { DEPTH: 4 }, 5, 0.985, 'discard');
  b.rejected(7, { TIME_BUDGET: 12 }, 'TIME_BUDGET is frozen');
  b.push({ type: 'strategy.updated', n: 7, cycle: 1, reviewer: 'llm', frozen: ['N_EMBD'], unfrozen: [], focus: ['LEARNING_RATE', 'WARMUP_STEPS'], guidance: 'Width is settled; tune the schedule.' });
  b.experiment(8, { WARMUP_STEPS: 20 }, 0.97);
  b.experiment(9, { LEARNING_RATE: 0.003 }, 0.972);
  b.research(9, 1, { name: 'lr-warmup-guard', description: 'Keeps the learning rate and warmup in step: steers proposals that raise one without the other.', hooks: ['beforePropose', 'propose', 'decide'] });
  b.validated(9, 'lr-warmup-guard', [{ name: 'typecheck', ok: true, detail: 'loads, exports its hooks' }, { name: 'replay', ok: true, detail: 'same decisions on 9 experiments' }]);
  b.activated(9, 'lr-warmup-guard');
  {
    const s = b.start(10, { LEARNING_RATE: 0.0025 });
    b.hooks(10, [{ mechanism: 'lr-warmup-guard', hook: 'beforePropose', result: 'guided' }, { mechanism: 'lr-warmup-guard', hook: 'decide', result: 'passed' }]);
    b.finish(s, 0.968);
  }
  {
    const s = b.start(11, { BATCH_SIZE: 256 });
    b.hooks(11, [{ mechanism: 'lr-warmup-guard', hook: 'beforePropose', result: 'guided' }, { mechanism: 'lr-warmup-guard', hook: 'decide', result: 'passed' }]);
    b.finish(s, 0.98);
  }
  {
    const s = b.start(12, { ACTIVATION: 'relu' }, { mechanism: 'lr-warmup-guard' });
    b.hooks(12, [{ mechanism: 'lr-warmup-guard', hook: 'propose', result: 'proposed' }]);
    b.finish(s, 0.966);
  }
  b.push({ type: 'mechanism.reverted', n: 12, name: 'lr-warmup-guard', by: 'user', reason: 'no gain over 3 experiments' });
  b.experiment(13, {}, 0.97, { description: 'use RMSNorm instead of LayerNorm', edits: [{ file: 'train.py', search: 'nn.LayerNorm', replace: 'nn.RMSNorm' }] });
  b.research(13, 2, { name: 'crash-predictor', description: 'Vetoes candidates that look like earlier crashes.', hooks: ['reviewCandidate'] });
  b.validated(13, 'crash-predictor', [{ name: 'typecheck', ok: true, detail: 'loads, exports its hooks' }, { name: 'replay', ok: false, detail: 'changed 2 past decisions' }]);
  b.experiment(14, { LEARNING_RATE: 0.003 }, 0.964);
  b.research(14, 3, { failedAt: 'specify', reason: 'the reply was not valid JSON' });
  b.proposalFailed(15, 'the LLM endpoint returned 503 three times');
  b.research(15, 4, { name: 'dedupe-near', description: 'Rejects candidates within 1% of one already tried.', hooks: ['reviewCandidate'] });
  b.validated(15, 'dedupe-near', [{ name: 'typecheck', ok: true, detail: '' }]);
  b.activated(15, 'dedupe-near', 'user');
  {
    const s = b.start(16, { WARMUP_STEPS: 40 });
    b.hooks(16, [{ mechanism: 'dedupe-near', hook: 'reviewCandidate', result: 'passed' }]);
    b.finish(s, 0.965);
  }
  b.interrupted(17, { LEARNING_RATE: 0.0035 });
  b.push({ type: 'run.resumed', bestCommit: b.bestCommit, nextIteration: 18 });
  {
    const s = b.start(18, { DEPTH: 4 });
    b.hooks(18, [{ mechanism: 'dedupe-near', hook: 'reviewCandidate', result: 'passed' }]);
    b.finish(s, 0.961);
  }
  // #19 is in flight: proposed, committed, training.
  b.start(19, { LEARNING_RATE: 0.0028 });
  b.push({ type: 'candidate.committed', n: 19, commit: 'c0000019' });
  b.push({ type: 'training.started', n: 19, commit: 'c0000019', command: 'python3 train.py', log: 'logs/19.log', pid: 119 });
  // An event type from a newer engine: the dashboard ignores it.
  b.push({ type: 'some.future.event', n: 19 } as unknown as RunEventBody);
  return b.events;
}

/**
 * Live events continuing fixtureTrace: dedupe-near's hook fails on #19 and it is deactivated;
 * #19 finishes (kept, 0.958); a second strategy review; #20 runs (discarded, 0.962).
 */
export function fixtureLiveEvents(afterSeq: number): RunEvent[] {
  let seq = afterSeq;
  const at = '2026-11-23T10:00:00.000Z';
  const e = (body: RunEventBody): RunEvent => ({ seq: ++seq, at, ...body }) as RunEvent;
  const params20 = { ...FIXTURE_PARAMS, DEPTH: 4, LEARNING_RATE: 0.0028, WARMUP_STEPS: 20, ACTIVATION: 'relu', BATCH_SIZE: 256 };
  return [
    e({ type: 'mechanism.hooks', n: 19, active: ['dedupe-near'], ran: [{ mechanism: 'dedupe-near', hook: 'reviewCandidate', result: 'failed', ms: 5000 }] }),
    e({ type: 'mechanism.deactivated', n: 17, name: 'dedupe-near', hook: 'reviewCandidate', reason: 'timed out after 5000 ms' }),
    e({ type: 'training.finished', n: 19, outcome: 'ok', exitCode: 0, metric: 0.958, secondary: {}, seconds: 300 }),
    e({ type: 'experiment.decided', n: 19, status: 'keep', commit: 'c0000019', metric: 0.958, previousBest: 0.961, delta: 0.958 - 0.961, description: 'LEARNING_RATE 0.003 -> 0.0028', memoryGb: 0.5 }),
    e({ type: 'iteration.finished', n: 19, result: 'keep' }),
    e({ type: 'strategy.updated', n: 18, cycle: 2, reviewer: 'llm', frozen: [], unfrozen: ['N_EMBD'], focus: ['BATCH_SIZE'], guidance: 'Try the batch size.' }),
    e({ type: 'iteration.started', n: 20, baseCommit: 'c0000019', baseline: false }),
    e({ type: 'candidate.proposed', n: 20, candidate: { description: 'BATCH_SIZE 128 -> 256', hypothesis: 'h', params: { BATCH_SIZE: 256 } }, proposer: 'heuristic' }),
    e({ type: 'candidate.applied', n: 20, params: params20, changed: { BATCH_SIZE: { from: 128, to: 256 } }, tree: 't20' }),
    e({ type: 'candidate.committed', n: 20, commit: 'c0000020' }),
    e({ type: 'training.finished', n: 20, outcome: 'ok', exitCode: 0, metric: 0.962, secondary: {}, seconds: 300 }),
    e({ type: 'experiment.decided', n: 20, status: 'discard', commit: 'c0000020', metric: 0.962, previousBest: 0.958, delta: 0.962 - 0.958, description: 'BATCH_SIZE 128 -> 256', memoryGb: 0.5 }),
    e({ type: 'iteration.finished', n: 20, result: 'discard' }),
  ];
}

const SYNTH_PARAMS: Record<string, ParamValue> = {
  DEPTH: 8,
  N_EMBD: 512,
  N_HEAD: 8,
  SEQ_LEN: 1024,
  BATCH_SIZE: 64,
  LEARNING_RATE: 0.0006,
  WEIGHT_DECAY: 0.1,
  WARMUP_STEPS: 100,
  ADAM_BETAS: [0.9, 0.95],
  ACTIVATION: 'gelu',
  TIE_WEIGHTS: true,
  DROPOUT: 0,
  TIME_BUDGET: 300,
  SEED: 1337,
};

/**
 * A synthetic run of `count` experiments (plus the baseline) in the loop's real event shapes:
 * improvements get rarer as it goes, ~3% crash, ~2% cached, ~1% rejected, one parameter
 * (LEARNING_RATE) tried far more than the rest, a strategy review every 500 experiments, a
 * mechanism proposed every 2,000 (every other one fails validation, the others are active for a
 * while with provenance events).
 */
export function syntheticTrace(count: number, o: { tag?: string; seed?: number; start?: number } = {}): RunEvent[] {
  const random = seededRandom(o.seed ?? 42);
  const b = new TraceBuilder(o.tag ?? 'synthetic', SYNTH_PARAMS);
  const start = o.start ?? 1.0;
  b.baseline(0, start);
  const numeric = ['DEPTH', 'N_EMBD', 'BATCH_SIZE', 'LEARNING_RATE', 'WEIGHT_DECAY', 'WARMUP_STEPS', 'DROPOUT', 'SEQ_LEN'];
  const trainedAt = new Map<string, number>();
  let active: string | null = null;
  let activeUntil = 0;
  for (let n = 1; n <= count; n++) {
    // Level events after iteration n - 1, i.e. before n.
    if (n % 500 === 0) {
      const cycle = n / 500;
      const frozen = numeric[cycle % numeric.length];
      b.push({ type: 'strategy.updated', n: n - 1, cycle, reviewer: 'llm', frozen: ['TIME_BUDGET', frozen], unfrozen: cycle > 1 ? [numeric[(cycle - 1) % numeric.length]] : [], focus: ['LEARNING_RATE'], guidance: `review ${cycle}` });
    }
    if (n % 2000 === 1000) {
      const name = `mechanism-${n}`;
      b.research(n - 1, n / 1000, { name, description: `synthetic mechanism ${n}`, hooks: ['beforePropose'] });
      b.validated(n - 1, name, [{ name: 'replay', ok: (n / 1000) % 4 === 1, detail: (n / 1000) % 4 === 1 ? 'same decisions' : 'changed decisions' }]);
      if ((n / 1000) % 4 === 1) {
        b.activated(n - 1, name);
        active = name;
        activeUntil = n + 600;
      }
    }
    if (active && n === activeUntil) {
      b.push({ type: 'mechanism.deactivated', n: n - 1, name: active, hook: 'beforePropose', reason: 'budget over' });
      active = null;
    }
    const r = random();
    const param = r < 0.45 ? 'LEARNING_RATE' : numeric[Math.floor(random() * numeric.length)];
    const cur = b.params[param] as number;
    const factor = random() < 0.5 ? 0.8 + random() * 0.15 : 1.05 + random() * 0.2;
    const value = Number((cur === 0 ? 0.05 : cur * factor).toPrecision(4));
    const change = { [param]: value };
    const key = JSON.stringify({ ...b.params, ...change });
    if (random() < 0.01) {
      b.rejected(n, { TIME_BUDGET: 600 }, 'TIME_BUDGET is frozen');
      continue;
    }
    if (trainedAt.has(key) || random() < 0.02) {
      const sameAs = trainedAt.get(key) ?? Math.max(1, n - 1 - Math.floor(random() * 10));
      b.cached(n, change, sameAs, (b.best ?? start) + 0.01, 'discard');
      continue;
    }
    const s = b.start(n, change);
    if (active) b.hooks(n, [{ mechanism: active, hook: 'beforePropose', result: random() < 0.8 ? 'ok' : 'adjusted' }]);
    const progress = n / count;
    const best = b.best ?? start;
    const metric = random() < 0.03 ? null : random() < 0.12 * (1 - progress * 0.8) ? best * (1 - random() * 0.0012 * (1 - progress * 0.7)) : best * (1 + random() * 0.02) + (random() < 0.01 ? 0.5 : 0);
    b.finish(s, metric === null ? null : Number(metric.toFixed(6)));
    trainedAt.set(key, n);
  }
  return b.events;
}
