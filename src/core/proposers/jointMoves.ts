import type { ParamValue } from '../../shared/trace/candidate';
import { numberSteps, roundFloat, type Move } from './paramMoves';
import type { ParamView } from './proposer';

/** The optimizer batch (not the per-device micro-batch, which only trades memory for accumulation steps). */
const BATCH = /^(TOTAL_)?BATCH(_SIZE)?$|^(GLOBAL|TRAIN)_BATCH(_SIZE)?$/i;
/** A learning rate by name: EMBEDDING_LR, LR, LEARNING_RATE (not FINAL_LR_FRAC, a fraction of one). */
const LR = /(^|_)(LR|LEARNING_RATE)$/i;
const DEPTH = /^(DEPTH|N_LAYERS?|NUM_LAYERS|LAYERS)$/i;
const DEVICE_BATCH = /^(DEVICE|MICRO|PER_DEVICE)_BATCH(_SIZE)?$/i;
const WIDTH = /^(N_EMBD|WIDTH|MODEL_DIM|D_MODEL|HIDDEN(_SIZE)?|ASPECT_RATIO)$/i;

const numeric = (p: ParamView) => !p.frozen && !p.choices && typeof p.value === 'number';

/** The axis of a move that sets several parameters: their names, sorted, joined by `+`. */
export const jointAxis = (names: string[]) => [...names].sort().join('+');

/**
 * Moves of parameters that belong together, each on its own axis (pure):
 * - the batch with every learning rate, by the square-root rule (batch ×4 → LRs ×2), so that a
 *   smaller batch is not judged with learning rates tuned for a larger one; a smaller batch also
 *   takes the device batch down with it (the same accumulation steps);
 * - depth up with the device batch down (the memory a layer adds), and depth up with width down
 *   (about the same number of parameters).
 * A direction is the lead parameter's (batch or depth).
 */
export function jointMoves(params: readonly ParamView[], scale = 1): Move[] {
  const out: Move[] = [];
  const usable = params.filter(numeric);
  const lrs = usable.filter((p) => LR.test(p.name) && p.kind === 'float');
  const deviceBatch = usable.find((p) => DEVICE_BATCH.test(p.name));
  for (const batch of usable.filter((p) => BATCH.test(p.name))) {
    if (!lrs.length) continue;
    for (const step of numberSteps(batch.name, batch.value as number, batch.kind, scale * 2)) {
      const ratio = Math.sqrt(step.to / (batch.value as number));
      const set: Record<string, ParamValue> = { [batch.name]: step.to };
      for (const lr of lrs) {
        const to = roundFloat((lr.value as number) * ratio);
        // An LR of 0 stays 0: a candidate must not "set" a value to itself (validation rejects it whole).
        if (to !== lr.value) set[lr.name] = to;
      }
      // A smaller batch takes the device batch down by the same factor: the accumulation steps stay
      // as they were, so "batch is a multiple of device batch × sequence length" still holds.
      const micro = deviceBatch && step.direction === -1 ? (deviceBatch.value as number) * (step.to / (batch.value as number)) : null;
      if (deviceBatch && micro !== null && Number.isInteger(micro) && micro >= 1) set[deviceBatch.name] = micro;
      out.push(joint(batch, step, set, scale));
    }
  }
  for (const depth of usable.filter((p) => DEPTH.test(p.name))) {
    for (const partner of usable.filter((p) => DEVICE_BATCH.test(p.name) || WIDTH.test(p.name))) {
      const steps = numberSteps(depth.name, depth.value as number, depth.kind, scale);
      const partnerSteps = numberSteps(partner.name, partner.value as number, partner.kind, scale);
      // Deeper only: a layer more is what needs the memory (or the parameters) back; shallower needs nothing.
      for (const step of steps.filter((s) => s.direction === 1)) {
        const opposite = partnerSteps.find((s) => s.direction === -step.direction);
        if (opposite) out.push(joint(depth, step, { [depth.name]: step.to, [partner.name]: opposite.to }, scale));
      }
    }
  }
  return out;
}

function joint(lead: ParamView, step: { to: number; direction: 1 | -1 }, set: Record<string, ParamValue>, scale: number): Move {
  return { name: lead.name, axis: jointAxis(Object.keys(set)), from: lead.value, to: step.to, params: set, direction: step.direction, scale };
}

/** The parameter that leads a joint move with these names (its direction is the move's). */
export function leadOf(names: readonly string[]): string {
  return names.find((n) => BATCH.test(n)) ?? names.find((n) => DEPTH.test(n)) ?? [...names].sort()[0];
}
