// Noise-aware acceptance: a would-be keep whose gain is inside the metric's noise floor (the spread of
// repeated runs of one configuration, e.g. metric.baselineRepeats) is not kept yet but re-run once to
// confirm; it is kept only if the mean of its runs still beats the incumbent (what results are judged against). Without a known floor it
// does nothing, so it never blocks a clear gain.

function gainOver(incumbent, metric, goal) {
  return goal === 'minimize' ? incumbent - metric : metric - incumbent;
}

export function decide(ctx, result) {
  const state = ctx.state || { confirmed: 0, rejected: 0, rerun: 0 };
  const floor = ctx.noise ? ctx.noise.floor : null;
  if (floor === null || floor === undefined || !ctx.incumbent || result.metric === null || result.status === 'crash') return { state };
  if (result.reruns && result.reruns.length) {
    const runs = [result.metric].concat(result.reruns);
    const mean = runs.reduce((a, b) => a + b, 0) / runs.length;
    const gain = gainOver(ctx.incumbent.metric, mean, ctx.goal);
    const keep = gain > 0;
    const next = { confirmed: state.confirmed + (keep ? 1 : 0), rejected: state.rejected + (keep ? 0 : 1), rerun: state.rerun };
    return { state: next, status: keep ? 'keep' : 'discard', reason: 'mean of ' + runs.length + ' runs ' + mean.toFixed(6) + (keep ? ' beats' : ' does not beat') + (ctx.best && ctx.best.n === ctx.incumbent.n ? ' the best ' : ' the incumbent ') + ctx.incumbent.metric.toFixed(6) };
  }
  const gain = gainOver(ctx.incumbent.metric, result.metric, ctx.goal);
  if (result.status === 'keep' && gain <= floor) {
    return { state: { confirmed: state.confirmed, rejected: state.rejected, rerun: state.rerun + 1 }, status: 'rerun', reason: 'gain ' + gain.toFixed(6) + ' is inside the noise floor ' + floor.toFixed(6) };
  }
  return { state };
}
