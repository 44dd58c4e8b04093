import type { ResearchInput } from '../../research/researchInput';
import type { ChatMessage } from '../chatModel';

/** The four prompts of a mechanism research session (Level 2) and the answers they ask for. */

export interface ExploreAnswer {
  diagnosis: string;
  candidates: { name: string; field: string; idea: string }[];
}
export interface CritiqueAnswer {
  choice: string;
  why: string;
}
export interface SpecifyAnswer {
  name: string;
  description: string;
  hooks: string[];
  state: string;
  behaviour: string;
}

export const exploreSchema = {
  type: 'object',
  properties: {
    diagnosis: { type: 'string', minLength: 1, description: 'How the inner search is failing, with evidence from the trace.' },
    candidates: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: { name: { type: 'string', minLength: 1 }, field: { type: 'string' }, idea: { type: 'string' } },
        required: ['name', 'field', 'idea'],
      },
    },
  },
  required: ['diagnosis', 'candidates'],
} as const;

export const critiqueSchema = {
  type: 'object',
  properties: { choice: { type: 'string', minLength: 1 }, why: { type: 'string' } },
  required: ['choice', 'why'],
} as const;

export const specifySchema = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, description: 'kebab-case module name' },
    description: { type: 'string', minLength: 1, description: 'One line: what it changes in the search.' },
    hooks: { type: 'array', minItems: 1, items: { enum: ['beforePropose', 'propose', 'reviewCandidate', 'decide', 'afterResult'] } },
    state: { type: 'string', description: 'What it keeps in state.' },
    behaviour: { type: 'string', description: 'What each hook does, precisely.' },
  },
  required: ['name', 'description', 'hooks', 'state', 'behaviour'],
} as const;

const SYSTEM = [
  'You improve an automated research loop. Its inner loop proposes one change to a training script at a time,',
  'trains for a fixed budget, and keeps the change only if the metric improves. You do not tune parameters yourself:',
  'you design a search MECHANISM (code that changes how the inner loop searches), borrowing from other fields:',
  'combinatorial optimisation (Tabu search), multi-armed bandits, design of experiments (orthogonal arrays),',
  'evolutionary search, Bayesian optimisation, simulated annealing, and so on.',
].join('\n');

function traceText(input: ResearchInput): string {
  const s = input.summary;
  return [
    `Metric ${s.metric} (${s.goal}); ${s.iterationsDone} iterations; baseline ${s.baseline ?? 'n/a'}; best ${s.best ? `${s.best.metric} at #${s.best.n}` : 'none'}.`,
    `Not kept in a row: ${s.discardsInARow}. Rejected: ${s.rejected}. Cached repeats: ${s.cached}. Code edits tried ${s.codeEdits.tried}, kept ${s.codeEdits.kept}.`,
    'Per parameter:',
    ...s.parameters.map((p) => `- ${p.name} = ${JSON.stringify(p.value)}: tried ${p.tried}, kept ${p.kept}, crashed ${p.crashed}, best Δ ${p.bestDelta ?? 'n/a'}, up ${p.directions.up}, down ${p.directions.down}, never-kept directions ${p.failedDirections.join('/') || 'none'}`),
    s.repeated.length ? `Repeated proposals: ${s.repeated.map((r) => `"${r.description}" ×${r.times}`).join('; ')}` : 'No repeated proposals.',
    input.active.length ? `Active mechanisms: ${input.active.map((a) => `${a.name} (${a.description})`).join('; ')}` : 'No mechanism is active.',
    input.earlier.length ? `Mechanisms tried earlier in this run: ${input.earlier.map((e) => `${e.name}: ${e.status}${e.reason ? ` (${e.reason})` : ''}`).join('; ')}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

export function buildExploreMessages(input: ResearchInput): ChatMessage[] {
  return [
    { role: 'system', content: SYSTEM },
    {
      role: 'user',
      content: `${traceText(input)}\n\nStep 1 of 4, explore: diagnose HOW the search is failing (not which value is best), then list 3 to 5 candidate mechanisms from other fields that would fix that failure. Answer as JSON: {"diagnosis": "...", "candidates": [{"name": "...", "field": "...", "idea": "..."}]}`,
    },
  ];
}

export function buildCritiqueMessages(input: ResearchInput, explore: ExploreAnswer): ChatMessage[] {
  return [
    { role: 'system', content: SYSTEM },
    {
      role: 'user',
      content: `${traceText(input)}\n\nDiagnosis: ${explore.diagnosis}\nCandidates:\n${explore.candidates.map((c) => `- ${c.name} (${c.field}): ${c.idea}`).join('\n')}\n\nStep 2 of 4, critique: pick the ONE candidate that best answers the diagnosed failure, works with the hooks below without any library or dependency, and is not what already runs. Answer as JSON: {"choice": "<name>", "why": "..."}\n\n${input.interfaceText}`,
    },
  ];
}

export function buildSpecifyMessages(input: ResearchInput, explore: ExploreAnswer, critique: CritiqueAnswer): ChatMessage[] {
  const active = input.active.map((a) => `// ${a.name}.mjs\n${a.source}`).join('\n\n');
  return [
    { role: 'system', content: SYSTEM },
    {
      role: 'user',
      content: `Diagnosis: ${explore.diagnosis}\nChosen mechanism: ${critique.choice} (${critique.why})\n\nThe mechanism interface:\n${input.interfaceText}\n\n${active ? `Source of the active mechanisms:\n${active}\n\n` : ''}Step 3 of 4, specify: name (kebab-case), one-line description, the hooks it exports, what it keeps in state, and precisely what each hook does. Answer as JSON: {"name": "...", "description": "...", "hooks": [...], "state": "...", "behaviour": "..."}`,
    },
  ];
}

export function buildGenerateMessages(input: ResearchInput, spec: SpecifyAnswer): ChatMessage[] {
  return [
    { role: 'system', content: SYSTEM },
    {
      role: 'user',
      content: `The mechanism interface:\n${input.interfaceText}\n\nSpecification:\nname: ${spec.name}\ndescription: ${spec.description}\nhooks: ${spec.hooks.join(', ')}\nstate: ${spec.state}\nbehaviour: ${spec.behaviour}\n\nStep 4 of 4, generate: write the whole module. No imports. Reply with the module in one \`\`\`javascript fenced block.`,
    },
  ];
}

/** The module in an answer: the last fenced block that exports something (any language tag). Null when there is none. */
export function extractModuleCode(text: string): string | null {
  const blocks: string[] = [];
  let open: string[] | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (open === null) {
      if (/^\s*```[\w-]*\s*$/.test(line)) open = [];
    } else if (/^\s*```\s*$/.test(line)) {
      blocks.push(open.join('\n'));
      open = null;
    } else {
      open.push(line);
    }
  }
  const code = blocks.reverse().find((b) => /\bexport\b/.test(b));
  return code ? code.trimEnd() + '\n' : null;
}
