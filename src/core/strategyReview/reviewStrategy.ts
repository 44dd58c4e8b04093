import type { RunSession } from '../session/runSession';
import { Interrupted } from '../innerLoop/interrupted';
import { sanitizeDecision, summarizeTrace, type RuleBasedReviewer, type StrategyReviewer } from './strategyReview';

/**
 * One Level 1.5 review at a boundary: the trace summarised, the reviewer's decision cleaned of names
 * it may not touch, recorded as strategy.updated. A reviewer that fails (an LLM down) does not leave
 * the cycle unreviewed: `fallback`, the rules, answers instead, and the event says so.
 */
export async function reviewStrategy(session: RunSession, reviewer: StrategyReviewer, fallback: RuleBasedReviewer): Promise<void> {
  const { state, config, signal } = session;
  const params = await session.paramsAtBest();
  const summary = summarizeTrace(state, params);
  let by = reviewer.name;
  let decision;
  try {
    decision = await reviewer.review(summary, state.strategy, signal);
  } catch (e) {
    if (signal?.aborted) throw new Interrupted();
    by = `rules (the ${reviewer.name} reviewer failed: ${(e as Error).message})`;
    decision = await fallback.review(summary, state.strategy);
  }
  const clean = sanitizeDecision(decision, params.map((p) => p.name), config.parameters.frozen, state.strategy);
  const ignored = clean.ignored.length ? ` (ignored unknown or config-frozen names: ${clean.ignored.join(', ')})` : '';
  session.emit({
    type: 'strategy.updated',
    n: state.iterationsDone,
    cycle: state.strategyReviews + 1,
    reviewer: by,
    frozen: clean.frozen,
    unfrozen: clean.unfrozen,
    focus: clean.focus,
    guidance: clean.guidance + ignored,
  });
}
