import { test } from 'node:test';
import { listLibrary } from '../../src/core/mechanisms/library';
import assert from 'node:assert/strict';
import type { RunEvent } from '../../src/shared/trace/events';
import { startScriptedLlmServer, type ChatRequestBody, type ScriptedResponse } from '../support/scriptedLlmServer';
import { cli, cliRun, git, onlyRunTag, readTraceEvents, tinyGptRepo } from '../support/tinyGptRepo';

/**
 * Levels 1 + 1.5 + 2 on examples/tiny-gpt through the built CLI: real training, real git, the real
 * openai client against the scripted server, real sandbox processes. Then the same run offline.
 */

const of = <T extends RunEvent['type']>(events: RunEvent[], t: T) => events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === t);
const json = (o: object): ScriptedResponse => ({ content: JSON.stringify(o) });

/** A mechanism the "LLM" writes in session 1: steers toward BATCH_SIZE and counts results. */
const STEERING = `export function beforePropose(ctx) {
  return { state: ctx.state, guidance: 'smaller BATCH_SIZE gives more steps in the fixed budget', focus: ['BATCH_SIZE'] };
}
export function afterResult(ctx, result) {
  const seen = ((ctx.state && ctx.state.seen) || 0) + 1;
  return { state: { seen } };
}
`;
/** Session 2: the paper's failure, a module that needs a package the sandbox cannot have. */
const NEEDS_SKLEARN = `import { GaussianProcessRegressor } from 'sklearn';
export function propose(ctx) {
  const gp = new GaussianProcessRegressor();
  return { state: ctx.state, candidate: null };
}
`;

function script() {
  const proposals = [
    { description: 'raise the learning rate', hypothesis: 'faster progress', params: { LEARNING_RATE: 0.002 } },
    { description: 'raise the learning rate more', hypothesis: 'faster still', params: { LEARNING_RATE: 0.004 } },
    { description: 'lower the learning rate', hypothesis: 'stabler', params: { LEARNING_RATE: 0.0005 } },
    { description: 'halve the batch', hypothesis: 'more steps', params: { BATCH_SIZE: 64 } },
    { description: 'halve the batch again', hypothesis: 'more steps', params: { BATCH_SIZE: 32 } },
    { description: 'shallower', hypothesis: 'faster steps', params: { DEPTH: 1 } },
  ];
  let proposal = 0;
  let session = 0;
  return (req: ChatRequestBody): ScriptedResponse => {
    const text = req.messages.map((m) => m.content).join('\n');
    if (/You review an automated hyperparameter search/.test(text)) return json({ freeze: ['LEARNING_RATE'], focus: ['BATCH_SIZE'], guidance: 'LEARNING_RATE is done; try BATCH_SIZE.' });
    if (/Step 1 of 4/.test(text)) {
      session++;
      return json({ diagnosis: 'the loop circles the learning rate', candidates: [{ name: session === 1 ? 'batch steering' : 'gp regressor', field: session === 1 ? 'design of experiments' : 'Bayesian optimisation', idea: 'steer' }] });
    }
    if (/Step 2 of 4/.test(text)) return json({ choice: session === 1 ? 'batch steering' : 'gp regressor', why: 'fits the diagnosis' });
    if (/Step 3 of 4/.test(text)) return json({ name: session === 1 ? 'batch-steering' : 'gp-regressor', description: session === 1 ? 'focuses the loop on BATCH_SIZE' : 'a Gaussian-process surrogate', hooks: session === 1 ? ['beforePropose', 'afterResult'] : ['propose'], state: 'a counter', behaviour: 'as named' });
    if (/Step 4 of 4/.test(text)) return { content: '```javascript\n' + (session === 1 ? STEERING : NEEDS_SKLEARN) + '```' };
    return json(proposals[Math.min(proposal++, proposals.length - 1)]);
  };
}

test('tiny-gpt, all levels with an LLM: a frozen parameter is rejected before training, a generated mechanism runs, a sklearn one is reverted', { timeout: 600_000 }, async () => {
  const server = await startScriptedLlmServer(script());
  try {
    const dir = tinyGptRepo({
      config: (c) => {
        c.llm = { model: 'scripted-model', maxRetries: 0 };
        c.levels = { strategy: { every: 2 }, mechanisms: { every: 1 } };
      },
    });
    const r = await cliRun(dir, ['run', '--iterations', '5', '--proposer', 'llm', '--no-overlap'], { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'sk-test' });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const tag = onlyRunTag(dir);
    const events = readTraceEvents(dir, tag);

    // Level 1.5: the review froze LEARNING_RATE; the next proposal touching it never trained.
    const review = of(events, 'strategy.updated')[0];
    assert.equal(review.reviewer, 'llm');
    assert.deepEqual(review.frozen, ['LEARNING_RATE']);
    const rejected = of(events, 'candidate.rejected').find((e) => e.by === 'strategy')!;
    assert.equal(rejected.candidate!.description, 'lower the learning rate');
    assert.ok(rejected.seq > review.seq);
    assert.ok(!of(events, 'training.started').some((t) => t.n === rejected.n && t.seq < rejected.seq), 'rejected before training');

    // Level 2, session 1: validated, committed on its branch, activated, and its hooks ran later.
    const proposed = of(events, 'mechanism.proposed');
    assert.deepEqual(proposed.map((p) => p.name), ['batch-steering', 'gp-regressor']);
    assert.equal(of(events, 'mechanism.research.step').length, 8, 'four recorded steps per session');
    const steering = proposed[0];
    assert.match(git(dir, 'show', `${steering.branch}:${steering.file}`), /export function beforePropose/);
    assert.ok(of(events, 'mechanism.validated').find((v) => v.name === 'batch-steering')!.ok);
    const activated = of(events, 'mechanism.activated').find((a) => a.name === 'batch-steering')!;
    const ran = of(events, 'mechanism.hooks').filter((h) => h.seq > activated.seq).flatMap((h) => h.ran.filter((x) => x.mechanism === 'batch-steering'));
    assert.ok(ran.some((x) => x.hook === 'beforePropose' && x.result === 'guided'));
    assert.ok(ran.some((x) => x.hook === 'afterResult'));
    assert.match(git(dir, 'show', `autoresearch/${tag}:.autoresearch/mechanisms/batch-steering.mjs`), /BATCH_SIZE/);

    // Session 2: the sklearn module fails validation and is reverted, with the reason in the trace.
    const reverted = of(events, 'mechanism.reverted').find((x) => x.name === 'gp-regressor')!;
    assert.equal(reverted.by, 'validation');
    assert.match(reverted.reason, /sklearn/);
    assert.throws(() => git(dir, 'show', `autoresearch/${tag}:.autoresearch/mechanisms/gp-regressor.mjs`));

    const list = cli(dir, ['mechanisms', 'list']);
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /batch-steering\s+active/);
    assert.match(list.stdout, /gp-regressor\s+reverted/);
    assert.match(list.stdout, /✗ parses: .*sklearn/);
    assert.equal(of(events, 'run.stopped').pop()!.reason, 'completed');
    assert.equal(git(dir, 'status', '--porcelain'), '');
  } finally {
    await server.close();
  }
});

test('tiny-gpt, all levels offline: heuristic proposer, rule-based reviews, a library mechanism chosen by diagnosis; the run completes', { timeout: 600_000 }, async () => {
  const dir = tinyGptRepo({ config: (c) => (c.levels = { strategy: { every: 2 }, mechanisms: { every: 1 } }) });
  const r = cli(dir, ['run', '--iterations', '4', '--proposer', 'heuristic']);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const events = readTraceEvents(dir, onlyRunTag(dir));
  assert.equal(of(events, 'strategy.updated').length, 1, 'a review at 2 (none at 4: the run ends there)');
  const proposed = of(events, 'mechanism.proposed')[0];
  assert.ok(listLibrary().some((m) => m.name === proposed.name), `${proposed.name} is a library mechanism`);
  assert.ok(of(events, 'mechanism.activated').some((a) => a.name === proposed.name));
  assert.equal(of(events, 'run.stopped').pop()!.reason, 'completed');
  assert.match(r.stdout, /strategy review 1 \(rules\)/);
  assert.match(r.stdout, /mechanism research 1: proposed /);
});
