import type { HookName, HookOutput } from './mechanism';

/**
 * Shape checks for what a hook returned (already parsed from JSON). Unknown fields are dropped, not
 * fatal: a mechanism that returns a bit more than asked still works. A wrong type in a known field
 * is garbage, named by its field so the author (often an LLM) can fix it.
 */
export type CheckedOutput = { ok: true; output: HookOutput; hasState: boolean; state: unknown } | { ok: false; detail: string };

export function checkHookOutput(hook: HookName, value: unknown): CheckedOutput {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, detail: `${hook} must return an object, got ${describe(value)}` };
  }
  const v = value as Record<string, unknown>;
  const hasState = Object.prototype.hasOwnProperty.call(v, 'state');
  const state = hasState ? v.state : undefined;
  const problem = (field: string, want: string) => ({ ok: false as const, detail: `${hook}: ${field} must be ${want}, got ${describe(v[field])}` });
  const has = (f: string) => Object.prototype.hasOwnProperty.call(v, f) && v[f] !== undefined;
  switch (hook) {
    case 'beforePropose': {
      const out: Record<string, unknown> = {};
      if (has('guidance')) {
        if (typeof v.guidance !== 'string') return problem('guidance', 'a string');
        out.guidance = v.guidance;
      }
      for (const f of ['freeze', 'focus'] as const) {
        if (!has(f)) continue;
        if (!isStringArray(v[f])) return problem(f, 'an array of parameter names');
        out[f] = v[f];
      }
      return { ok: true, output: out, hasState, state };
    }
    case 'propose': {
      if (!has('candidate') || v.candidate === null) return { ok: true, output: { candidate: null }, hasState, state };
      const c = v.candidate as Record<string, unknown>;
      if (typeof c !== 'object' || Array.isArray(c)) return problem('candidate', 'an object or null');
      if (typeof c.description !== 'string' || !c.description.trim()) return { ok: false, detail: `propose: candidate.description must be a non-empty string, got ${describe(c.description)}` };
      if (typeof c.hypothesis !== 'string') return { ok: false, detail: `propose: candidate.hypothesis must be a string, got ${describe(c.hypothesis)}` };
      if (!c.params || typeof c.params !== 'object' || Array.isArray(c.params) || Object.keys(c.params).length === 0) {
        return { ok: false, detail: `propose: candidate.params must be an object naming at least one parameter, got ${describe(c.params)}` };
      }
      const params = c.params as Record<string, unknown>;
      for (const [name, val] of Object.entries(params)) {
        if (!isParamValue(val)) return { ok: false, detail: `propose: candidate.params.${name} must be a number, string, boolean, null or array of those, got ${describe(val)}` };
      }
      return { ok: true, output: { candidate: { description: c.description, hypothesis: c.hypothesis, params: params as never } }, hasState, state };
    }
    case 'reviewCandidate': {
      if (v.verdict !== 'accept' && v.verdict !== 'reject') return problem('verdict', '"accept" or "reject"');
      if (has('reason') && typeof v.reason !== 'string') return problem('reason', 'a string');
      return { ok: true, output: has('reason') ? { verdict: v.verdict, reason: v.reason as string } : { verdict: v.verdict }, hasState, state };
    }
    case 'decide': {
      const out: Record<string, unknown> = {};
      if (has('status')) {
        if (v.status !== 'keep' && v.status !== 'discard' && v.status !== 'rerun') return problem('status', '"keep", "discard", "rerun" or absent');
        out.status = v.status;
      }
      if (has('reason')) {
        if (typeof v.reason !== 'string') return problem('reason', 'a string');
        out.reason = v.reason;
      }
      return { ok: true, output: out, hasState, state };
    }
    case 'afterResult':
      return { ok: true, output: {}, hasState, state };
  }
}

function isStringArray(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((s) => typeof s === 'string');
}

function isParamValue(x: unknown): boolean {
  if (x === null || typeof x === 'string' || typeof x === 'boolean') return true;
  if (typeof x === 'number') return Number.isFinite(x);
  return Array.isArray(x) && x.every(isParamValue);
}

function describe(x: unknown): string {
  if (x === undefined) return 'nothing';
  const s = JSON.stringify(x);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
