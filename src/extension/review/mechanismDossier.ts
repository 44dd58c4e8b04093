import type { MechanismCheck, RunEvent } from '../../shared/trace/events';
import type { MechanismRecord } from '../../shared/trace/runState';
import { mechanismWhy } from '../../shared/trace/mechanismOutcome';
import { isReviewable, mechanismLook } from '../views/mechanismPresentation';

/**
 * What a reviewer reads about one mechanism, like a pull request: why research went looking (the
 * diagnosis), why this idea (the rationale), the four research steps, the validation checks with
 * their output, the replay result and the module's code. Plain data, no `vscode` import.
 */
export interface MechanismDossier {
  name: string;
  description: string;
  status: string;
  reason: string;
  diagnosis: string;
  rationale: string;
  behaviour: string;
  steps: { step: string; ok: boolean; error?: string; response: string }[];
  checks: MechanismCheck[];
  /** The replay check (the mechanism run over the trace so far), when validation ran one. */
  replay: MechanismCheck | null;
  code: string;
  file: string;
  hooks: string[];
  canAccept: boolean;
  canReject: boolean;
}

/** An LLM answer's JSON object: the whole text, or the first `{…}` in it; null when there is none. */
export function answerObject(text: string): Record<string, unknown> | null {
  for (const candidate of [text, text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1)]) {
    try {
      const v: unknown = JSON.parse(candidate);
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // not JSON: try the next reading
    }
  }
  return null;
}

const field = (o: Record<string, unknown> | null, ...keys: string[]) => keys.map((k) => o?.[k]).filter((v): v is string => typeof v === 'string' && v !== '').join(' — ');

/** `events`: the run's trace (the research steps of the mechanism's session are read from it); `code`: the module's source. */
export function mechanismDossier(m: MechanismRecord, events: readonly RunEvent[], code: string): MechanismDossier {
  const steps = events.filter((e): e is Extract<RunEvent, { type: 'mechanism.research.step' }> => e.type === 'mechanism.research.step' && e.session === m.session);
  const answer = (step: string) => answerObject(steps.find((s) => s.step === step && s.ok)?.response ?? '');
  return {
    name: m.name,
    description: m.description,
    status: mechanismLook(m).word,
    reason: mechanismWhy(m) ?? '',
    diagnosis: field(answer('explore'), 'diagnosis'),
    rationale: field(answer('critique'), 'choice', 'why'),
    behaviour: field(answer('specify'), 'behaviour'),
    steps: steps.map((s) => ({ step: s.step, ok: s.ok, error: s.error, response: s.response })),
    checks: m.checks,
    replay: m.checks.find((c) => /replay/i.test(c.name)) ?? null,
    code,
    file: m.file,
    hooks: m.hooks,
    canAccept: isReviewable(m),
    canReject: isReviewable(m) || m.status === 'active',
  };
}
