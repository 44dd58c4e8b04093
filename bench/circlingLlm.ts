/**
 * Part search-circling: the paper's group A failure with an LLM that circles. A scripted
 * OpenAI-compatible server (test/support/scriptedLlmServer) answers every proposal request from the
 * same short list of moves, as an LLM stuck on its favourite knobs does; none of them touches the
 * batch size, where the smooth target's big win lies. Group A (level 1 alone) can only ever train
 * those moves; group C (levels 1 + 1.5 + 2, the offline reviewer and research, the built-in library)
 * must find what A never finds. Both run the real CLI on the same targets and seeds as part search.
 */
import { startScriptedLlmServer } from '../test/support/scriptedLlmServer';
import { bestDelta, project, type SuiteRun, type Target } from './searchSuite';
import { privateCli } from './searchQuality';
import { pairedComparison } from '../src/shared/stats/pairedComparison';
import { round } from './loopTiming';

/** What the circling LLM proposes, in turn, forever: small LR, schedule and decay tweaks. */
export const CIRCLE: Record<string, number>[] = [{ MATRIX_LR: 0.05 }, { WARMDOWN_RATIO: 0.6 }, { MATRIX_LR: 0.03 }, { WEIGHT_DECAY: 0.1 }];

/** The i-th answer of the circling LLM. Pure. */
export function circlingAnswer(i: number): string {
  const params = CIRCLE[i % CIRCLE.length];
  const [name, value] = Object.entries(params)[0];
  return JSON.stringify({ description: `${name} to ${value}`, hypothesis: `${name} is probably not tuned yet`, params });
}

/** Parameters whose best value differs from the default and that the circle never proposes. Pure. */
export function beyondCircle(run: Pick<SuiteRun, 'trials'>): string[] {
  const circled = new Set(CIRCLE.flatMap((c) => Object.keys(c)));
  const base = run.trials[0]?.params ?? {};
  let best = run.trials[0];
  for (const t of run.trials) if (t.clean !== null && (best.clean === null || t.clean < best.clean)) best = t;
  return Object.keys(best?.params ?? {}).filter((k) => !circled.has(k) && JSON.stringify(best.params[k]) !== JSON.stringify(base[k]));
}

export async function circlingBench(opts: { seeds: number; trainings: number; targets: Target[]; log: (line: string) => void }) {
  let requests = 0;
  const server = await startScriptedLlmServer(() => ({ content: circlingAnswer(requests++) }));
  const cli = await privateCli();
  const runs: (SuiteRun & { beyond: string[] })[] = [];
  try {
    for (const target of opts.targets) {
      for (let seed = 1; seed <= opts.seeds; seed++) {
        for (const [method, levels] of [['A', '1'], ['C', '1,1.5,2']] as const) {
          const t0 = Date.now();
          const result = await project(cli, target, {
            proposer: 'llm',
            levels,
            // The levels run offline (rules, the built-in library): only the proposer circles.
            config: { llm: { baseURL: server.url, model: 'scripted-model', maxRetries: 0 }, levels: { strategy: { reviewer: 'rules' }, mechanisms: { research: 'offline' } } },
          }, seed, opts.trainings);
          const r = { target, method, seed, requested: opts.trainings, ...result, wallSeconds: round((Date.now() - t0) / 1000) } as SuiteRun;
          runs.push({ ...r, beyond: beyondCircle(r) });
          opts.log(`${target} ${method} seed ${seed}: Δ ${bestDelta(r)?.toFixed(4)} in ${r.trials.length - 1} trainings, best moved beyond the circle: ${beyondCircle(r).join(', ') || 'nothing'}`);
        }
      }
    }
  } finally {
    await server.close();
  }
  const targets = Object.fromEntries(
    opts.targets.map((target) => {
      const of = (m: string) => runs.filter((r) => r.target === target && r.method === m);
      const deltas = (m: string) => new Map(of(m).map((r) => [r.seed, bestDelta(r)] as const));
      const aBest = Math.min(...of('A').map((r) => bestDelta(r) ?? 0));
      const summary = (m: string) => ({
        bestDelta: of(m).map((r) => round(bestDelta(r) ?? 0, 4)),
        trainings: of(m).map((r) => r.trials.length - 1),
        bestBeyondCircle: of(m).filter((r) => r.beyond.length).length,
        beyondParams: [...new Set(of(m).flatMap((r) => r.beyond))],
      });
      const vs = pairedComparison(deltas('C'), deltas('A'));
      return [target, { A: summary('A'), C: summary('C'), cBelowEveryA: of('C').filter((r) => (bestDelta(r) ?? 0) < aBest - 1e-9).length, CvsA: { ...vs, meanDiff: vs.meanDiff === null ? null : round(vs.meanDiff, 4), p: round(vs.p, 4) } }];
    }),
  );
  return { trainings: opts.trainings, seeds: opts.seeds, circle: CIRCLE, llmRequests: requests, targets };
}
