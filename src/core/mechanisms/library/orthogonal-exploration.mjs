// Orthogonal exploration: breaks fixation on a few parameters. First it tries the opposite direction of
// the latest failed move whose opposite was never tried; otherwise it moves the parameter tried least
// (never-tried ones first), in the direction tried least for it.

function isOpen(ctx, p) {
  return !p.frozen && !ctx.frozen.includes(p.name);
}

function stepped(p, dir, factor) {
  if (p.choices && p.choices.length) {
    const i = p.choices.findIndex((c) => JSON.stringify(c) === JSON.stringify(p.value));
    const j = dir === 'up' ? i + 1 : i - 1;
    // No wrap-around: past the end of the list is no move in that direction (wrapping would repeat the other one).
    if (i === -1 || j < 0 || j >= p.choices.length) return undefined;
    return p.choices[j];
  }
  if (p.kind === 'bool') return !p.value;
  if (typeof p.value !== 'number') return undefined;
  // From 0 only up, and by a small step for a float (a ratio or a decay at 0 must not become -1).
  if (p.value === 0) return dir === 'up' ? (p.kind === 'int' ? 1 : 0.1) : undefined;
  let to = dir === 'up' ? p.value * factor : p.value / factor;
  if (p.kind === 'int') {
    to = Math.round(to);
    if (to === p.value) to = p.value + (dir === 'up' ? 1 : -1);
    if (to < 1 && p.value >= 1) return undefined;
  } else {
    to = Number(to.toPrecision(6));
  }
  return to;
}

function directionOf(move) {
  return typeof move.from === 'number' && typeof move.to === 'number' ? (move.to > move.from ? 'up' : 'down') : 'set';
}

function candidate(p, to, why) {
  return { description: `${p.name} -> ${JSON.stringify(to)} (orthogonal: ${why})`, hypothesis: `orthogonal exploration: ${why}`, params: { [p.name]: to } };
}

export function propose(ctx) {
  const params = ctx.params.filter((p) => isOpen(ctx, p));
  if (!params.length) return { candidate: null };
  const counts = {};
  for (const h of ctx.history) {
    for (const [name, move] of Object.entries(h.changed || {})) {
      const t = (counts[name] = counts[name] || { count: 0, up: 0, down: 0 });
      t.count++;
      const d = directionOf(move);
      if (d !== 'set') t[d]++;
    }
  }
  // The opposite of the latest failed single move, unless that direction was already tried from the
  // parameter's current value.
  for (let i = ctx.history.length - 1; i >= 0; i--) {
    const h = ctx.history[i];
    const names = Object.keys(h.changed || {});
    if ((h.status !== 'discard' && h.status !== 'crash') || names.length !== 1) continue;
    const p = params.find((q) => q.name === names[0]);
    const d = directionOf(h.changed[names[0]]);
    if (!p || d === 'set') continue;
    const opposite = d === 'up' ? 'down' : 'up';
    const tried = ctx.history.some((g) => {
      const m = g.changed && g.changed[p.name];
      return m && directionOf(m) === opposite && JSON.stringify(m.from) === JSON.stringify(p.value);
    });
    if (tried) continue;
    const from = h.changed[p.name].from;
    const factor = typeof from === 'number' && from !== 0 ? Math.max(Math.abs(h.changed[p.name].to / from), Math.abs(from / h.changed[p.name].to)) : 2;
    const to = stepped(p, opposite, factor);
    if (to !== undefined) return { candidate: candidate(p, to, `the opposite of the failed move at iteration ${h.n} (${p.name} ${d})`) };
  }
  // The least-tried parameter, in its least-tried direction.
  const order = params
    .map((p, i) => ({ p, i, t: counts[p.name] || { count: 0, up: 0, down: 0 } }))
    .sort((a, b) => a.t.count - b.t.count || a.i - b.i);
  for (const { p, t } of order) {
    const dir = t.up <= t.down ? 'up' : 'down';
    const to = stepped(p, dir, 2) ?? stepped(p, dir === 'up' ? 'down' : 'up', 2);
    if (to !== undefined) return { candidate: candidate(p, to, t.count ? `${p.name} tried only ${t.count} time(s)` : `${p.name} never tried`) };
  }
  return { candidate: null };
}
