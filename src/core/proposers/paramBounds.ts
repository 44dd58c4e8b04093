import type { ParamKind } from '../target/pythonParams';

/**
 * What a number's name and value say about the values it may take: a ratio stays in [0, 1], a
 * power of two stays one, everything else moves on a log scale (a learning rate is only ever
 * meaningful as ×2 / ÷2, not ±0.001) and keeps its sign. Pure.
 */
export interface NumberBounds {
  /** Moves stay inside [0, 1]; above 0.5 they work on 1 − v so that 0.95 → 0.975 / 0.9. */
  unit: boolean;
  /** An integer power of two (batch sizes, widths): moves by factors of two only. */
  powerOfTwo: boolean;
  integer: boolean;
}

/** Names whose [0, 1] value is a fraction, probability or decay factor, by meaning. */
const UNIT_NAME = /(RATIO|FRAC|FRACTION|DROPOUT|PROB|MOMENTUM|BETA|_P$|^P_)/i;

const isPowerOfTwo = (v: number) => Number.isInteger(v) && v > 0 && (v & (v - 1)) === 0;

export function numberBounds(name: string, value: number, kind: ParamKind | 'element'): NumberBounds {
  const integer = kind === 'int' || (kind === 'element' && Number.isInteger(value) && !UNIT_NAME.test(name));
  // ASPECT_RATIO = 64 is a ratio by name but not a fraction: only a value already in [0, 1] is bounded by it.
  const unit = !integer && UNIT_NAME.test(name) && value >= 0 && value <= 1;
  return { unit, integer, powerOfTwo: integer && isPowerOfTwo(value) && value >= 2 };
}
