// Multi-scale bandit: every (parameter, direction, step size) is an arm; UCB1 picks the next move from
// the current best. An arm pays 1 when its experiment is kept and 0 otherwise, and is credited for any
// experiment that made that single move, whoever proposed it, so the bandit learns from the whole run.

const SCALES = [1.25, 2, 4];
const C = 0.5;

function armsFor(p) {
  if (p.choices && p.choices.length) {
    return p.choices.filter((c) => JSON.stringify(c) !== JSON.stringify(p.value)).map((c) => ({ key: `${p.name}|=${JSON.stringify(c)}`, name: p.name, to: c }));
  }
  if (p.kind === 'bool') return [{ key: `${p.name}|toggle`, name: p.name, to: !p.value }];
  if (typeof p.value !== 'number' || p.value === 0) return [];
  const arms = [];
  for (const s of SCALES) {
    for (const dir of ['up', 'down']) {
      let to = dir === 'up' ? p.value * s : p.value / s;
      if (p.kind === 'int') {
        to = Math.round(to);
        if (to === p.value) to = p.value + (dir === 'up' ? 1 : -1);
        if (to < 1 && p.value >= 1) continue;
      } else {
        to = Number(to.toPrecision(6));
      }
      arms.push({ key: `${p.name}|${dir}|${s}`, name: p.name, to });
    }
  }
  return arms;
}

// The arm a single-parameter move corresponds to: the nearest step size in its direction.
function armOfMove(name, move, kind) {
  const { from, to } = move;
  if (typeof from === 'number' && typeof to === 'number' && kind !== 'bool' && from !== 0 && to !== 0) {
    const ratio = Math.abs(to / from);
    const r = ratio >= 1 ? ratio : 1 / ratio;
    let best = SCALES[0];
    for (const s of SCALES) if (Math.abs(Math.log(s) - Math.log(r)) < Math.abs(Math.log(best) - Math.log(r))) best = s;
    return `${name}|${to > from ? 'up' : 'down'}|${best}`;
  }
  if (typeof to === 'boolean') return `${name}|toggle`;
  return `${name}|=${JSON.stringify(to)}`;
}

export function propose(ctx) {
  const stats = (ctx.state && ctx.state.arms) || {};
  const open = ctx.params.filter((p) => !p.frozen && !ctx.frozen.includes(p.name));
  const focused = ctx.focus.length ? open.filter((p) => ctx.focus.includes(p.name)) : open;
  const arms = (focused.length ? focused : open).flatMap(armsFor);
  if (!arms.length) return { state: ctx.state, candidate: null };
  const total = arms.reduce((s, a) => s + ((stats[a.key] && stats[a.key].pulls) || 0), 0);
  let pick = null;
  let pickScore = -Infinity;
  for (const a of arms) {
    const st = stats[a.key];
    const score = !st || st.pulls === 0 ? Infinity : st.reward / st.pulls + C * Math.sqrt((2 * Math.log(Math.max(1, total))) / st.pulls);
    if (score > pickScore) {
      pick = a;
      pickScore = score;
    }
  }
  const st = stats[pick.key];
  const why = !st || st.pulls === 0 ? 'an untried arm' : `UCB ${pickScore.toFixed(3)} after ${st.pulls} pull(s), ${st.reward} kept`;
  return {
    state: { arms: stats },
    candidate: {
      description: `${pick.name} -> ${JSON.stringify(pick.to)} (bandit arm ${pick.key})`,
      hypothesis: `multi-scale bandit: ${why}`,
      params: { [pick.name]: pick.to },
    },
  };
}

export function afterResult(ctx, result) {
  const arms = { ...((ctx.state && ctx.state.arms) || {}) };
  const names = Object.keys(result.changed || {});
  if (names.length === 1) {
    const p = ctx.params.find((q) => q.name === names[0]);
    const key = armOfMove(names[0], result.changed[names[0]], p && p.kind);
    const st = arms[key] || { pulls: 0, reward: 0 };
    arms[key] = { pulls: st.pulls + 1, reward: st.reward + (result.status === 'keep' ? 1 : 0) };
  }
  return { state: { arms } };
}
