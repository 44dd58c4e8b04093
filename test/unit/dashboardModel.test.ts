import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RunModel, type ExperimentRow } from '../../webview-ui/src/model/dashboardModel';
import { ALL, filterRows, NO_FILTER, sortRows, type Filter } from '../../webview-ui/src/model/filters';
import { originOf } from '../../webview-ui/src/model/levelEvents';
import { parseTraceJsonl } from '../../webview-ui/src/model/traceText';
import { buildCompareData, buildProgressData, niceTicks } from '../../webview-ui/src/chart/progressData';
import { progressSvg } from '../../webview-ui/src/chart/exportChart';
import { fmtDelta, fmtMetric } from '../../webview-ui/src/format';
import { isFromWebview, isToWebview } from '../../src/shared/protocol';
import { dashboardCsp, dashboardHtml, makeNonce } from '../../src/shared/dashboardHtml';
import { FIXTURE_FROZEN, FIXTURE_PARAMS, fixtureLiveEvents, fixtureTrace, syntheticTrace, TraceBuilder } from '../support/dashboardTraces';

const fixture = () => {
  const m = new RunModel('fixture', { frozen: FIXTURE_FROZEN });
  m.apply(fixtureTrace());
  return m;
};
const ns = (rows: readonly ExperimentRow[]) => rows.map((r) => r.n);
const close = (a: number | null, b: number, msg?: string) => assert.ok(a !== null && Math.abs(a - b) < 1e-9, `${msg ?? ''} ${a} ≉ ${b}`);

test('the fixture folds into one row per iteration with the right statuses', () => {
  const m = fixture();
  assert.deepEqual(ns(m.rows), Array.from({ length: 20 }, (_, i) => i));
  const status = Object.fromEntries(m.rows.map((r) => [r.n, r.status]));
  assert.deepEqual(status, {
    0: 'keep', 1: 'keep', 2: 'discard', 3: 'crash', 4: 'keep', 5: 'discard', 6: 'cached', 7: 'rejected', 8: 'keep', 9: 'discard',
    10: 'keep', 11: 'discard', 12: 'keep', 13: 'discard', 14: 'keep', 15: 'proposal-failed', 16: 'discard', 17: 'interrupted', 18: 'keep', 19: 'running',
  });
  const s = m.summary();
  assert.deepEqual(s.best, { n: 18, metric: 0.961 });
  assert.equal(s.baseline, 1);
  assert.deepEqual(s.running, [19]);
  assert.equal(s.counts.keep, 8);
  assert.equal(m.meta.metricName, 'val_bpb');
  assert.equal(m.meta.resumes, 1);
  const r6 = m.get(6)!;
  assert.equal(r6.sameAs, 5);
  assert.equal(r6.metric, 0.985);
  assert.deepEqual(m.get(13)!.touched, ['edit:train.py']);
  assert.deepEqual(m.get(7)!.touched, ['TIME_BUDGET']);
  assert.match(m.get(7)!.note, /frozen/);
  assert.equal(m.get(8)!.origin, 'L1', 'proposed by the inner loop while a strategy was in force');
  assert.equal(m.get(12)!.origin, 'L2', "proposed by lr-warmup-guard's propose hook");
  assert.equal(m.get(12)!.proposedBy, 'lr-warmup-guard');
  assert.equal(m.get(10)!.proposedBy, null);
  assert.equal(m.get(0)!.origin, 'baseline');
  assert.equal(m.get(1)!.origin, 'L1');
  assert.deepEqual(m.get(11)!.mechanisms, ['lr-warmup-guard']);
  assert.deepEqual(m.get(18)!.mechanisms, ['dedupe-near']);
  close(m.get(1)!.delta, -0.02);
});

test('parameter stats: tried, kept, best delta, current value, frozen and focus', () => {
  const stats = Object.fromEntries(fixture().paramStats().map((s) => [s.name, s]));
  const lr = stats.LEARNING_RATE;
  assert.deepEqual([lr.tried, lr.kept, lr.discarded, lr.crashed, lr.cached], [5, 3, 1, 1, 0]);
  close(lr.bestDelta, -0.02);
  assert.equal(lr.bestDeltaN, 1);
  assert.equal(lr.current, 0.003);
  assert.equal(lr.focus, true);
  assert.equal(lr.frozen, null);
  const depth = stats.DEPTH;
  assert.deepEqual([depth.tried, depth.kept, depth.discarded, depth.cached], [4, 2, 1, 1]);
  close(depth.bestDelta, -0.005);
  assert.equal(depth.current, 4);
  assert.equal(stats.N_EMBD.frozen, 'strategy');
  assert.equal(stats.N_EMBD.tried, 1);
  close(stats.N_EMBD.bestDelta, 0.01, 'a parameter that never improved shows its least bad delta');
  assert.equal(stats.TIME_BUDGET.frozen, 'config');
  assert.equal(stats.TIME_BUDGET.rejected, 1);
  assert.equal(stats.TIME_BUDGET.tried, 0);
  assert.equal(stats.SEED.frozen, 'config');
  assert.equal(stats.WARMUP_STEPS.tried, 2);
  assert.equal(stats.WARMUP_STEPS.current, 20);
  assert.equal(stats.ACTIVATION.current, 'relu');
  assert.equal(stats['edit:train.py'].tried, 1);
  const ordered = fixture().paramStats().map((s) => s.name);
  assert.equal(ordered[0], 'LEARNING_RATE', 'the most tried parameter first');
  // 15 results besides the baseline (7 kept, 6 discarded, 1 crashed, 1 cached): LEARNING_RATE is 5 of them.
  close(lr.share, 5 / 15);
});

test('the baseline configuration is recovered when the best is still the baseline', () => {
  const b = new TraceBuilder('y', FIXTURE_PARAMS);
  b.baseline(0, 1.0);
  b.experiment(1, { N_EMBD: 128 }, 1.01);
  const m2 = new RunModel('y');
  m2.apply(b.events);
  assert.equal(m2.bestResult?.n, 0);
  const stats = Object.fromEntries(m2.paramStats().map((s) => [s.name, s]));
  assert.equal(stats.N_EMBD.current, 64, 'the baseline value, not the discarded 128');
  assert.equal(stats.LEARNING_RATE.current, 0.001);
});

test("a worse result a mechanism kept: the summary's best stays, the incumbent is shown, the best line never rises", () => {
  const b = new TraceBuilder('anneal', FIXTURE_PARAMS);
  b.baseline(0, 1.0);
  b.experiment(1, { DEPTH: 3 }, 0.98);
  b.experiment(2, { DEPTH: 4 }, 1.01, { keptBy: 'annealing-acceptance' });
  b.experiment(3, { LEARNING_RATE: 0.002 }, 0.995);
  const m = new RunModel('anneal');
  m.apply(b.events);
  assert.deepEqual(m.summary().best, { n: 1, metric: 0.98 });
  assert.deepEqual(m.bestResult, { n: 1, metric: 0.98 });
  assert.deepEqual(m.summary().incumbent, { n: 3, metric: 0.995 }, 'kept against the regressed incumbent');
  assert.equal(m.get(2)!.status, 'keep');
  assert.match(m.get(2)!.note, /annealing-acceptance/);
  assert.deepEqual(buildProgressData(m.rows, 'minimize').best, [1, 0.98, 0.98, 0.98]);
  assert.equal(m.currentParams()?.DEPTH, 4, 'the current configuration is the incumbent\'s');
  assert.equal(m.currentParams()?.LEARNING_RATE, 0.002);
  const plain = fixture();
  assert.equal(plain.summary().incumbent, null, 'no incumbent shown while it is the best');
});

test('mechanisms: stages, validation, active spans and provenance counts', () => {
  const m = fixture();
  const mechs = Object.fromEntries(m.mechanisms().map((x) => [x.name, x]));
  assert.deepEqual(Object.keys(mechs), ['lr-warmup-guard', 'crash-predictor', 'dedupe-near']);
  const g = mechs['lr-warmup-guard'];
  assert.equal(g.stage, 'reverted');
  assert.equal(g.outcome, 'rejected-by-you', 'reverted by a person, not by its validation');
  assert.deepEqual(g.history.map((h) => [h.stage, h.after]), [['proposed', 9], ['validated', 9], ['active', 9], ['reverted', 12]]);
  assert.equal(g.history[3].detail, 'by user: no gain over 3 experiments');
  assert.match(g.description, /learning rate and warmup/);
  assert.deepEqual(g.declaredHooks, ['beforePropose', 'propose', 'decide']);
  assert.equal(g.session, 1);
  assert.deepEqual(g.spans, [{ from: 9.5, to: 12.5 }]);
  assert.equal(g.hookRuns, 5);
  assert.equal(g.experiments, 3);
  assert.deepEqual(g.hooks, [
    { hook: 'beforePropose', runs: 2, results: { guided: 2 }, ms: 4 },
    { hook: 'decide', runs: 2, results: { passed: 2 }, ms: 4 },
    { hook: 'propose', runs: 1, results: { proposed: 1 }, ms: 2 },
  ]);
  assert.equal(g.validation?.ok, true);
  const c = mechs['crash-predictor'];
  assert.equal(c.stage, 'reverted', 'failed validation, then reverted by validation');
  assert.equal(c.outcome, 'failed-validation');
  assert.deepEqual(c.history.map((h) => h.stage), ['proposed', 'validation-failed', 'reverted']);
  assert.deepEqual(c.validation?.checks.map((x) => x.ok), [true, false]);
  assert.deepEqual(c.spans, []);
  const d = mechs['dedupe-near'];
  assert.equal(d.stage, 'active');
  assert.equal(d.outcome, 'active');
  assert.equal(d.history[2].detail, 'by user');
  assert.deepEqual(d.spans, [{ from: 15.5, to: null }]);
  assert.equal(d.hookRuns, 2);
  // One marker per strategy review and per research session (the one that proposed nothing too), after iteration n.
  assert.deepEqual(m.markers.map((x) => [x.kind, x.x]), [['strategy', 7.5], ['mechanism', 9.5], ['mechanism', 13.5], ['mechanism', 14.5], ['mechanism', 15.5]]);
  assert.equal(m.markers[0].label, 'strategy review 1');
  assert.match(m.markers[0].detail, /focus: LEARNING_RATE, WARMUP_STEPS · frozen: N_EMBD · Width is settled/);
  assert.equal(m.markers[1].detail, 'proposed lr-warmup-guard · explore → critique → specify → generate');
  assert.equal(m.markers[3].detail, 'no mechanism: the reply was not valid JSON · explore → critique → specify failed');
  assert.deepEqual(m.strategy?.frozen, ['N_EMBD']);
});

test('mechanism.hooks recorded before the iteration it ran for reaches the model still marks it', () => {
  const b = new TraceBuilder('h', FIXTURE_PARAMS);
  b.baseline(0, 1);
  b.hooks(1, [{ mechanism: 'm', hook: 'beforePropose', result: 'guided' }]);
  b.experiment(1, { DEPTH: 3 }, 0.9);
  const m = new RunModel('h');
  m.apply(b.events);
  assert.deepEqual(m.get(1)!.mechanisms, ['m']);
  assert.equal(m.mechanisms()[0].stage, 'active', 'hooks ran, so it was active even without its proposal in this trace');
  assert.equal(m.mechanisms()[0].outcome, 'active');
});

test('mechanism outcomes before any ending: validating, then awaiting review', () => {
  const b = new TraceBuilder('w', FIXTURE_PARAMS);
  b.baseline(0, 1);
  b.research(0, 1, { name: 'waiting', description: 'd', hooks: ['propose'] });
  const m = new RunModel('w');
  m.apply(b.events);
  assert.equal(m.mechanisms()[0].outcome, 'validating');
  b.validated(0, 'waiting', [{ name: 'loads', ok: true, detail: '' }]);
  const later = new RunModel('w');
  later.apply(b.events);
  assert.deepEqual([later.mechanisms()[0].stage, later.mechanisms()[0].outcome], ['awaiting-review', 'awaiting-review']);
});

test("level events are placed after the last finished iteration in the trace, not at the engine's iteration count", () => {
  const b = new TraceBuilder('pos', FIXTURE_PARAMS);
  b.baseline(0, 1);
  b.experiment(1, { DEPTH: 3 }, 0.9);
  b.interrupted(2, { DEPTH: 4 });
  b.experiment(3, { DEPTH: 5 }, 0.95);
  // Two iterations count as done (the interrupted one does not), yet the review ran after #3.
  b.push({ type: 'strategy.updated', n: 2, cycle: 1, reviewer: 'rules', frozen: [], unfrozen: [], focus: ['DEPTH'], guidance: '' });
  const m = new RunModel('pos');
  m.apply(b.events);
  assert.deepEqual(m.markers.map((x) => x.x), [3.5]);
  assert.equal(m.strategy?.after, 3);
});

test('unknown event types are ignored; the level of origin comes from candidate.proposed', () => {
  assert.equal(originOf(2, false), 'L2');
  assert.equal(originOf(1, false), 'L1');
  assert.equal(originOf(undefined, false), 'L1', 'traces from before levels existed');
  assert.equal(originOf(2, true), 'baseline');
  const m = new RunModel('t');
  assert.doesNotThrow(() => m.apply([{ type: 'zzz' }, { type: 'mechanism.future', n: 3 } as { type: string }]));
  assert.equal(m.rows.length, 0);
  assert.equal(m.markers.length, 0);
});

test('run.paused, a hand-edited candidate and a rejection by the user', () => {
  const b = new TraceBuilder('p', FIXTURE_PARAMS);
  b.baseline(0, 1);
  const s = b.start(1, { DEPTH: 3 });
  b.push({ type: 'candidate.committed', n: 1, commit: 'c1' });
  b.push({ type: 'candidate.edited', n: 1, commit: 'c1-edited', tree: 't', changed: { DEPTH: { from: 2, to: 5 } }, params: { ...FIXTURE_PARAMS, DEPTH: 5 } });
  void s;
  b.push({ type: 'run.paused', reason: 'stepping: waiting for the user' });
  const m = new RunModel('p');
  m.apply(b.events);
  const x = m.get(1)!;
  assert.equal(x.commit, 'c1-edited');
  assert.deepEqual(x.changes, [{ name: 'DEPTH', from: 2, to: 5 }]);
  assert.equal(x.params?.DEPTH, 5);
  assert.match(x.note, /edited by hand/);
  assert.equal(m.meta.stopped, 'paused');
  assert.equal(m.meta.stopMessage, 'stepping: waiting for the user');
  b.push({ type: 'candidate.rejected', n: 1, by: 'user', reason: 'not this one' });
  b.push({ type: 'iteration.finished', n: 1, result: 'rejected' });
  const m2 = new RunModel('p');
  m2.apply(b.events);
  assert.equal(m2.get(1)!.status, 'rejected');
  assert.equal(m2.get(1)!.note, 'rejected by user: not this one');
});

test('filters and sorting', () => {
  const m = fixture();
  const f = (patch: Partial<Filter>) => ns(filterRows(m.rows, { ...NO_FILTER, ...patch }));
  assert.deepEqual(f({ status: 'keep' }), [0, 1, 4, 8, 10, 12, 14, 18]);
  assert.equal(f({ status: 'results' }).length, 16);
  assert.deepEqual(f({ param: 'DEPTH' }), [4, 5, 6, 18]);
  assert.deepEqual(f({ param: 'DEPTH', status: 'keep' }), [4, 18]);
  assert.deepEqual(f({ origin: 'L2' }), [12]);
  assert.deepEqual(f({ origin: 'baseline' }), [0]);
  assert.deepEqual(f({ mechanism: 'lr-warmup-guard' }), [10, 11, 12]);
  assert.deepEqual(f({ text: 'rmsnorm' }), [13]);
  assert.equal(f({ status: ALL }).length, 20);
  const byMetric = ns(sortRows(filterRows(m.rows, { ...NO_FILTER, status: 'results' }), { key: 'metric', dir: 1 }, 'minimize'));
  assert.equal(byMetric[0], 18, 'best first when minimizing');
  assert.equal(byMetric[byMetric.length - 1], 3, 'no metric last');
  const byDelta = ns(sortRows(m.rows.slice(), { key: 'delta', dir: 1 }, 'minimize'));
  assert.equal(byDelta[0], 1);
  assert.deepEqual(ns(sortRows(m.rows.slice(), { key: 'n', dir: -1 }, 'minimize')).slice(0, 2), [19, 18]);
});

test('live events fold incrementally into the same state as a full replay', () => {
  const events = fixtureTrace();
  const live = fixtureLiveEvents(events.length);
  const inc = fixture();
  const v = inc.version;
  inc.apply(live.slice(0, 3));
  inc.apply(live.slice(1)); // overlaps the batch before: the repeated events are not folded twice
  assert.equal(inc.version, v + 2);
  const full = new RunModel('fixture', { frozen: FIXTURE_FROZEN });
  full.apply([...events, ...live]);
  assert.deepEqual(inc.rows, full.rows);
  assert.deepEqual(inc.paramStats(), full.paramStats());
  assert.equal(inc.summary().counts.keep, 9);
  assert.equal(inc.summary().counts.discard, 7);
  assert.deepEqual(inc.summary().running, []);
  assert.deepEqual(inc.bestResult, { n: 19, metric: 0.958 });
  assert.deepEqual(inc.mechanisms(), full.mechanisms());
  assert.deepEqual(inc.markers, full.markers);
  const dedupe = inc.mechanisms().find((x) => x.name === 'dedupe-near')!;
  assert.equal(dedupe.stage, 'deactivated');
  assert.equal(dedupe.outcome, 'deactivated');
  assert.deepEqual(dedupe.spans, [{ from: 15.5, to: 18.5 }], 'deactivated while #19 ran: its span ends before #19');
  assert.deepEqual(inc.get(19)!.mechanisms, ['dedupe-near'], 'its failed hook still ran for #19');
});

test('progress data: one point per result in its status series, a monotone best line, crashes pinned on top', () => {
  const m = fixture();
  const d = buildProgressData(m.rows, 'minimize');
  assert.deepEqual(d.counts, { keep: 8, discard: 6, crash: 1, cached: 1 });
  assert.equal(d.x.length, 20);
  const best = d.best.filter((v): v is number => v !== null);
  assert.equal(best.length, 20);
  for (let i = 1; i < best.length; i++) assert.ok(best[i] <= best[i - 1]);
  assert.deepEqual([...new Set(best)], [1, 0.98, 0.975, 0.97, 0.968, 0.966, 0.964, 0.961]);
  assert.ok(d.series.crash[3]! > 1.0 && d.series.crash[3]! < d.yMax, 'the crash sits above every metric, inside the range');
  assert.equal(d.pinned, 1);
  assert.ok(d.yMin < 0.961 && d.yMax > 1.0);
  const filtered = buildProgressData(m.rows, 'minimize', (r) => r.touched.includes('DEPTH'));
  assert.deepEqual(filtered.counts, { keep: 2, discard: 1, crash: 0, cached: 1 });
  assert.deepEqual(filtered.best, d.best, 'the filter hides points, not the best-so-far line');
});

test('progress data pins far outliers to the edge instead of squashing the chart', () => {
  const m = new RunModel('o');
  m.apply(syntheticTrace(400, { seed: 7 }));
  const d = buildProgressData(m.rows, 'minimize');
  const diverged = m.rows.filter((r) => r.metric !== null && r.metric > 1.3);
  assert.ok(diverged.length > 0, 'the synthetic run has diverged experiments');
  assert.ok(d.yMax < 1.3);
  assert.ok(d.pinned >= diverged.length);
});

test('compare data aligns best-so-far curves of runs of different lengths', () => {
  const a = new RunModel('a');
  a.apply(syntheticTrace(30, { seed: 1, tag: 'a' }));
  const b = new RunModel('b');
  b.apply(syntheticTrace(50, { seed: 2, tag: 'b' }));
  const { x, curves } = buildCompareData([a, b].map((r) => ({ rows: r.rows, goal: r.meta.goal })));
  assert.equal(x.length, 51);
  assert.equal(curves[0].length, 51);
  assert.equal(curves[0][40], null, 'run a ended at 30');
  assert.equal(curves[1][50], b.bestResult?.metric ?? null);
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
});

test('the SVG export has one element per drawn point, the best line, spans and markers', () => {
  const m = fixture();
  const data = buildProgressData(m.rows, 'minimize');
  const spans = m.mechanisms().flatMap((x, i) => x.spans.map((s) => ({ name: x.name, color: i, from: s.from, to: s.to ?? m.lastX })));
  const colors = { background: '#fff', foreground: '#000', muted: '#666', grid: '#ddd', keep: 'green', discard: 'gray', crash: 'red', cached: 'blue', best: 'green', strategy: 'purple', mechanism: 'orange', spans: ['yellow'], fontFamily: 'sans-serif' };
  const svg = progressSvg({ data, markers: m.markers, spans, metricName: 'val_bpb', goal: 'minimize' }, colors, { width: 800, height: 400, title: 'fixture <run>' });
  const group = (s: string) => svg.split(`<g class="points ${s}"`)[1].split('</g>')[0];
  assert.equal((group('keep').match(/data-n=/g) ?? []).length, 8);
  assert.equal((group('discard').match(/data-n=/g) ?? []).length, 6);
  assert.equal((group('crash').match(/data-n="3"/g) ?? []).length, 1);
  assert.equal((group('cached').match(/data-n="6"/g) ?? []).length, 1);
  assert.match(svg, /<path class="best" d="M/);
  assert.equal((svg.match(/class="span"/g) ?? []).length, 2);
  assert.equal((svg.match(/class="marker strategy"/g) ?? []).length, 1);
  assert.equal((svg.match(/class="marker mechanism"/g) ?? []).length, 4);
  assert.match(svg, /fixture &lt;run&gt;/);
});

test('metrics and deltas read as plain decimals down to 1e-4', () => {
  assert.equal(fmtMetric(0.961), '0.961');
  assert.equal(fmtMetric(1), '1');
  assert.equal(fmtMetric(123.456), '123.46');
  assert.equal(fmtDelta(7.49e-4), '+0.000749');
  assert.equal(fmtDelta(-8.46e-4), '−0.000846');
  assert.equal(fmtMetric(5e-5), '5.000e-5');
  assert.equal(fmtDelta(0), '±0');
  assert.equal(fmtMetric(null), '—');
});

test('trace.jsonl text parses to the same events, skipping a torn line', () => {
  const events = fixtureTrace();
  const text = events.map((e) => JSON.stringify(e)).join('\n') + '\n';
  assert.deepEqual(parseTraceJsonl(text), events);
  const torn = text + '{"seq":999,"at":"x","type":"iteration.sta';
  assert.deepEqual(parseTraceJsonl(torn), events);
  assert.deepEqual(parseTraceJsonl('\n\n'), []);
  assert.deepEqual(parseTraceJsonl('[1,2]\n{"type":"run.stopped","reason":"completed"}'), [{ type: 'run.stopped', reason: 'completed' }]);
});

test('protocol shape checks', () => {
  assert.ok(isToWebview({ type: 'init', runs: [{ tag: 't', events: [] }] }));
  assert.ok(isToWebview({ type: 'events', tag: 't', events: [] }));
  assert.ok(isToWebview({ type: 'init', runs: [{ tag: 't', traceJsonl: '' }] }));
  assert.ok(!isToWebview({ type: 'init', runs: [{ tag: 't' }] }), 'a run needs events or its trace text');
  assert.ok(!isToWebview({ type: 'runs', runs: [{ tag: 't', traceJsonl: 5 }] }));
  assert.ok(!isToWebview({ type: 'init', runs: [{ events: [] }] }));
  assert.ok(!isToWebview({ type: 'openDiff', tag: 't', n: 1 }), 'webview→extension messages are not accepted by the webview');
  assert.ok(!isToWebview('init'));
  assert.ok(isFromWebview({ type: 'openDiff', tag: 't', n: 3 }));
  assert.ok(!isFromWebview({ type: 'openDiff', tag: 't', n: -1 }));
  assert.ok(!isFromWebview({ type: 'openDiff', tag: 't', n: 1.5 }));
  assert.ok(isFromWebview({ type: 'exportChart', format: 'svg', data: '<svg/>', fileName: 'a.svg' }));
  assert.ok(!isFromWebview({ type: 'exportChart', format: 'gif', data: '', fileName: 'a.gif' }));
});

test('the webview HTML: strict CSP with the nonce, one nonce-bearing external script, no inline code', () => {
  const nonce = makeNonce();
  assert.match(nonce, /^[A-Za-z0-9]{32}$/);
  assert.notEqual(nonce, makeNonce());
  const html = dashboardHtml({ scriptUri: 'https://x/dist/webview/dashboard.js', styleUri: 'https://x/dist/webview/dashboard.css', cspSource: 'https://x', nonce });
  const csp = dashboardCsp('https://x', nonce);
  assert.ok(html.includes(`content="${csp.replace(/'/g, "'")}"`));
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, new RegExp(`script-src 'nonce-${nonce}'(;|$)`));
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.equal(scripts.length, 1);
  assert.match(scripts[0][1], new RegExp(`nonce="${nonce}" src="https://x/dist/webview/dashboard.js"`));
  assert.equal(scripts[0][2], '');
  assert.doesNotMatch(html, /\sstyle=|<style|\son[a-z]+=/);
  assert.throws(() => dashboardHtml({ scriptUri: 'a', styleUri: 'b', cspSource: "x; script-src 'unsafe-inline'", nonce }), /CSP source/);
  assert.throws(() => dashboardHtml({ scriptUri: 'a', styleUri: 'b', cspSource: 'x', nonce: 'short' }), /nonce/);
});

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('the webview imports nothing at runtime from src/core, and neither it nor src/shared imports vscode', () => {
  const files = [...tsFiles('webview-ui/src'), ...tsFiles('src/shared')];
  assert.ok(files.length > 10);
  const offenders: string[] = [];
  for (const f of files) {
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(/^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"]([^'"]+)['"]/gm)) {
      const [, , typeOnly, spec] = m;
      if (spec === 'vscode' || spec.startsWith('vscode/')) offenders.push(`${f}: imports vscode`);
      if (spec.includes('/core/') && !typeOnly) offenders.push(`${f}: runtime import of ${spec}`);
    }
    if (/^\s*import\s+['"][^'"]*\/core\//m.test(src)) offenders.push(`${f}: side-effect import from src/core`);
  }
  assert.deepEqual(offenders, []);
});

test('10,000 synthetic experiments fold into rows, stats, markers and spans (its speed is in bench/dashboardRender.ts)', () => {
  const m = new RunModel('synthetic', { frozen: ['TIME_BUDGET', 'SEED'] });
  m.apply(syntheticTrace(10_000));
  const stats = m.paramStats();
  const data = buildProgressData(m.rows, m.meta.goal);
  assert.equal(m.rows.length, 10_001);
  assert.ok(stats[0].name === 'LEARNING_RATE' && stats[0].share > 0.4, 'the synthetic run is fixated on LEARNING_RATE');
  assert.equal(m.markers.filter((x) => x.kind === 'strategy').length, 20);
  assert.equal(m.markers.filter((x) => x.kind === 'mechanism').length, 5);
  assert.deepEqual(m.mechanisms().flatMap((x) => x.spans), [{ from: 999.5, to: 1599.5 }, { from: 4999.5, to: 5599.5 }, { from: 8999.5, to: 9599.5 }]);
  assert.ok(data.counts.keep > 50);
});
