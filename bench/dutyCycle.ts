/**
 * Part 1, GPU duty cycle: the share of a run's wall time spent training, with the LLM proposer
 * answering from the scripted OpenAI-compatible server after a set latency and a training command
 * that takes a fixed time. Overlap off is the plain loop (propose, then train); overlap on proposes
 * the next candidate while the current one trains.
 *
 * Measured between the end of the baseline and the end of the last training: training time of
 * experiments 1..N over that window (the baseline needs no proposal, so it is left out). Steady
 * state leaves out experiment 1 as well: nothing is prepared while the baseline trains, so its
 * proposal is waited for in full, once per run.
 */
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { RunEvent } from '../src/shared/trace/events';
import { ResearchRun } from '../src/core/run/researchRun';
import { createLevels } from '../src/core/run/createLevels';
import { createProposer } from '../src/core/proposers/createProposer';
import { applyLevelsFlag, parseTargetConfig } from '../src/core/target/targetConfig';
import { startScriptedLlmServer } from '../test/support/scriptedLlmServer';
import { median, round, scratchRepo } from './loopTiming';

const KNOBS = 40;
const TRAIN_PY = Array.from({ length: KNOBS }, (_, i) => `P${i} = ${i + 1}`).join('\n') + '\n';

/** One measured run: its setting, then what measure's return line documents. */
export type DutyCycle = Awaited<ReturnType<typeof measure>>;

/** What the LLM answers a strategy review and each research step (llmLevels): a valid, harmless outcome. */
function levelAnswer(text: string): string | null {
  if (/You review an automated hyperparameter search/.test(text)) return JSON.stringify({ freeze: [], focus: [], guidance: 'keep going' });
  const step = /Step (\d) of 4/.exec(text)?.[1];
  if (step === '1') return JSON.stringify({ diagnosis: 'bench', candidates: [{ name: 'counter', field: 'bench', idea: 'count results' }] });
  if (step === '2') return JSON.stringify({ choice: 'counter', why: 'bench' });
  if (step === '3') return JSON.stringify({ name: 'counter', description: 'counts results', hooks: ['afterResult'], state: 'seen', behaviour: 'counts' });
  if (step === '4') return '```javascript\nexport function afterResult(ctx) { return { state: { seen: ((ctx.state && ctx.state.seen) || 0) + 1 } }; }\n```';
  return null;
}

async function measure(budget: number, latency: number, overlap: boolean, iterations: number, levels: string, llmLevels = false) {
  // Every proposal changes a different knob to a new value, so no proposal repeats an evaluated one.
  let proposals = 0;
  const server = await startScriptedLlmServer((req) => {
    const level = levelAnswer(req.messages.map((m) => m.content).join('\n'));
    if (level !== null) return { delayMs: latency * 1000, content: level };
    const i = proposals++;
    return { delayMs: latency * 1000, content: JSON.stringify({ description: `set P${i % KNOBS} to ${1000 + i}`, hypothesis: 'bench', params: { [`P${i % KNOBS}`]: 1000 + i } }) };
  });
  const dir = scratchRepo('bench-duty-', { 'train.py': TRAIN_PY });
  try {
    const config = parseTargetConfig({
      editable: ['train.py'],
      parameters: { file: 'train.py' },
      // A fixed-time "training" with a metric that varies, so that both keeps and discards happen.
      run: { command: `sleep ${budget}; echo "val_bpb: 1.$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')"`, timeBudgetSeconds: budget },
      metric: { name: 'val_bpb' },
      proposer: { kind: 'llm' },
      llm: { baseURL: server.url, model: 'scripted-model', maxRetries: 0 },
    });
    applyLevelsFlag(config, levels);
    // Offline levels (rules, the built-in library) run at boundaries; with llmLevels the reviewer and the
    // researcher ask the scripted LLM (same latency), and run while experiments train.
    config.levels.strategy.reviewer = llmLevels ? 'llm' : 'rules';
    config.levels.mechanisms.research = llmLevels ? 'llm' : 'offline';
    const trainStart = new Map<number, number>();
    const trainEnd = new Map<number, number>();
    const prepared: Record<string, number> = {};
    const onEvent = (e: RunEvent) => {
      const now = performance.now() / 1000;
      if (e.type === 'training.started') trainStart.set(e.n, now);
      if (e.type === 'training.finished') trainEnd.set(e.n, now);
      const how = e.type === 'candidate.proposed' ? (e as { prepared?: { how: string } }).prepared?.how : undefined;
      if (how) prepared[how] = (prepared[how] ?? 0) + 1;
    };
    const run = new ResearchRun({ repoDir: dir, config, proposer: createProposer(config, undefined, 'sk-bench-not-a-secret'), ...createLevels(config, undefined, 'sk-bench-not-a-secret'), iterations, tag: 'duty', overlap, onEvent });
    const { state } = await run.run();
    const ns = [...trainEnd.keys()].filter((n) => n > 0).sort((a, b) => a - b);
    const training = ns.reduce((a, n) => a + trainEnd.get(n)! - trainStart.get(n)!, 0);
    const window = trainEnd.get(ns[ns.length - 1])! - trainEnd.get(0)!;
    const steady = (training - (trainEnd.get(ns[0])! - trainStart.get(ns[0])!)) / (trainEnd.get(ns[ns.length - 1])! - trainEnd.get(ns[0])!);
    const gaps = ns.map((n, i) => trainStart.get(n)! - trainEnd.get(i === 0 ? 0 : ns[i - 1])!);
    const results = Object.fromEntries(['keep', 'discard', 'crash', 'cached', 'rejected', 'proposal-failed'].map((r) => [r, state.experiments.filter((x) => !x.baseline && x.result === r).length]));
    // dutyCycle: training time / wall time over experiments 1..N; steadyDutyCycle: the same over 2..N (what a long
    // run approaches); gapSeconds: the median time from one training's end to the next one's start; prepared: with
    // overlap, how each prepared candidate was used (used, reapplied, reproposed).
    return { budgetSeconds: budget, llmLatencySeconds: latency, overlap, levels: llmLevels ? `${levels} (LLM levels)` : levels, iterations: ns.length, dutyCycle: round(training / window, 3), steadyDutyCycle: round(steady, 3), gapSeconds: round(median(gaps), 2), prepared, results };
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What a duty cycle means at another scale, from the measured loop overhead per iteration `o`
 * (a model, not a measurement). Off, each iteration waits for the LLM: B / (B + L + o). On, the
 * LLM call hides behind training unless it is longer (max(0, L - B) shows), and a prepared
 * candidate that no longer applies on a new best costs one call in full (share `r` of iterations).
 * `idlePerIteration` adds work done with nothing training, e.g. the outer levels at boundaries.
 */
export function projectedDutyCycle(budget: number, latency: number, overheadSeconds: number, reproposedShare: number, idlePerIteration = 0) {
  const off = budget / (budget + latency + overheadSeconds + idlePerIteration);
  const on = budget / (budget + overheadSeconds + Math.max(0, latency - budget) + reproposedShare * latency + idlePerIteration);
  return { off: round(off, 4), on: round(on, 4) };
}

/**
 * Outer levels with the config's defaults and LLM reviewers: a strategy review (one call) every 5
 * iterations, a mechanism research session (four calls) every 2 reviews. They run at a boundary,
 * where the loop lets the experiments in flight finish first: the GPU waits for all of it.
 */
export const levelsIdlePerIteration = (latency: number) => (2 * latency + 4 * latency) / 10;

export async function dutyCycleBench(opts: { pairs: [number, number][]; overlap: ('on' | 'off')[]; iterations: number; levels: string; llmLevels?: boolean }) {
  const measured: DutyCycle[] = [];
  for (const [budget, latency] of opts.pairs) {
    for (const o of opts.overlap) measured.push(await measure(budget, latency, o === 'on', opts.iterations, opts.levels, opts.llmLevels));
  }
  // The overhead left outside training and LLM time, measured with overlap off: gap minus latency.
  const off = measured.filter((m) => !m.overlap);
  const overhead = off.length ? median(off.map((m) => Math.max(0, m.gapSeconds - m.llmLatencySeconds))) : 0.1;
  return {
    measured,
    projected300s30s: {
      overheadSeconds: round(overhead, 2),
      ...projectedDutyCycle(300, 30, overhead, 0),
      worstCaseEveryIterationReproposed: projectedDutyCycle(300, 30, overhead, 1).on,
      withLlmLevelsAtBoundaries: projectedDutyCycle(300, 30, overhead, 0, levelsIdlePerIteration(30)),
    },
  };
}
