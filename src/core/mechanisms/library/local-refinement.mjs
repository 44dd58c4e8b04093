// Local refinement: exploits around the best once the coarse moves are found. Every kept move still in
// force (single or joint, most gain first) is retried at half its size in log scale, further on
// (value × sqrt(to / from)) and back towards where it came from (value / sqrt(to / from)), all its
// parameters together; then a float parameter whose full steps from the current value failed both ways
// gets the half steps ×√2 and ÷√2. Floats only: integers are sizes tied by divisibility (batch, depth,
// heads), where a half step is a crash, not a refinement. A parameter tried twice since the latest keep
// is left alone: more tries there only get it frozen by the strategy review, and with it the joint
// moves it belongs to. Before two keeps it leaves proposing to others.

const MIN_KEEPS = 2;
const TRIES_SINCE_KEEP = 2;
const KEEP = 200;

const key = (o) => JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k]]));

function openFloats(ctx) {
  const out = {};
  for (const p of ctx.params) if (!p.frozen && !ctx.frozen.includes(p.name) && p.kind === 'float' && typeof p.value === 'number' && p.value !== 0) out[p.name] = p;
  return out;
}

const round = (v) => Number(v.toPrecision(6));

// Half of a kept move, every float by ratio^(sign/2) of its own change, or null. A move with a member
// that has no half step (an integer size, a choice) keeps that member where it is and is refined only
// back: whether its floats needed to move with it at all; further would extrapolate a coupling (the
// batch with its learning rates) beyond what was tested. Only members still at the kept value move.
function halfStep(floats, changed, sign) {
  const set = {};
  let coupled = false;
  for (const [name, m] of Object.entries(changed)) {
    const p = floats[name];
    if (!p || typeof m.from !== 'number' || typeof m.to !== 'number' || m.from === 0 || m.to === 0 || m.from * m.to < 0) {
      coupled = true;
      continue;
    }
    if (p.value !== m.to) return null;
    const to = round(p.value * Math.pow(Math.sqrt(m.to / m.from), sign));
    if (to !== p.value) set[name] = to;
  }
  if (coupled && sign > 0) return null;
  return Object.keys(set).length ? set : null;
}

// What the history already tried from the current values: the changes whose every `from` is a current value.
function triedKeys(ctx) {
  const now = {};
  for (const p of ctx.params) now[p.name] = JSON.stringify(p.value);
  const out = new Set();
  for (const h of ctx.history) {
    const changed = Object.entries(h.changed || {});
    if (!changed.length || !changed.every(([name, m]) => now[name] === JSON.stringify(m.from))) continue;
    const set = {};
    for (const [name, m] of changed) set[name] = m.to;
    out.add(key(set));
  }
  return out;
}

// How often each parameter was tried since the latest keep.
function triesSinceKeep(history) {
  const out = {};
  for (let i = history.length - 1; i >= 0 && history[i].status !== 'keep'; i--) {
    if (history[i].status !== 'discard' && history[i].status !== 'crash') continue;
    for (const name of Object.keys(history[i].changed || {})) out[name] = (out[name] || 0) + 1;
  }
  return out;
}

export function propose(ctx) {
  const state = ctx.state || { proposed: [] };
  const keeps = ctx.history.filter((h) => h.status === 'keep');
  if (keeps.length < MIN_KEEPS) return { state, candidate: null };
  const floats = openFloats(ctx);
  const seen = new Set([...triedKeys(ctx), ...state.proposed]);
  const options = [];
  // Kept moves, the largest gain first (delta is signed: better is lower when minimizing).
  const better = (h) => (ctx.goal === 'maximize' ? -(h.delta ?? 0) : h.delta ?? 0);
  for (const h of [...keeps].sort((a, b) => better(a) - better(b))) {
    for (const [sign, how] of [[1, 'further'], [-1, 'back']]) {
      const set = halfStep(floats, h.changed || {}, sign);
      if (set) options.push({ set, why: `half of the kept move at iteration ${h.n}, ${how}` });
    }
  }
  for (const p of Object.values(floats)) {
    const from = ctx.history.filter((h) => h.changed && Object.keys(h.changed).length === 1 && h.changed[p.name] && h.changed[p.name].from === p.value && h.status !== 'keep');
    const up = from.some((h) => h.changed[p.name].to > p.value);
    const down = from.some((h) => h.changed[p.name].to < p.value);
    if (!up || !down) continue;
    for (const [f, how] of [[Math.SQRT2, 'up'], [Math.SQRT1_2, 'down']]) options.push({ set: { [p.name]: round(p.value * f) }, why: `${p.name}: full steps failed both ways, half a step ${how}` });
  }
  const tries = triesSinceKeep(ctx.history);
  const pick = options.find((o) => !seen.has(key(o.set)) && Object.keys(o.set).every((name) => (tries[name] || 0) < TRIES_SINCE_KEEP));
  if (!pick) return { state, candidate: null };
  const description = Object.entries(pick.set).map(([n, v]) => `${n} -> ${JSON.stringify(v)}`).join(', ');
  return {
    state: { proposed: [...state.proposed, key(pick.set)].slice(-KEEP) },
    candidate: { description: `${description} (refinement: ${pick.why})`, hypothesis: `local refinement: ${pick.why}`, params: pick.set },
  };
}
