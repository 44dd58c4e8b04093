import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Candidate } from '../../src/shared/trace/candidate';
import type { RunEvent } from '../../src/shared/trace/events';
import { ResearchRun, type ResearchRunOptions } from '../../src/core/run/researchRun';
import type { TargetConfig } from '../../src/core/target/targetConfig';
import { candidate as c, ListProposer } from '../support/listProposer';
import { git } from '../support/tinyGptRepo';
import { startScriptedLlmServer } from '../support/scriptedLlmServer';
import { LlmStrategyReviewer } from '../../src/core/strategyReview/llmStrategyReviewer';
import { LlmClient } from '../../src/core/llm/llmClient';
import { LlmMechanismResearcher } from '../../src/core/mechanismResearch/mechanismResearch';
import { scriptRepo } from '../support/scriptRepo';

/**
 * Overlap (on by default): the next candidate is proposed while an experiment trains. A kept result
 * is never lost, and a prepared candidate is never applied onto a base where it does not apply.
 * Real Python training processes (each takes ~0.6 s), real git.
 */
const TRAIN = `import time
A = 8            # best at 4
B = 1.0          # best at 0.25
TIME_BUDGET = 1
time.sleep(0.6)
print(f"val_bpb:          {1.0 + abs(A - 4) / 10 + abs(B - 0.25):.6f}")
`;

function fastRepo(): { dir: string; config: TargetConfig } {
  return scriptRepo(TRAIN, { run: { command: 'python3 train.py', timeBudgetSeconds: 1, hardTimeoutSeconds: 10 }, levels: { strategy: { enabled: false }, mechanisms: { enabled: false } } }, 'overlap-');
}

/** Answers in turn, noting when each was asked for. */
function timedProposer(answers: Candidate[]) {
  const askedAt: number[] = [];
  const proposer = new ListProposer(
    answers.map((a) => async () => {
      askedAt.push(Date.now());
      return a;
    }),
  );
  return { proposer, askedAt };
}

async function run(dir: string, config: TargetConfig, proposer: ListProposer, iterations: number, extra: Partial<ResearchRunOptions> = {}) {
  const events: RunEvent[] = [];
  const summary = await new ResearchRun({ repoDir: dir, config, proposer, iterations, tag: 't', ...extra, onEvent: (e) => events.push(e) }).run();
  return { events, summary };
}

const scriptedClient = (url: string) => new LlmClient({ baseURL: url, model: 'scripted', maxRetries: 0 });

const ofType = <T extends RunEvent['type']>(events: RunEvent[], t: T) => events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === t);
const at = (e: RunEvent) => Date.parse(e.at);

test('the next candidate is proposed while the current one trains, and used as is when the best did not move', { timeout: 120_000 }, async () => {
  const { dir, config } = fastRepo();
  const { proposer, askedAt } = timedProposer([c({ A: 16 }), c({ A: 32 }), c({ B: 2 })]);
  const { events } = await run(dir, config, proposer, 3);
  const started = ofType(events, 'training.started');
  const finished = ofType(events, 'training.finished');
  // #1, #2 and #3 were asked for while the baseline, #1 and #2 trained.
  for (const k of [0, 1, 2]) {
    const during = k;
    const s = at(started.find((e) => e.n === during)!);
    const f = at(finished.find((e) => e.n === during)!);
    assert.ok(askedAt[k] >= s && askedAt[k] <= f, `proposal ${k + 1} asked at ${askedAt[k]}, training #${during} ran ${s}..${f}`);
  }
  const proposed = ofType(events, 'candidate.proposed');
  assert.deepEqual(
    proposed.map((p) => p.prepared),
    [{ during: 0, how: 'used' }, { during: 1, how: 'used' }, { during: 2, how: 'used' }],
  );
  assert.deepEqual(
    ofType(events, 'experiment.decided').map((d) => d.status),
    ['keep', 'discard', 'discard', 'discard'],
  );
});

test('a kept result is never lost: the candidate prepared meanwhile is re-applied onto the new best', { timeout: 120_000 }, async () => {
  const { dir, config } = fastRepo();
  const { proposer } = timedProposer([c({ A: 4 }), c({ B: 0.5 })]);
  const { events, summary } = await run(dir, config, proposer, 2);
  const decided = ofType(events, 'experiment.decided');
  assert.deepEqual(decided.map((d) => d.status), ['keep', 'keep', 'keep']);
  const second = ofType(events, 'candidate.proposed').find((p) => p.n === 2)!;
  assert.deepEqual(second.prepared, { during: 1, how: 'reapplied' });
  const first = decided.find((d) => d.n === 1)!;
  const trained = decided.find((d) => d.n === 2)!;
  assert.equal(git(dir, 'rev-parse', `${trained.commit}^`), first.commit, '#2 ran on #1, the new best');
  assert.match(git(dir, 'show', `${trained.commit}:train.py`), /^A = 4 .*\nB = 0\.5 /m);
  assert.equal(summary.state.best!.n, 2);
  assert.equal(git(dir, 'log', '--format=%s', 'autoresearch/t').split('\n').length, 3, 'linear: init, #1, #2');
});

test('a prepared candidate that no longer applies on the new best is dropped, and the iteration proposes afresh', { timeout: 120_000 }, async () => {
  const { dir, config } = fastRepo();
  const edit = (from: string, to: string, description: string): Candidate => ({ description, hypothesis: 'h', edits: [{ file: 'train.py', search: from, replace: to }] });
  const { proposer } = timedProposer([edit('A = 8 ', 'A = 4 ', 'A to 4 by hand'), edit('A = 8 ', 'A = 6 ', 'A to 6 by hand'), c({ B: 0.5 }, 'B to 0.5')]);
  const { events } = await run(dir, config, proposer, 2);
  const second = ofType(events, 'candidate.proposed').filter((p) => p.n === 2);
  assert.equal(second.length, 1, 'the stale one was never proposed as #2');
  assert.equal(second[0].candidate.description, 'B to 0.5');
  assert.equal(second[0].prepared!.how, 'reproposed');
  assert.match(second[0].prepared!.reason!, /"A to 6 by hand".*no longer applies.*A = 8/);
  assert.ok(proposer.seen[2].guidance.some((g) => /no longer applies/.test(g)), 'the proposer is told why');
  const trained = ofType(events, 'experiment.decided').find((d) => d.n === 2)!;
  assert.match(git(dir, 'show', `${trained.commit}:train.py`), /^A = 4 .*\nB = 0\.5 /m);
  assert.equal(ofType(events, 'training.started').length, 3);
});

test('a candidate prepared before a strategy review is proposed again after it, so the review shapes it', { timeout: 120_000 }, async () => {
  const { dir, config } = fastRepo();
  config.levels.strategy = { enabled: true, every: 2, reviewer: 'rules', freezeAfter: 2 };
  const { proposer } = timedProposer([c({ A: 16 }), c({ A: 32 }), c({ A: 64 }), c({ B: 0.5 }, 'B to 0.5')]);
  const { events } = await run(dir, config, proposer, 3);
  const review = ofType(events, 'strategy.updated')[0];
  assert.deepEqual(review.frozen, ['A']);
  const third = ofType(events, 'candidate.proposed').filter((p) => p.n === 3);
  assert.equal(third.length, 1);
  assert.equal(third[0].candidate.description, 'B to 0.5', 'A = 64 was prepared before the review froze A, and dropped');
  assert.equal(third[0].prepared!.how, 'reproposed');
  assert.match(third[0].prepared!.reason!, /strategy or the active mechanisms changed/);
  assert.ok(proposer.seen[3].params.find((p) => p.name === 'A')!.frozen, 'asked again with A frozen');
});

test('a strategy review that waits on the LLM runs while an experiment trains, and shapes the proposal after it', { timeout: 120_000 }, async () => {
  const server = await startScriptedLlmServer(() => ({ content: JSON.stringify({ freeze: ['A'], focus: ['B'], guidance: 'leave A' }), delayMs: 300 }));
  try {
    const { dir, config } = fastRepo();
    config.levels.strategy = { enabled: true, every: 2, reviewer: 'llm', freezeAfter: 3 };
    const { proposer } = timedProposer([c({ A: 16 }), c({ A: 32 }), c({ B: 2 }), c({ B: 0.5 }), c({ B: 0.25 })]);
    const { events } = await run(dir, config, proposer, 4, { strategyReviewer: new LlmStrategyReviewer(scriptedClient(server.url), []) });
    assert.equal(ofType(events, 'strategy.updated').length, 1);
    const review = ofType(events, 'strategy.updated')[0];
    assert.deepEqual(review.frozen, ['A']);
    const during = ofType(events, 'training.started').find((t) => t.seq < review.seq && ofType(events, 'training.finished').some((f) => f.n === t.n && f.seq > review.seq));
    assert.ok(during, 'the review was recorded while an experiment trained');
    const after = proposer.seen.find((ctx) => ctx.params.find((p) => p.name === 'A')!.frozen);
    assert.ok(after, 'a later proposal saw A frozen');
    assert.ok(ofType(events, 'candidate.proposed').filter((p) => p.seq > review.seq).every((p) => !('A' in (p.candidate.params ?? {}))));
    const afterReview = ofType(events, 'candidate.proposed').filter((p) => p.seq > review.seq);
    assert.ok(afterReview.length && afterReview.every((p) => p.prepared && p.prepared.how !== 'reproposed'), 'prepared again behind the training, not proposed afresh while the GPU waits');
  } finally {
    await server.close();
  }
});

test('mechanism research that waits on the LLM runs while an experiment trains; its activation waits for a boundary', { timeout: 120_000 }, async () => {
  const module = 'export function afterResult(ctx, result) { return { state: { seen: ((ctx.state && ctx.state.seen) || 0) + 1 } }; }\n';
  const server = await startScriptedLlmServer((req) => {
    const text = req.messages.map((m) => m.content).join('\n');
    const step = /Step (\d) of 4/.exec(text)?.[1];
    const answers: Record<string, object | string> = {
      '1': { diagnosis: 'd', candidates: [{ name: 'counter', field: 'f', idea: 'i' }] },
      '2': { choice: 'counter', why: 'w' },
      '3': { name: 'counter', description: 'counts results', hooks: ['afterResult'], state: 'seen', behaviour: 'b' },
      '4': '```javascript\n' + module + '```',
    };
    const a = answers[step ?? '1'];
    return { content: typeof a === 'string' ? a : JSON.stringify(a), delayMs: 100 };
  });
  try {
    const { dir, config } = fastRepo();
    config.levels.strategy = { enabled: false, every: 2, reviewer: 'rules', freezeAfter: 3 };
    config.levels.mechanisms = { ...config.levels.mechanisms, enabled: true, every: 1 };
    const { proposer } = timedProposer([c({ A: 16 }), c({ A: 32 }), c({ B: 2 }), c({ B: 0.5 }), c({ B: 0.25 })]);
    const { events } = await run(dir, config, proposer, 5, { mechanismResearcher: new LlmMechanismResearcher(scriptedClient(server.url)) });
    const windows = ofType(events, 'training.started').map((t) => [t.seq, ofType(events, 'training.finished').find((f) => f.n === t.n)!.seq]);
    const inside = (seq: number) => windows.some(([a, b]) => a < seq && seq < b);
    const proposed = ofType(events, 'mechanism.proposed')[0];
    assert.ok(inside(proposed.seq), 'researched and validated while an experiment trained');
    const activated = ofType(events, 'mechanism.activated')[0];
    assert.ok(activated && !inside(activated.seq), 'activated at a boundary, never under a running training');
    assert.ok(ofType(events, 'mechanism.hooks').some((h) => h.seq > activated.seq && h.ran.some((r) => r.mechanism === 'counter')));
    assert.equal(git(dir, 'status', '--porcelain'), '');
  } finally {
    await server.close();
  }
});
