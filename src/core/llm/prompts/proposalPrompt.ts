import Ajv, { type ErrorObject } from 'ajv';
import type { Candidate, EditBlock, ParamValue } from '../../../shared/trace/candidate';
import type { HistoryEntry, ParamView, ProposalContext } from '../../research/proposalContext';
import type { ChatMessage } from '../chatModel';

const scalarTypes = ['number', 'string', 'boolean', 'null'];
/** ParamValue: scalars, and tuples/lists of them nested one level (no $ref: some servers' grammar compilers lack it). */
const paramValueSchema = { type: [...scalarTypes, 'array'], items: { type: [...scalarTypes, 'array'], items: { type: scalarTypes } } };

/** The JSON schema sent as response_format. Tighter than what is accepted back (see validateCandidateShape). */
export const candidateSchema = {
  type: 'object',
  properties: {
    description: { type: 'string', minLength: 1, description: 'One line: what this experiment tries.' },
    hypothesis: { type: 'string', description: 'Why it should improve the metric.' },
    params: { type: 'object', additionalProperties: paramValueSchema, description: 'Parameter name to its new value.' },
    edits: {
      type: 'array',
      description: 'Exact search/replace blocks on editable files.',
      items: {
        type: 'object',
        properties: { file: { type: 'string' }, search: { type: 'string', minLength: 1 }, replace: { type: 'string' } },
        required: ['file', 'search', 'replace'],
        additionalProperties: false,
      },
    },
  },
  required: ['description', 'hypothesis'],
  additionalProperties: false,
} as const;

/**
 * What is accepted back: extra keys (a "reasoning" field, notes on an edit) are tolerated and
 * dropped, a missing hypothesis is taken as empty, and null stands for an omitted params/edits.
 */
const acceptedSchema = {
  type: 'object',
  properties: {
    description: { type: 'string', minLength: 1, pattern: '\\S' },
    hypothesis: { type: 'string' },
    params: { type: ['object', 'null'], additionalProperties: paramValueSchema },
    edits: {
      type: ['array', 'null'],
      items: {
        type: 'object',
        properties: { file: { type: 'string', minLength: 1 }, search: { type: 'string', minLength: 1 }, replace: { type: 'string' } },
        required: ['file', 'search', 'replace'],
      },
    },
  },
  required: ['description'],
};

const validateAccepted = new Ajv({ allErrors: true, strict: false }).compile(acceptedSchema);

/** `edits[0].search`, `params.LR`, `params["odd-name"]`. */
function fieldPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((seg) => seg.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, seg) => (/^\d+$/.test(seg) ? `${path}[${seg}]` : /^[A-Za-z_][\w]*$/.test(seg) ? (path ? `${path}.${seg}` : seg) : `${path}[${JSON.stringify(seg)}]`), '');
}

function valueAt(v: unknown, instancePath: string): unknown {
  return instancePath
    .split('/')
    .slice(1)
    .reduce<unknown>((x, seg) => (x !== null && typeof x === 'object' ? (x as Record<string, unknown>)[seg.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), v);
}

const jsonType = (x: unknown) => (x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x);

function describeError(e: ErrorObject, root: unknown): string {
  const path = fieldPath(e.instancePath);
  const at = path || 'the answer';
  switch (e.keyword) {
    case 'required':
      return `${at} is missing "${(e.params as { missingProperty: string }).missingProperty}"`;
    case 'type': {
      const expected = String((e.params as { type: string | string[] }).type).split(',');
      const what = expected.length > 2 ? `a ${expected.slice(0, -1).join(', ')} or ${expected[expected.length - 1]}` : `${/^[aeiou]/.test(expected[0]) ? 'an' : 'a'} ${expected[0]}`;
      return `${at} must be ${what} (got ${jsonType(valueAt(root, e.instancePath))})`;
    }
    case 'minLength':
    case 'pattern':
      return `${at} must not be empty`;
    default:
      return `${at} ${e.message ?? 'is invalid'}`;
  }
}

/** Shape errors in a parsed answer (empty means it can become a Candidate); each names the field. */
export function validateCandidateShape(v: unknown): string[] {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return [`the answer must be a JSON object (got ${jsonType(v)})`];
  if (!validateAccepted(v)) {
    return [...new Set((validateAccepted.errors ?? []).map((e) => describeError(e, v)))];
  }
  const { params, edits } = v as { params?: Record<string, unknown> | null; edits?: unknown[] | null };
  if (!(params && Object.keys(params).length) && !edits?.length) {
    return ['the answer changes nothing: give at least one entry in "params" or "edits"'];
  }
  return [];
}

/** The Candidate in a shape-valid answer, extra keys dropped and the description kept to one line. */
export function candidateFromShape(v: unknown): Candidate {
  const x = v as { description: string; hypothesis?: string; params?: Record<string, ParamValue> | null; edits?: EditBlock[] | null };
  const candidate: Candidate = { description: x.description.replace(/\s+/g, ' ').trim(), hypothesis: (x.hypothesis ?? '').trim() };
  if (x.params && Object.keys(x.params).length) candidate.params = { ...x.params };
  if (x.edits?.length) candidate.edits = x.edits.map((e) => ({ file: e.file, search: e.search, replace: e.replace }));
  return candidate;
}

const show = (v: ParamValue) => JSON.stringify(v);
const formatNumber = (x: number) => String(Number(x.toPrecision(6)));

function formatDelta(delta: number, goal: ProposalContext['goal']): string {
  const better = goal === 'minimize' ? delta < 0 : delta > 0;
  const sign = delta > 0 ? '+' : '';
  return delta === 0 ? 'Δ 0, no change' : `Δ ${sign}${formatNumber(delta)}, ${better ? 'better' : 'worse'}`;
}

/** A fence longer than any backtick run in the content, so a file can't end its own code block. */
function fence(content: string, lang: string): string {
  const longest = Math.max(2, ...[...content.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${lang}\n${content}${content.endsWith('\n') ? '' : '\n'}${ticks}`;
}

const languageOf = (path: string) => ({ py: 'python', js: 'javascript', ts: 'typescript', json: 'json', yaml: 'yaml', yml: 'yaml', toml: 'toml', sh: 'bash', md: 'markdown' })[path.split('.').pop() ?? ''] ?? '';

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function parameterTable(params: ParamView[]): string {
  const rows = params.map((p) => {
    const notes = [p.frozen ? 'frozen: do not change' : '', p.choices?.length ? `choices: ${p.choices.map(show).join(', ')}` : ''].filter(Boolean).join('; ');
    return `| ${p.name} | ${cell(p.text)} | ${p.kind} | ${cell(notes)} |`;
  });
  return ['| name | current value | kind | notes |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

function describeChange(h: HistoryEntry): string {
  const names = Object.keys(h.changed);
  if (!names.length) return h.status === 'rejected' ? '' : 'code change';
  return names.map((k) => `${k} ${h.before[k] === undefined ? '(new)' : show(h.before[k])} → ${show(h.changed[k])}`).join(', ');
}

export function historyLines(history: HistoryEntry[], ctx: Pick<ProposalContext, 'metricName' | 'goal'>): string[] {
  return history.map((h) => {
    const change = describeChange(h);
    const head = `#${h.n} ${h.status.toUpperCase()}: ${h.description}${change ? ` [${change}]` : ''}`;
    if (h.status === 'rejected') return `${head} — rejected before training: ${h.reason ?? 'no reason given'}`;
    if (h.status === 'crash') return `${head} — crashed, no ${ctx.metricName}`;
    const metric = h.metric === null ? `no ${ctx.metricName}` : `${ctx.metricName} ${formatNumber(h.metric)}`;
    const delta = h.delta === null ? '' : ` (${formatDelta(h.delta, ctx.goal)})`;
    const cached = h.status === 'cached' ? ' — identical to an earlier experiment, not rerun' : '';
    return `${head} — ${metric}${delta}${cached}`;
  });
}

const MAX_EVALUATED_LINES = 30;

/** Configurations already run, as their differences from the current values (the rest is noise). */
export function evaluatedLines(ctx: Pick<ProposalContext, 'params' | 'evaluated'>): string[] {
  const current = new Map(ctx.params.map((p) => [p.name, show(p.value)]));
  const lines = ctx.evaluated
    .map((config) =>
      Object.keys(config)
        .filter((k) => current.has(k) && current.get(k) !== show(config[k]))
        .map((k) => `${k}=${show(config[k])}`)
        .join(', '),
    )
    .filter(Boolean);
  return [...new Set(lines)].slice(-MAX_EVALUATED_LINES);
}

function systemPrompt(ctx: ProposalContext): string {
  const better = ctx.goal === 'minimize' ? 'lower' : 'higher';
  const files = ctx.editableFiles.map((f) => `\`${f.path}\``).join(', ') || '(none)';
  return `You are an autonomous ML researcher. You improve a training script one experiment at a time. Each experiment changes the code, trains for a fixed wall-clock budget of ${ctx.timeBudgetSeconds} seconds, and is scored by ${ctx.metricName} (${better} is better). If it beats the best result so far it is kept and becomes the new starting point; otherwise it is discarded and the code goes back to the best version.

## Goal
Get the ${better === 'lower' ? 'lowest' : 'highest'} ${ctx.metricName} within the fixed budget of ${ctx.timeBudgetSeconds} seconds. The budget itself and the evaluation are fixed: do not change the time budget, the evaluation, or how ${ctx.metricName} is computed or printed.

## Rules
- Edit only these files: ${files}.
- Change parameters (module-level constants) through "params", by name, with their new values. Parameters marked frozen must stay as they are; parameters with choices take one of those values.
- Change code through "edits": exact search/replace blocks. "search" is copied verbatim from the current file (whitespace included) and must match exactly once; "replace" is what it becomes.
- One idea per experiment, so its result says something. Parameters that only make sense together count as one idea.
- No new dependencies: use only what the code already imports.
- Don't repeat an experiment that has already run; build on what worked and learn from what didn't.

## Simplicity criterion
All else being equal, simpler is better. A tiny improvement that adds ugly complexity is not worth it. Removing code and getting equal or better results is a win.

## Response format
Answer with one JSON object and nothing else:
{ "description": "one line", "hypothesis": "why it should help", "params": { "NAME": value }, "edits": [{ "file": "path", "search": "exact text", "replace": "new text" }] }
- "description": one short line saying what this experiment tries.
- "hypothesis": why it should improve ${ctx.metricName}.
- "params": new values as JSON (numbers, strings, true/false, null, arrays for tuples and lists). Leave it out if no parameter changes.
- "edits": leave it out if no code changes.
At least one of "params" and "edits" must change something.`;
}

function userPrompt(ctx: ProposalContext): string {
  const sections: string[] = [];
  if (ctx.researchGoal?.trim()) sections.push(`## Research goal\n${ctx.researchGoal.trim()}`);
  sections.push(`## Editable files\n${ctx.editableFiles.map((f) => `### ${f.path}\n${fence(f.content, languageOf(f.path))}`).join('\n\n') || '(none)'}`);
  sections.push(`## Parameters\n${ctx.params.length ? parameterTable(ctx.params) : '(no parameters found; use edits)'}`);
  sections.push(`## Recent experiments (oldest first)\n${ctx.history.length ? historyLines(ctx.history, ctx).join('\n') : '(none yet)'}`);
  const which = (n: number) => (n === 0 ? 'the baseline' : `experiment #${n}`);
  const continuing =
    ctx.incumbent.n !== ctx.best.n && ctx.incumbent.metric !== null
      ? `\nA mechanism kept a worse result: the search continues from ${which(ctx.incumbent.n)} (${ctx.metricName} ${formatNumber(ctx.incumbent.metric)}). The files above are its version, and your experiment is judged against it.`
      : '';
  sections.push(`## Best so far\n${ctx.best.metric === null ? `no ${ctx.metricName} yet` : `${ctx.metricName} ${formatNumber(ctx.best.metric)} (${which(ctx.best.n)})`}${continuing}`);
  const evaluated = evaluatedLines(ctx);
  if (evaluated.length) sections.push(`## Configurations already evaluated (differences from the current values; don't propose these again)\n${evaluated.map((l) => `- ${l}`).join('\n')}`);
  if (ctx.guidance.length) sections.push(`## Guidance\n${ctx.guidance.map((g) => `- ${g}`).join('\n')}`);
  sections.push(`Propose experiment #${ctx.n}. Answer with the JSON object only.`);
  return sections.join('\n\n');
}

/** The messages for one proposal. Deterministic: the same context gives the same text. */
export function buildProposalMessages(ctx: ProposalContext): ChatMessage[] {
  return [
    { role: 'system', content: systemPrompt(ctx) },
    { role: 'user', content: userPrompt(ctx) },
  ];
}

/** The follow-up after an unusable answer: the precise error, and a request for the corrected JSON alone. */
export function repairRequest(error: string): string {
  return `Your answer could not be used: ${error}\n\nReply with the corrected JSON object only, in the response format above, with no other text.`;
}
