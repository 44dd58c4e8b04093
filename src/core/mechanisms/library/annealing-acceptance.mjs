// Annealing acceptance: a small regression is kept with probability exp(-r / T), r the regression
// relative to the incumbent (what the result is judged against), T a temperature that decays with every decision, so the search can leave a
// local optimum early and settles later. Deterministic: the PRNG (mulberry32) seed lives in the state.

const T0 = 0.01;
const DECAY = 0.85;
const SEED = 20240917;

function mulberry32(a) {
  a = (a + 0x6d2b79f5) | 0;
  let t = a;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return { seed: a, value: ((t ^ (t >>> 14)) >>> 0) / 4294967296 };
}

export function decide(ctx, result) {
  const s = ctx.state || { seed: SEED, decisions: 0 };
  const temperature = T0 * Math.pow(DECAY, s.decisions);
  const next = { seed: s.seed, decisions: s.decisions + 1 };
  if (result.status !== 'discard' || result.metric === null || result.delta === null || !ctx.incumbent || ctx.incumbent.metric === 0) {
    return { state: next };
  }
  const worse = ctx.goal === 'minimize' ? result.delta : -result.delta;
  if (!(worse > 0)) return { state: next };
  const r = worse / Math.abs(ctx.incumbent.metric);
  const p = Math.exp(-r / temperature);
  const draw = mulberry32(s.seed);
  next.seed = draw.seed;
  if (draw.value < p) {
    return {
      state: next,
      status: 'keep',
      reason: `annealing: kept a ${(r * 100).toFixed(2)}% regression with probability ${p.toFixed(3)} at temperature ${temperature.toExponential(2)}`,
    };
  }
  return { state: next };
}
