// Parzen search: model-based proposals. Every finished experiment (its whole configuration and metric)
// is kept in the state; from five on, a tree-structured Parzen estimator (the sandbox's numerics.tpe,
// no imports) over a lattice around the first configuration seen (numbers ×2^k, k in −2..2; booleans;
// choices) rates good configurations with a few parameters redrawn, and the best-rated one not yet
// evaluated is proposed. Crashes count as the worst results. Before five it leaves proposing to others.

const MIN_OBSERVATIONS = 5;
const KEEP = 300;

function latticeOf(p) {
  if (p.choices && p.choices.length) return p.choices.slice();
  if (p.kind === 'bool') return [false, true];
  if (typeof p.value !== 'number' || p.value === 0) return null;
  const out = [];
  for (let k = -2; k <= 2; k++) {
    let v = p.value * Math.pow(2, k);
    if (p.kind === 'int') {
      v = Math.round(v);
      if (v < 1 && p.value >= 1) continue;
    } else v = Number(v.toPrecision(6));
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

function configOf(params) {
  const out = {};
  for (const p of params) out[p.name] = p.value;
  return out;
}

function spaceFor(ctx, state) {
  if (state.space) return state.space;
  const space = [];
  for (const p of ctx.params) {
    if (p.frozen) continue;
    const values = latticeOf(p);
    if (values && values.length > 1) space.push({ name: p.name, values, ordered: values.every((v) => typeof v === 'number') });
  }
  return space;
}

const key = (v) => JSON.stringify(v);

function encode(space, config) {
  const x = [];
  for (const d of space) {
    const i = d.values.findIndex((v) => key(v) === key(config[d.name]));
    if (i === -1) return null;
    x.push(i);
  }
  return x;
}

export function propose(ctx) {
  const state = ctx.state || { observations: [] };
  const space = spaceFor(ctx, state);
  const next = { ...state, space };
  const open = space.filter((d) => !ctx.frozen.includes(d.name));
  if (state.observations.length < MIN_OBSERVATIONS || !open.length) return { state: next, candidate: null };
  const observations = state.observations.flatMap((o) => {
    const x = encode(space, o.config);
    return x ? [{ x, y: o.metric }] : [];
  });
  const current = configOf(ctx.params);
  const from = encode(space, current);
  const exclude = observations.map((o) => o.x);
  // Frozen dimensions stay where the incumbent has them: they get one value.
  const dims = space.map((d) => ({ size: ctx.frozen.includes(d.name) ? 1 : d.values.length, ordered: d.ordered }));
  const remap = (x) => x.map((v, i) => (dims[i].size === 1 && from ? from[i] : v));
  const best = numerics.tpe.suggest({ dims, observations, goal: ctx.goal, seed: 1000 + ctx.iteration, candidates: 8, local: 48, prior: 0.2, exclude, from: from || undefined, perChange: 0.05 });
  if (!best) return { state: next, candidate: null };
  const x = remap(best.x);
  const params = {};
  space.forEach((d, i) => {
    const v = d.values[x[i]];
    if (key(v) !== key(current[d.name])) params[d.name] = v;
  });
  const names = Object.keys(params);
  if (!names.length) return { state: next, candidate: null };
  return {
    state: next,
    candidate: {
      description: `parzen: ${names.map((n) => `${n} -> ${key(params[n])}`).join(', ')}`,
      hypothesis: `a Parzen model of ${observations.length} experiments rates this configuration most likely among the best (log l/g ${best.score.toFixed(2)})`,
      params,
    },
  };
}

export function afterResult(ctx, result) {
  const state = ctx.state || { observations: [] };
  const observations = state.observations.slice();
  const config = configOf(ctx.params);
  if (!observations.length && ctx.incumbent && ctx.incumbent.metric !== null) observations.push({ config: { ...config }, metric: ctx.incumbent.metric });
  for (const [name, move] of Object.entries(result.changed || {})) config[name] = move.to;
  observations.push({ config, metric: result.status === 'crash' ? null : result.metric });
  return { state: { ...state, space: spaceFor(ctx, state), observations: observations.slice(-KEEP) } };
}
