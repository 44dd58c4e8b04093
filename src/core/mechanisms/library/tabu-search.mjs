// Tabu search: remembers recent failed moves (parameter, direction, value reached) and vetoes a candidate
// that repeats one, or comes within a factor of one in the same direction, before it costs a training run.
// Moves expire after TENURE iterations, so a region can be revisited once the search has moved on.

const TENURE = 12;
const FACTOR = 1.5;
const KEEP = 40;

function moveOf(name, move) {
  const { from, to } = move;
  if (typeof from === 'number' && typeof to === 'number') return { name, dir: to > from ? 'up' : 'down', to };
  return { name, dir: 'set', to: JSON.stringify(to) };
}

function near(a, b) {
  if (a.name !== b.name || a.dir !== b.dir) return false;
  if (a.dir === 'set') return a.to === b.to;
  if (a.to === b.to) return true;
  if (a.to === 0 || b.to === 0 || (a.to > 0) !== (b.to > 0)) return false;
  const r = a.to / b.to;
  return r <= FACTOR && r >= 1 / FACTOR;
}

function show(v) {
  return typeof v === 'number' ? String(Number(v.toPrecision(4))) : v;
}

export function reviewCandidate(ctx, cand) {
  const tabu = ((ctx.state && ctx.state.tabu) || []).filter((t) => ctx.iteration - t.n <= TENURE);
  for (const [name, move] of Object.entries(cand.changed || {})) {
    const m = moveOf(name, move);
    const hit = tabu.find((t) => near(m, t));
    if (hit) {
      const how = m.dir === 'set' ? `${name} = ${show(m.to)}` : `${name} ${m.dir} to ${show(m.to)}`;
      const was = hit.dir === 'set' ? `${name} = ${show(hit.to)}` : `${name} ${hit.dir} to ${show(hit.to)}`;
      return {
        state: { tabu },
        verdict: 'reject',
        reason: `tabu: ${how} repeats a recently failed move (${was}, iteration ${hit.n}, ${hit.status}); try another parameter or the other direction`,
      };
    }
  }
  return { state: { tabu }, verdict: 'accept' };
}

export function afterResult(ctx, result) {
  let tabu = ((ctx.state && ctx.state.tabu) || []).filter((t) => ctx.iteration - t.n <= TENURE);
  if (result.status !== 'keep') {
    for (const [name, move] of Object.entries(result.changed || {})) {
      tabu.push({ ...moveOf(name, move), n: result.n, status: result.status });
    }
  }
  return { state: { tabu: tabu.slice(-KEEP) } };
}
