import type { ParamValue } from '../src/shared/trace/candidate';
import type { IterationResult, RunEvent, RunEventBody, Status } from '../src/shared/trace/events';
import { seededRandom } from '../src/core/proposers/heuristicProposer';

/** tiny-gpt's constants, so that params/changed have the size a real run writes. */
const START: Record<string, ParamValue> = {
  DEPTH: 2, N_EMBD: 64, N_HEAD: 4, SEQ_LEN: 64, BATCH_SIZE: 128, LEARNING_RATE: 0.001, WEIGHT_DECAY: 0.1,
  WARMUP_STEPS: 10, ADAM_BETAS: [0.9, 0.95], ACTIVATION: 'gelu', TIE_WEIGHTS: true, DROPOUT: 0, TIME_BUDGET: 300, SEED: 1337,
};
const KNOBS = ['DEPTH', 'N_EMBD', 'SEQ_LEN', 'BATCH_SIZE', 'LEARNING_RATE', 'WEIGHT_DECAY', 'WARMUP_STEPS', 'DROPOUT'];

export interface SyntheticTraceOptions {
  experiments: number;
  seed?: number;
  /** The commit kept experiments (and the run's start) point at; a real one lets a real resume reset to it. */
  commit?: string;
  /** Per-experiment llm.called events, as the LLM proposer writes them. */
  llm?: boolean;
  /** A strategy.updated event every this many iterations (Level 1.5); 0 for none. */
  strategyEvery?: number;
}

/**
 * A finished run of `experiments` iterations after the baseline, with the events the loop writes
 * for each (iteration.started, candidate.proposed/applied/committed, training.started/finished,
 * experiment.decided, iteration.finished) and the mix a long run has: mostly discards, some keeps,
 * crashes, cache hits and rejected proposals. Deterministic for a seed.
 */
export function* syntheticTrace(opts: SyntheticTraceOptions): Generator<RunEvent> {
  const random = seededRandom(opts.seed ?? 1);
  const hex = () => Array.from({ length: 40 }, () => '0123456789abcdef'[Math.floor(random() * 16)]).join('');
  const start = opts.commit ?? hex();
  const tag = 'scale';
  let seq = 0;
  let ms = Date.parse('2026-01-01T00:00:00Z');
  const event = (body: RunEventBody, seconds = 0.05): RunEvent => {
    ms += seconds * 1000;
    return { seq: ++seq, at: new Date(ms).toISOString(), ...body } as RunEvent;
  };
  const log = (n: number) => `/home/user/train-repo/.autoresearch/runs/${tag}/logs/${n}.log`;
  const command = 'uv run train.py';
  const trees = new Map<number, string>();
  let best = { commit: start, metric: 1.0, params: { ...START } };

  yield event({ type: 'run.started', tag, branch: `autoresearch/${tag}`, baseCommit: start, metric: 'val_bpb', goal: 'minimize', proposer: opts.llm ? 'llm' : 'heuristic' });
  for (let n = 0; n <= opts.experiments; n++) {
    const baseline = n === 0;
    yield event({ type: 'iteration.started', n, baseCommit: best.commit, baseline });
    const finish = (result: IterationResult) => event({ type: 'iteration.finished', n, result });
    let params = best.params;
    let description = 'baseline';
    let commit = best.commit;
    if (!baseline) {
      if (opts.strategyEvery && n % opts.strategyEvery === 0) {
        yield event({ type: 'strategy.updated', n, cycle: n / opts.strategyEvery, reviewer: 'llm', frozen: ['SEED'], unfrozen: [], focus: ['LEARNING_RATE', 'BATCH_SIZE'], guidance: 'Smaller batches buy more steps in the budget; explore learning rate around the best.' }, 8);
      }
      const name = KNOBS[Math.floor(random() * KNOBS.length)];
      const from = best.params[name] as number;
      const to = Number((from * (random() < 0.5 ? 2 : 0.5)).toPrecision(6));
      description = `${to > from ? 'increase' : 'decrease'} ${name} ${from} -> ${to}`;
      const candidate = { description, hypothesis: `${name} ${to > from ? 'higher' : 'lower'} may improve val_bpb under the fixed budget`, params: { [name]: to } };
      if (opts.llm) yield event({ type: 'llm.called', usage: { purpose: 'propose', model: 'gpt-4o-mini', promptTokens: 2400 + Math.floor(random() * 400), completionTokens: 180, ms: 4200 }, ok: true }, 4.2);
      yield event({ type: 'candidate.proposed', n, candidate, proposer: opts.llm ? 'llm' : 'heuristic' });
      const roll = random();
      if (roll < 0.03) {
        yield event({ type: 'candidate.rejected', n, by: 'validation', reason: `${name}: value ${to} is outside the allowed choices`, candidate });
        yield finish('rejected');
        continue;
      }
      params = { ...best.params, [name]: to };
      const tree = hex();
      yield event({ type: 'candidate.applied', n, params, changed: { [name]: { from, to } }, tree });
      if (roll < 0.07 && trees.size) {
        const sameAs = 1 + Math.floor(random() * trees.size);
        yield event({ type: 'candidate.cached', n, sameAs, metric: best.metric + 0.01, status: 'discard' });
        yield finish('cached');
        continue;
      }
      trees.set(n, tree);
      commit = hex();
      yield event({ type: 'candidate.committed', n, commit });
    }
    yield event({ type: 'training.started', n, commit, command, log: log(n), pid: 10_000 + n });
    const crash = !baseline && random() < 0.03;
    // About one in twenty runs beats the best, as in a long run past its easy wins.
    const metric = crash ? null : best.metric + (random() - 0.05) * 0.01;
    const seconds = crash ? 12.5 : 300.2;
    yield event(
      crash
        ? { type: 'training.finished', n, outcome: 'crash', exitCode: 1, metric: null, secondary: {}, seconds, reason: 'exit code 1: RuntimeError: CUDA out of memory' }
        : { type: 'training.finished', n, outcome: 'ok', exitCode: 0, metric, secondary: { peak_vram_mb: 45060.2, training_seconds: 300.1, num_steps: 953 }, seconds },
      seconds,
    );
    const status: Status = crash ? 'crash' : baseline || metric! < best.metric ? 'keep' : 'discard';
    const previousBest = baseline ? null : best.metric;
    if (status === 'keep') {
      if (opts.commit) commit = opts.commit;
      best = { commit, metric: metric!, params };
    }
    yield event({ type: 'experiment.decided', n, status, commit, metric, previousBest, delta: metric === null || previousBest === null ? null : metric - previousBest, description, memoryGb: crash ? null : 44.0 });
    yield finish(status);
  }
  yield event({ type: 'run.stopped', reason: 'completed' });
}
