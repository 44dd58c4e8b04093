import { askStructured, renderMessages, UnusableAnswerError } from '../llm/askStructured';
import type { ChatMessage, ChatResult } from '../llm/chatModel';
import { LlmError, type LlmClient } from '../llm/llmClient';
import {
  buildCritiqueMessages,
  buildExploreMessages,
  buildGenerateMessages,
  buildSpecifyMessages,
  critiqueSchema,
  exploreSchema,
  extractModuleCode,
  specifySchema,
  type CritiqueAnswer,
  type ExploreAnswer,
  type SpecifyAnswer,
} from '../llm/prompts/mechanismPrompts';
import type { LibraryEntry, ResearchInput } from '../research/researchInput';
import type { TraceSummary } from '../research/traceSummary';

export type { LibraryEntry, ResearchInput } from '../research/researchInput';

/**
 * Level 2, mechanism research: diagnose how the search is failing and produce a mechanism module.
 * Four steps (explore, critique, specify, generate), each recorded in full through `onStep`.
 * The LLM researcher writes new code; the offline one picks from the built-in library by diagnosis.
 */

export type ResearchStep = 'explore' | 'critique' | 'specify' | 'generate';

export interface StepRecord {
  step: ResearchStep;
  prompt: string;
  response: string;
  ok: boolean;
  error?: string;
}

export interface ResearchedMechanism {
  name: string;
  description: string;
  source: string;
}

export interface MechanismResearcher {
  readonly name: string;
  /** Answers at once (no LLM): the loop runs it at a boundary instead of while an experiment trains. */
  readonly instant?: boolean;
  research(input: ResearchInput, onStep: (s: StepRecord) => void, signal?: AbortSignal): Promise<ResearchedMechanism>;
}

/** The session could not produce a module (an LLM call failed, or its answers stayed unusable). */
export class ResearchFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResearchFailed';
  }
}

export type FailureMode = 'repeating' | 'circling' | 'refine' | 'under-explored' | 'noisy-acceptance' | 'stalled' | 'plateau' | 'step-size';

export interface Diagnosis {
  mode: FailureMode;
  evidence: string[];
  /** Library mechanisms in the order that answers this failure mode. */
  remedies: string[];
}

/** Every library mechanism once, in the order each failure mode wants them (the offline researcher takes the first not yet tried). */
const REMEDIES: Record<FailureMode, string[]> = {
  'noisy-acceptance': ['noise-aware-acceptance', 'tabu-search', 'parzen-search', 'orthogonal-exploration', 'multi-scale-bandit', 'annealing-acceptance', 'local-refinement'],
  stalled: ['annealing-acceptance', 'local-refinement', 'parzen-search', 'tabu-search', 'multi-scale-bandit', 'orthogonal-exploration', 'noise-aware-acceptance'],
  repeating: ['orthogonal-exploration', 'parzen-search', 'multi-scale-bandit', 'tabu-search', 'annealing-acceptance', 'local-refinement', 'noise-aware-acceptance'],
  circling: ['tabu-search', 'orthogonal-exploration', 'parzen-search', 'multi-scale-bandit', 'annealing-acceptance', 'local-refinement', 'noise-aware-acceptance'],
  refine: ['local-refinement', 'parzen-search', 'multi-scale-bandit', 'orthogonal-exploration', 'tabu-search', 'annealing-acceptance', 'noise-aware-acceptance'],
  'under-explored': ['orthogonal-exploration', 'multi-scale-bandit', 'tabu-search', 'parzen-search', 'local-refinement', 'annealing-acceptance', 'noise-aware-acceptance'],
  plateau: ['multi-scale-bandit', 'local-refinement', 'parzen-search', 'annealing-acceptance', 'orthogonal-exploration', 'tabu-search', 'noise-aware-acceptance'],
  'step-size': ['parzen-search', 'local-refinement', 'multi-scale-bandit', 'tabu-search', 'orthogonal-exploration', 'annealing-acceptance', 'noise-aware-acceptance'],
};

/**
 * How the search is failing, from the trace summary alone. Pure. The most specific evidence first, so
 * that every library mechanism is the first remedy of some condition: gains inside the noise floor
 * (noise-aware acceptance); proposals turned away before training, a proposer that repeats itself
 * (orthogonal exploration proposes instead); a long streak of discards after progress, a local optimum (annealing);
 * circling the same moves (tabu); several improvements and no stall, coarse moves that paid and are
 * worth refining at half steps (local refinement, before coverage: the inner proposer covers anyway);
 * parameters and directions never tried (orthogonal exploration);
 * a short plateau (the bandit over step sizes); otherwise enough data to model (parzen-search).
 */
/** Iterations turned away before training (rejected or cached) that make the diagnosis 'repeating'. */
export const REPEATING_AFTER = 3;
/** Improvements (kept parameter changes) after which the diagnosis is 'refine'. */
export const REFINE_AFTER_KEEPS = 2;

export function diagnose(summary: TraceSummary): Diagnosis {
  const evidence: string[] = [];
  const repeats = summary.repeated.reduce((n, r) => n + r.times - 1, 0) + summary.cached;
  const oneSided = summary.parameters.filter((p) => p.failedDirections.length === 1 && p.failedDirections[0] !== 'other' && p.directions[p.failedDirections[0] === 'up' ? 'down' : 'up'] === 0);
  const kept = summary.parameters.reduce((n, p) => n + p.kept, 0);
  const diagnosis = (mode: FailureMode): Diagnosis => ({ mode, evidence, remedies: REMEDIES[mode] });
  if (summary.noise.floor !== null && summary.smallKeeps > 0) {
    evidence.push(`${summary.smallKeeps} kept result(s) gained less than the noise floor ${summary.noise.floor.toPrecision(3)}`);
    return diagnosis('noisy-acceptance');
  }
  // Proposals turned away before training (the same configuration again, a veto, a frozen parameter):
  // the proposer repeats itself, so the search needs another proposer, not a veto.
  const wasted = summary.rejected + summary.cached;
  if (wasted >= REPEATING_AFTER && wasted * 3 >= summary.iterationsDone) {
    evidence.push(`${summary.rejected} iteration(s) rejected before training and ${summary.cached} cached, of ${summary.iterationsDone}: the proposer repeats itself`);
    return diagnosis('repeating');
  }
  if (kept > 0 && summary.discardsInARow >= 4 && repeats < 2) {
    evidence.push(`${kept} improvement(s), then ${summary.discardsInARow} experiments in a row not kept, none repeated: a local optimum`);
    return diagnosis('stalled');
  }
  if (summary.discardsInARow >= 4 || repeats >= 2) {
    evidence.push(`${summary.discardsInARow} experiments in a row not kept`, `${repeats} repeated or cached proposals`);
    return diagnosis('circling');
  }
  if (kept >= REFINE_AFTER_KEEPS) {
    evidence.push(`${kept} improvements, the latest ${summary.discardsInARow} experiment(s) ago: refine the moves that paid`);
    return diagnosis('refine');
  }
  if (summary.neverTried.length || oneSided.length) {
    if (summary.neverTried.length) evidence.push(`never tried: ${summary.neverTried.join(', ')}`);
    if (oneSided.length) evidence.push(`only one direction tried: ${oneSided.map((p) => `${p.name} (${p.failedDirections[0]})`).join(', ')}`);
    return diagnosis('under-explored');
  }
  if (kept > 0 && summary.discardsInARow >= 2) {
    evidence.push(`${kept} improvements so far, then ${summary.discardsInARow} without`);
    return diagnosis('plateau');
  }
  evidence.push('no clear failure yet: model the trace and propose where it predicts the best');
  return diagnosis('step-size');
}

/**
 * Offline Level 2: the diagnosis picks the first library mechanism not yet proposed in this run.
 * The four steps are recorded like the LLM's, with the rules' input and output in place of a chat.
 */
export class OfflineMechanismResearcher implements MechanismResearcher {
  readonly name = 'offline';
  readonly instant = true;

  constructor(private readonly library: LibraryEntry[]) {}

  async research(input: ResearchInput, onStep: (s: StepRecord) => void): Promise<ResearchedMechanism> {
    const d = diagnose(input.summary);
    const summaryText = JSON.stringify({ discardsInARow: input.summary.discardsInARow, neverTried: input.summary.neverTried, repeated: input.summary.repeated, cached: input.summary.cached });
    onStep({ step: 'explore', prompt: `offline diagnosis of ${summaryText}`, response: JSON.stringify({ diagnosis: d.mode, evidence: d.evidence, candidates: d.remedies }), ok: true });
    const taken = new Set([...input.earlier.map((e) => e.name), ...input.active.map((a) => a.name)]);
    const pick = d.remedies.map((name) => this.library.find((m) => m.name === name)).find((m): m is LibraryEntry => !!m && !taken.has(m.name));
    if (!pick) {
      const error = `every library mechanism for "${d.mode}" was already tried in this run (${d.remedies.join(', ')})`;
      onStep({ step: 'critique', prompt: `first of ${d.remedies.join(', ')} not yet proposed`, response: '', ok: false, error });
      throw new ResearchFailed(error);
    }
    onStep({ step: 'critique', prompt: `first of ${d.remedies.join(', ')} not yet proposed`, response: JSON.stringify({ choice: pick.name, why: `answers ${d.mode}: ${d.evidence.join('; ')}` }), ok: true });
    onStep({ step: 'specify', prompt: `library entry ${pick.name}`, response: JSON.stringify({ name: pick.name, description: pick.description }), ok: true });
    onStep({ step: 'generate', prompt: `library source of ${pick.name}`, response: pick.source, ok: true });
    return { name: pick.name, description: pick.description, source: pick.source };
  }
}

/** Level 2 by an LLM: four calls, each with one repair round, each recorded whether it worked or not. */
export class LlmMechanismResearcher implements MechanismResearcher {
  readonly name = 'llm';

  constructor(private readonly client: Pick<LlmClient, 'chat'>) {}

  async research(input: ResearchInput, onStep: (s: StepRecord) => void, signal?: AbortSignal): Promise<ResearchedMechanism> {
    const explore = await this.step<ExploreAnswer>('explore', buildExploreMessages(input), exploreSchema, onStep, signal);
    const critique = await this.step<CritiqueAnswer>('critique', buildCritiqueMessages(input, explore), critiqueSchema, onStep, signal);
    const spec = await this.step<SpecifyAnswer>('specify', buildSpecifyMessages(input, explore, critique), specifySchema, onStep, signal);
    const source = await this.generate(buildGenerateMessages(input, spec), onStep, signal);
    return { name: spec.name, description: spec.description, source };
  }

  private async step<T>(step: ResearchStep, messages: ChatMessage[], schema: object, onStep: (s: StepRecord) => void, signal?: AbortSignal): Promise<T> {
    try {
      const answer = await askStructured<T>(this.client, `mechanism.${step}`, messages, { name: step, schema }, signal);
      onStep({ step, prompt: answer.prompt, response: answer.response, ok: true });
      return answer.value;
    } catch (e) {
      throw this.failed(step, messages, e, onStep, signal);
    }
  }

  /** The module comes back as a fenced code block, not JSON: code inside JSON strings is where models slip. */
  private async generate(messages: ChatMessage[], onStep: (s: StepRecord) => void, signal?: AbortSignal): Promise<string> {
    try {
      const check = (answer: ChatResult) => (extractModuleCode(answer.text) ? undefined : 'no module code in the answer');
      const first = await this.client.chat('mechanism.generate', messages, { signal, check });
      const code = extractModuleCode(first.text);
      if (code) {
        onStep({ step: 'generate', prompt: renderMessages(messages), response: first.text, ok: true });
        return code;
      }
      const repair: ChatMessage[] = [
        ...messages,
        { role: 'assistant', content: first.text || '(empty answer)' },
        { role: 'user', content: 'No module code found. Reply with the whole module in one ```javascript fenced block and nothing else.' },
      ];
      const second = await this.client.chat('mechanism.generate.repair', repair, { signal, check });
      const again = extractModuleCode(second.text);
      if (!again) throw new UnusableAnswerError('no module code in the answer after one repair round', renderMessages(repair), second.text);
      onStep({ step: 'generate', prompt: renderMessages(repair), response: second.text, ok: true });
      return again;
    } catch (e) {
      throw this.failed('generate', messages, e, onStep, signal);
    }
  }

  private failed(step: ResearchStep, messages: ChatMessage[], e: unknown, onStep: (s: StepRecord) => void, signal?: AbortSignal): unknown {
    if (signal?.aborted) return e;
    if (e instanceof UnusableAnswerError) {
      onStep({ step, prompt: e.prompt, response: e.response, ok: false, error: e.message });
      return new ResearchFailed(`${step}: ${e.message}`);
    }
    if (e instanceof LlmError) {
      onStep({ step, prompt: renderMessages(messages), response: '', ok: false, error: e.message });
      return new ResearchFailed(`${step}: LLM call failed: ${e.message}`);
    }
    return e;
  }
}

/** A mechanism name safe for a file and a branch: kebab-case, unique in the run. Pure. */
export function mechanismName(raw: string, taken: Set<string>): string {
  const base =
    raw
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'mechanism';
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  return name;
}
