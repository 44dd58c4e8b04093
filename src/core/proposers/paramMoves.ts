import type { ParamValue } from '../../shared/trace/candidate';
import { numberBounds } from './paramBounds';
import type { ParamView } from './proposer';

/** One move the heuristic can make: usually one parameter (or one element of a tuple), sometimes a joint move. */
export interface Move {
  /** The parameter that leads the move (the one its description names). */
  name: string;
  /** What coverage counts: `LR`, `ADAM_BETAS[1]`, or the sorted names of a joint move joined by `+`. */
  axis: string;
  from: ParamValue;
  to: ParamValue;
  /** Every parameter the move sets (one, or several for a joint move). */
  params: Record<string, ParamValue>;
  /** +1 up, −1 down, 0 for unordered changes (flip a boolean, switch a string). */
  direction: 1 | -1 | 0;
  /** Step size: 1 halves/doubles, 2 quarters/quadruples, … */
  scale: number;
}

/** Keeps halving/doubling from producing 0.30000000000000004-style noise in the source file. */
export function roundFloat(x: number): number {
  return Number(x.toPrecision(6));
}

/**
 * The values `scale` steps up and down from v, within what its name and kind allow (see
 * numberBounds). Pure.
 */
export function numberSteps(name: string, v: number, kind: ParamView['kind'] | 'element', scale: number): { to: number; direction: 1 | -1 }[] {
  if (!Number.isFinite(v)) return [];
  const b = numberBounds(name, v, kind);
  const factor = 2 ** scale;
  const out: { to: number; direction: 1 | -1 }[] = [];
  const add = (to: number, direction: 1 | -1) => {
    if (Number.isFinite(to) && to !== v && !out.some((o) => o.to === to)) out.push({ to, direction });
  };
  if (b.integer) {
    if (v === 0) {
      if (scale === 1) add(1, 1);
      return out;
    }
    add(v * factor, v > 0 ? 1 : -1);
    const down = b.powerOfTwo ? (v >= factor ? v / factor : 0) : Math.trunc(v / factor);
    if (down !== 0) add(down, v > 0 ? -1 : 1);
    return out;
  }
  if (b.unit) {
    if (v === 0) add(roundFloat(0.1 * 2 ** (scale - 1)), 1);
    else if (v === 1) add(roundFloat(1 - 0.1 * 2 ** (scale - 1)), -1);
    else if (v <= 0.5) {
      add(Math.min(1, roundFloat(v * factor)), 1);
      const down = roundFloat(v / factor);
      add(down < 0.01 ? 0 : down, -1);
    } else {
      const c = 1 - v;
      add(roundFloat(1 - c / factor), 1);
      add(Math.max(0, roundFloat(1 - c * factor)), -1);
    }
    return out;
  }
  if (v === 0) {
    add(roundFloat(0.1 / 10 ** (scale - 1)), 1);
    return out;
  }
  add(roundFloat(v * factor), v > 0 ? 1 : -1);
  add(roundFloat(v / factor), v > 0 ? -1 : 1);
  return out;
}

/**
 * The variants of a pattern string such as WINDOW_PATTERN "SSSL" that its own characters allow:
 * each position switched to another of its characters, and the uniform strings. A string of one
 * character ("SSSS") or free text ("gelu") says nothing about its alternatives: none. Pure.
 */
export function patternVariants(v: string): string[] {
  if (!/^[A-Za-z]{2,32}$/.test(v)) return [];
  const alphabet = [...new Set(v)];
  if (alphabet.length < 2 || alphabet.length > 4 || alphabet.length * 2 > v.length + 1) return [];
  const out = new Set<string>(alphabet.map((c) => c.repeat(v.length)));
  for (let i = 0; i < v.length; i++) for (const c of alphabet) if (c !== v[i]) out.add(v.slice(0, i) + c + v.slice(i + 1));
  out.delete(v);
  return [...out];
}

const same = (a: ParamValue | undefined, b: ParamValue | undefined) => a === b || JSON.stringify(a) === JSON.stringify(b);

/**
 * Neighbouring values of one parameter, by kind: halve/double numbers (×2^scale at larger scales)
 * within their bounds, flip booleans, step through choices (`scale` positions away), vary a
 * pattern string by its own characters, move one element of a numeric tuple at a time. Pure.
 */
export function neighbours(p: ParamView, scale = 1): Move[] {
  const v = p.value;
  const move = (to: ParamValue, direction: Move['direction'], axis = p.name): Move => ({ name: p.name, axis, from: v, to, params: { [p.name]: to }, direction, scale });
  if (p.choices?.length) {
    const i = p.choices.findIndex((c) => same(c, v));
    if (i === -1) return scale === 1 ? p.choices.map((c) => move(c, 0)) : [];
    const out: Move[] = [];
    if (i - scale >= 0) out.push(move(p.choices[i - scale], typeof v === 'number' ? -1 : 0));
    if (i + scale < p.choices.length) out.push(move(p.choices[i + scale], typeof v === 'number' ? 1 : 0));
    return out;
  }
  if (typeof v === 'boolean') return scale === 1 ? [move(!v, 0)] : [];
  if (typeof v === 'string') return scale === 1 ? patternVariants(v).map((s) => move(s, 0)) : [];
  if (Array.isArray(v)) {
    if (!v.every((x) => typeof x === 'number')) return [];
    return v.flatMap((x, i) =>
      numberSteps(p.name, x as number, 'element', scale).map((s) => move(v.map((y, j) => (j === i ? s.to : y)), s.direction, `${p.name}[${i}]`)),
    );
  }
  if (typeof v !== 'number') return [];
  return numberSteps(p.name, v, p.kind, scale).map((s) => move(s.to, s.direction));
}
