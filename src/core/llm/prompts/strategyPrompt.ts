import type { Strategy } from '../../../shared/trace/runState';
import type { TraceSummary } from '../../research/traceSummary';
import type { ChatMessage } from '../chatModel';

/** What the strategy reviewer answers. `freeze` is the whole list to keep frozen: anything left out thaws. */
export interface StrategyAnswer {
  freeze: string[];
  focus: string[];
  guidance: string;
}

export const strategySchema = {
  type: 'object',
  properties: {
    freeze: { type: 'array', items: { type: 'string' }, description: 'Every parameter to keep frozen from now on (omit one to unfreeze it).' },
    focus: { type: 'array', items: { type: 'string' }, description: 'Parameters the next experiments should explore first.' },
    guidance: { type: 'string', description: 'Advice for the inner loop, a few sentences.' },
  },
  required: ['freeze', 'focus', 'guidance'],
  additionalProperties: false,
} as const;

export function buildStrategyMessages(summary: TraceSummary, current: Strategy, configFrozen: string[]): ChatMessage[] {
  const system = [
    'You review an automated hyperparameter search (the inner loop) every few iterations and steer it.',
    'The inner loop proposes one change at a time, trains for a fixed budget, and keeps the change only if the metric improves.',
    'Its known failure modes: circling the same few moves, never trying the opposite direction of a failed move, and ignoring untried parameters.',
    'Freeze parameters whose further tuning is wasted runs; focus the loop on what was never or barely tried; give short, concrete guidance.',
    'Answer with one JSON object: {"freeze": [...], "focus": [...], "guidance": "..."}. Only use parameter names from the summary.',
  ].join('\n');
  const user = [
    `Metric: ${summary.metric} (${summary.goal}). Iterations done: ${summary.iterationsDone}. Baseline: ${summary.baseline ?? 'n/a'}. Best: ${summary.best ? `${summary.best.metric} at #${summary.best.n}` : 'none'}.`,
    `Experiments in a row not kept: ${summary.discardsInARow}. Rejected proposals: ${summary.rejected}. Repeats served from cache: ${summary.cached}.`,
    `Frozen by the researcher's config (cannot change): ${configFrozen.join(', ') || 'none'}.`,
    `Currently frozen by review: ${current.frozen.join(', ') || 'none'}. Current focus: ${current.focus.join(', ') || 'none'}.`,
    '',
    'Per parameter (tried = trained experiments that changed it; directions = how often it was moved up/down; failed = directions never kept):',
    ...summary.parameters.map(
      (p) =>
        `- ${p.name} = ${JSON.stringify(p.value)}: tried ${p.tried} (${p.triedSinceBestMoved} since the best last moved), kept ${p.kept}, crashed ${p.crashed}, best Δ ${p.bestDelta ?? 'n/a'}, up ${p.directions.up}, down ${p.directions.down}, failed ${p.failedDirections.join('/') || 'none'}`,
    ),
    summary.repeated.length ? `Repeated proposals: ${summary.repeated.map((r) => `"${r.description}" ×${r.times}`).join('; ')}` : 'No repeated proposals.',
  ].join('\n');
  return [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ];
}
