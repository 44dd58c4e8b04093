// Local refinement: exploits around the best once the coarse moves are found, by a line search along
// each kept move. The line is the move's float parameters in log scale, together (a joint move stays
// joint); t = 0 is where the search stands, t = -1 where the move came from. Known points come from
// the trace; the next probe is the vertex of a parabola through the best point and its neighbours when
// the points curve up, else a step past the best edge (half a move at first, the same size once a
// probe paid). Crashes are walls: the line stays on the side of the best point. Floats only: integers
// are sizes tied by divisibility (batch, depth, heads), where a half step is a crash; a kept move with
// an integer member (the batch with its learning rates) is searched on its floats, backwards first
// (did they need to move with it at all?), never past what was tested. A line ends after two probes in
// a row that did not pay, five probes in all, or when the next probe is within a quarter of a doubling
// of a tried point; it is dropped when something off the line is kept. Then a float whose full steps
// failed both ways gets ×√2 and ÷√2. A parameter tried twice since the latest keep is not opened as a
// line: the review would freeze it next. Before the first keep it leaves proposing to others.

const MIN_KEEPS = 1;
const TRIES_SINCE_KEEP = 2;
const MIN_LOG2_STEP = 0.25;
const MAX_PROBES = 5;
const MAX_MISSES = 2;
const MAX_REPEATS = 3;
const KEEP = 200;

const key = (o) => JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k]]));
const round = (v) => Number(v.toPrecision(6));

function openFloats(ctx) {
  const out = {};
  for (const p of ctx.params) if (!p.frozen && !ctx.frozen.includes(p.name) && p.kind === 'float' && typeof p.value === 'number' && p.value > 0) out[p.name] = p;
  return out;
}

// The line of a kept move: its float members' log2 steps, or null when none has one. `coupled`: a
// member without a log step (an integer, a choice) moved with them.
function lineOf(floats, h) {
  const dir = {};
  let coupled = false;
  for (const [name, m] of Object.entries(h.changed || {})) {
    const p = floats[name];
    if (!p || typeof m.from !== 'number' || typeof m.to !== 'number' || !(m.from > 0) || !(m.to > 0)) {
      coupled = true;
      continue;
    }
    // A member moved again since is off the line (the later move is a line of its own).
    if (p.value !== m.to) continue;
    dir[name] = Math.log2(m.to / m.from);
  }
  if (!Object.keys(dir).length) return null;
  return { names: Object.keys(dir).sort(), dir, coupled };
}

const valuesAt = (line, t) => Object.fromEntries(line.names.map((n) => [n, round(line.origin[n] * Math.pow(2, t * line.dir[n]))]));
const score = (ctx, metric) => (metric === null || metric === undefined ? null : ctx.goal === 'maximize' ? -metric : metric);

// Where on the line an experiment was, given the line members' values at the time (t of the incumbent), or null if off it.
function positionOf(line, h, tNow) {
  const changed = Object.keys(h.changed || {});
  if (!changed.length || !changed.every((n) => line.names.includes(n))) return null;
  let t = null;
  for (const n of line.names) {
    const v = h.changed[n] ? h.changed[n].to : line.origin[n] * Math.pow(2, tNow * line.dir[n]);
    if (typeof v !== 'number' || !(v > 0)) return null;
    const tn = Math.log2(v / line.origin[n]) / line.dir[n];
    if (t === null) t = tn;
    else if (Math.abs(t - tn) > 1e-3) return null;
  }
  return t;
}

// Brings the line up to date with the trace since it was last read; false when something off it was kept.
function follow(ctx, line) {
  for (const h of ctx.history) {
    if (h.n <= line.read) continue;
    line.read = h.n;
    const t = positionOf(line, h, line.at);
    if (h.status === 'keep' && t === null) return false;
    if (t === null) continue;
    if (h.status === 'keep' || h.status === 'discard' || h.status === 'crash' || h.status === 'cached') {
      const f = h.status === 'crash' ? null : score(ctx, h.metric);
      if (h.status !== 'cached' || f !== null) line.points.push([t, f]);
      if (line.probes.includes(Math.round(t * 1e4) / 1e4)) line.misses = h.status === 'keep' ? 0 : line.misses + 1;
    } else line.blocked.push(t);
    if (h.status === 'keep') line.at = t;
  }
  return true;
}

// The next t to probe on the line, or null when the line is done. Pure.
function nextProbe(line) {
  if (line.probes.length >= MAX_PROBES || line.misses >= MAX_MISSES) return null;
  const scale = Math.max(...line.names.map((n) => Math.abs(line.dir[n])));
  const tooClose = (t) => [...line.points.map((p) => p[0]), ...line.blocked].some((u) => Math.abs(u - t) * scale < MIN_LOG2_STEP - 1e-9);
  const ok = line.points.filter((p) => p[1] !== null).sort((a, b) => a[0] - b[0]);
  const walls = line.points.filter((p) => p[1] === null).map((p) => p[0]);
  if (!ok.length) return null;
  let b = 0;
  for (let i = 1; i < ok.length; i++) if (ok[i][1] < ok[b][1]) b = i;
  const tb = ok[b][0];
  // Crashes bound the line: a probe past the nearest wall on either side is not made.
  const lo = Math.max(-Infinity, ...walls.filter((w) => w < tb));
  const hi = Math.min(Infinity, ...walls.filter((w) => w > tb));
  const inside = (t) => (t > lo && t < hi ? t : t <= lo ? (lo + tb) / 2 : (hi + tb) / 2);
  const candidates = [];
  if (ok.length >= 3) {
    const [i, j, k] = b === 0 ? [0, 1, 2] : b === ok.length - 1 ? [b - 2, b - 1, b] : [b - 1, b, b + 1];
    const [[t1, f1], [t2, f2], [t3, f3]] = [ok[i], ok[j], ok[k]];
    const curve = ((f3 - f2) / (t3 - t2) - (f2 - f1) / (t2 - t1)) / (t3 - t1);
    if (curve > 0) {
      const vertex = t2 - 0.5 * ((t2 - t1) ** 2 * (f2 - f3) - (t2 - t3) ** 2 * (f2 - f1)) / ((t2 - t1) * (f2 - f3) - (t2 - t3) * (f2 - f1));
      const span = t3 - t1;
      if (Number.isFinite(vertex)) candidates.push(inside(Math.min(tb + span, Math.max(tb - span, vertex))));
    }
  }
  // Past the best edge first (half a move when it has no neighbour, else the spacing to it), then
  // half way to a neighbour. A coupled line never goes past where its move ended (t > 0).
  const order = line.coupled ? [-1, 1] : [1, -1];
  for (const dirn of order) {
    const edge = dirn > 0 ? b === ok.length - 1 : b === 0;
    if (!edge) continue;
    const nb = ok[b - dirn];
    candidates.push(inside(tb + dirn * (nb ? Math.abs(nb[0] - tb) : 0.5)));
  }
  for (const dirn of order) {
    const nb = ok[b + dirn];
    if (nb) candidates.push(inside(tb + (nb[0] - tb) / 2));
  }
  for (const t of candidates) if (Number.isFinite(t) && !(line.coupled && t > 1e-9) && !tooClose(t)) return t;
  return null;
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

// What the history already tried from the current values: the changes whose every `from` is a current value.
function triedKeys(ctx) {
  const now = {};
  for (const p of ctx.params) now[p.name] = JSON.stringify(p.value);
  const out = new Set();
  for (const h of ctx.history) {
    const changed = Object.entries(h.changed || {});
    if (!changed.length || !changed.every(([name, m]) => now[name] === JSON.stringify(m.from))) continue;
    out.add(key(Object.fromEntries(changed.map(([name, m]) => [name, m.to]))));
  }
  return out;
}

function candidateOf(set, why) {
  const description = Object.entries(set).map(([n, v]) => `${n} -> ${JSON.stringify(v)}`).join(', ');
  return { description: `${description} (refinement: ${why})`, hypothesis: `local refinement: ${why}`, params: set };
}

export function propose(ctx) {
  const state = ctx.state || { line: null, lined: [], proposed: [] };
  const keeps = ctx.history.filter((h) => h.status === 'keep');
  if (keeps.length < MIN_KEEPS) return { state, candidate: null };
  const floats = openFloats(ctx);
  const lastKeep = keeps[keeps.length - 1].n;
  const tries = triesSinceKeep(ctx.history);
  const repeats = (set) => state.proposed.filter((k) => k === key(set)).length;
  let line = state.line && follow(ctx, state.line) && state.line.names.every((n) => floats[n]) ? state.line : null;
  const better = (h) => (ctx.goal === 'maximize' ? -(h.delta ?? 0) : h.delta ?? 0);
  const order = [...keeps].sort((a, b) => better(a) - better(b));
  for (;;) {
    if (line) {
      const t = nextProbe(line);
      if (t !== null) {
        const set = {};
        for (const [n, v] of Object.entries(valuesAt(line, t))) if (v !== floats[n].value) set[n] = v;
        if (Object.keys(set).length && repeats(set) < MAX_REPEATS) {
          line.probes.push(Math.round(t * 1e4) / 1e4);
          const why = `line search along the kept move at iteration ${line.from}, ${t < line.at ? 'back' : 'further'} (t ${round(t * 1e3) / 1e3})`;
          return { state: { ...state, line, proposed: [...state.proposed, key(set)].slice(-KEEP) }, candidate: candidateOf(set, why) };
        }
      }
      line = null;
    }
    // The next kept move, most gain first, that is not a line yet.
    const h = order.find((k) => !state.lined.includes(k.n) && lineOf(floats, k) && lineOf(floats, k).names.every((n) => (tries[n] || 0) < TRIES_SINCE_KEEP));
    if (!h) break;
    state.lined = [...state.lined, h.n];
    const l = lineOf(floats, h);
    line = { from: h.n, names: l.names, dir: l.dir, coupled: l.coupled, origin: Object.fromEntries(l.names.map((n) => [n, floats[n].value])), at: 0, read: lastKeep, points: [], blocked: [], probes: [], misses: 0 };
    const here = ctx.incumbent ? score(ctx, ctx.incumbent.metric) : null;
    if (here !== null) line.points.push([0, here]);
    // The point the move came from is on the line only when nothing else moved since: an uncoupled latest keep.
    if (!l.coupled && h.n === lastKeep && typeof h.metric === 'number' && typeof h.delta === 'number') line.points.push([-1, score(ctx, h.metric - h.delta)]);
    follow(ctx, line);
  }
  const seen = triedKeys(ctx);
  for (const p of Object.values(floats)) {
    const from = ctx.history.filter((h) => h.changed && Object.keys(h.changed).length === 1 && h.changed[p.name] && h.changed[p.name].from === p.value && h.status !== 'keep');
    if (!from.some((h) => h.changed[p.name].to > p.value) || !from.some((h) => h.changed[p.name].to < p.value)) continue;
    if ((tries[p.name] || 0) >= TRIES_SINCE_KEEP) continue;
    for (const [f, how] of [[Math.SQRT2, 'up'], [Math.SQRT1_2, 'down']]) {
      const set = { [p.name]: round(p.value * f) };
      if (seen.has(key(set)) || state.proposed.includes(key(set))) continue;
      return { state: { ...state, line: null, proposed: [...state.proposed, key(set)].slice(-KEEP) }, candidate: candidateOf(set, `${p.name}: full steps failed both ways, half a step ${how}`) };
    }
  }
  return { state: { ...state, line: null }, candidate: null };
}
