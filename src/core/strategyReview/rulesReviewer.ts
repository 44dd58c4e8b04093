import type { TargetConfig } from '../target/targetConfig';
import { DEFAULT_RULES, RuleBasedReviewer } from './strategyReview';

/** The offline reviewer with the config's freeze threshold: the default Level 1.5, and the fallback of an LLM reviewer that fails. */
export function rulesReviewerFor(config: TargetConfig): RuleBasedReviewer {
  return new RuleBasedReviewer({ freezeAfter: config.levels.strategy.freezeAfter, maxFocus: DEFAULT_RULES.maxFocus });
}
