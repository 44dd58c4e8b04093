import type { ParamValue } from '../../shared/trace/candidate';
import { neighbours, patternVariants } from './paramMoves';
import type { ParamView } from './proposer';

/** One dimension of the space a model searches: a parameter, or one element of a numeric tuple. */
export interface SearchDim {
  name: string;
  /** The tuple element, when the dimension is one. */
  element?: number;
  values: ParamValue[];
  ordered: boolean;
}

const key = (v: ParamValue) => JSON.stringify(v);

/**
 * The finite space around a configuration, for a model-based proposer (pure): each number on the
 * lattice the heuristic moves on (×2^k, k in −3..3, within its bounds), booleans, choices, the
 * variants of a pattern string, each element of a numeric tuple. Values seen in `also` (earlier
 * trials) are added, so that every trial can be encoded.
 */
export function searchDims(params: readonly ParamView[], also: readonly Record<string, ParamValue>[] = []): SearchDim[] {
  const dims: SearchDim[] = [];
  for (const p of params) {
    if (p.frozen) continue;
    const v = p.value;
    if (Array.isArray(v) && !p.choices) {
      if (!v.every((x) => typeof x === 'number')) continue;
      v.forEach((x, i) => {
        const values = [x, ...[1, 2, 3].flatMap((s) => neighbours(p, s).filter((m) => m.axis === `${p.name}[${i}]`).map((m) => (m.to as ParamValue[])[i]))];
        for (const t of also) if (Array.isArray(t[p.name]) && typeof (t[p.name] as ParamValue[])[i] === 'number') values.push((t[p.name] as ParamValue[])[i]);
        dims.push({ name: p.name, element: i, ...lattice(values) });
      });
      continue;
    }
    const values: ParamValue[] = [v];
    if (p.choices) values.push(...p.choices);
    else if (typeof v === 'boolean') values.push(!v);
    else if (typeof v === 'string') values.push(...patternVariants(v));
    else if (typeof v === 'number') values.push(...[1, 2, 3].flatMap((s) => neighbours(p, s).map((m) => m.to)));
    for (const t of also) if (p.name in t && (typeof t[p.name] === typeof v || p.choices)) values.push(t[p.name]);
    const space = lattice(values);
    if (space.values.length > 1) dims.push({ name: p.name, ...space });
  }
  return dims;
}

function lattice(values: ParamValue[]): { values: ParamValue[]; ordered: boolean } {
  const unique = [...new Map(values.map((v) => [key(v), v])).values()];
  const ordered = unique.every((v) => typeof v === 'number');
  return { values: ordered ? (unique as number[]).sort((a, b) => a - b) : unique, ordered };
}

/** A configuration as indices into the dimensions; null when a value is not in the space. Pure. */
export function encode(dims: readonly SearchDim[], config: Record<string, ParamValue>): number[] | null {
  const x: number[] = [];
  for (const d of dims) {
    const raw = config[d.name];
    const v = d.element === undefined ? raw : Array.isArray(raw) ? raw[d.element] : undefined;
    const i = d.values.findIndex((c) => key(c) === key(v as ParamValue));
    if (i === -1) return null;
    x.push(i);
  }
  return x;
}

/** The parameter values indices stand for, tuples put back together from `base`. Pure. */
export function decode(dims: readonly SearchDim[], x: readonly number[], base: Record<string, ParamValue>): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  dims.forEach((d, i) => {
    const v = d.values[x[i]];
    if (d.element === undefined) out[d.name] = v;
    else {
      const tuple = [...((out[d.name] ?? base[d.name]) as ParamValue[])];
      tuple[d.element] = v;
      out[d.name] = tuple;
    }
  });
  return out;
}
