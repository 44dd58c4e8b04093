import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunEvent } from '../../src/shared/trace/events';
import { startScriptedLlmServer } from '../support/scriptedLlmServer';
import { cliScriptRepo } from '../support/scriptRepo';
import { cliAsync, cliRun, git, onlyRunTag, readTraceEvents, tinyGptRepo } from '../support/tinyGptRepo';

const SECRET = 'sk-test-DO-NOT-LEAK-0123456789abcdef';
const answer = (o: object) => JSON.stringify(o);

test('three real training iterations with the LLM proposer against a scripted OpenAI-compatible server', { timeout: 300_000 }, async () => {
  const server = await startScriptedLlmServer([
    // 1: reasoning text, then fenced JSON.
    { content: `Under a fixed budget a smaller batch gives more optimizer steps.\n\n\`\`\`json\n${answer({ description: 'halve the batch size', hypothesis: 'more steps in the fixed budget', params: { BATCH_SIZE: 8 } })}\n\`\`\`` },
    // 2a: touches a frozen parameter → rejected before training, and the proposer is told why.
    { content: answer({ description: 'train longer', hypothesis: 'more time', params: { TIME_BUDGET: 100 } }) },
    // 2b: truncated JSON → one repair round → an exact search/replace edit.
    { content: '{"description": "switch to silu", "hypothesis": "smoother' },
    { content: answer({ description: 'switch the activation to silu', hypothesis: 'smoother gradients', edits: [{ file: 'train.py', search: 'ACTIVATION = "gelu"', replace: 'ACTIVATION = "silu"' }] }) },
    // 3: a configuration that crashes (heads must divide the width).
    { content: answer({ description: 'use 3 heads', hypothesis: 'different head size', params: { N_HEAD: 3 } }) },
  ]);
  try {
    const dir = tinyGptRepo({ config: (c) => (c.llm = { model: 'scripted-model', stream: true, maxRetries: 0 }) });
    const r = await cliRun(dir, ['run', '--iterations', '3', '--proposer', 'llm', '-v'], { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: SECRET });
    assert.equal(r.status, 0, r.stderr + r.stdout);

    const tag = onlyRunTag(dir);
    const events = readTraceEvents(dir, tag);
    const of = <T extends RunEvent['type']>(t: T) => events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === t);

    // Every chat call went over HTTP, with the key, and was metered in the trace.
    assert.equal(server.chatRequests.length, 5);
    assert.ok(server.requests.every((q) => q.authorization === `Bearer ${SECRET}`));
    assert.ok(server.chatRequests.every((b) => b.stream === true));
    const calls = of('llm.called');
    assert.equal(calls.length, 5);
    assert.ok(calls.every((c) => c.ok && c.usage.promptTokens > 0 && c.usage.completionTokens > 0));
    assert.deepEqual(calls.map((c) => c.usage.purpose), ['proposal', 'proposal', 'proposal', 'proposal.repair', 'proposal']);
    // The truncated answer is on record with what was wrong with it, before its repair; the others were usable.
    assert.match(calls[2].answerError ?? '(none recorded)', /^truncated JSON: unbalanced braces/);
    assert.deepEqual(calls.map((c) => c.answerError !== undefined), [false, false, true, false, false]);
    assert.match(r.stdout, /llm proposal: \d+\+\d+ tokens, \d+ ms \(unusable answer: truncated JSON/);

    // The prompt carries the parameter table, and the retry carries the rejection reason.
    const firstPrompt = server.chatRequests[0].messages.map((m) => m.content).join('\n');
    assert.match(firstPrompt, /BATCH_SIZE/);
    assert.match(firstPrompt, /TIME_BUDGET/);
    const retryPrompt = server.chatRequests[2].messages.map((m) => m.content).join('\n');
    assert.match(retryPrompt, /TIME_BUDGET/);
    assert.match(retryPrompt, /frozen/i);

    const rejected = of('candidate.rejected');
    assert.equal(rejected.length, 1);
    assert.match(rejected[0].reason, /TIME_BUDGET.*frozen|frozen.*TIME_BUDGET/);

    const decided = of('experiment.decided');
    assert.deepEqual(decided.map((d) => d.description), ['baseline', 'halve the batch size', 'switch the activation to silu', 'use 3 heads']);
    assert.equal(decided[3].status, 'crash');
    const finished = of('training.finished').find((f) => f.n === 3)!;
    assert.equal(finished.outcome, 'crash');

    // Git: each experiment committed and kept as a tried ref; the crash was reset away.
    for (const d of decided.slice(1)) assert.equal(git(dir, 'rev-parse', `refs/autoresearch/${tag}/tried/${d.n}`), d.commit);
    assert.match(git(dir, 'show', `refs/autoresearch/${tag}/tried/2`, '--', 'train.py'), /^\+ACTIVATION = "silu"/m);
    assert.doesNotMatch(readFileSync(join(dir, 'train.py'), 'utf8'), /^N_HEAD = 3\b/m);
    assert.equal(git(dir, 'status', '--porcelain'), '');
    const rows = readFileSync(join(dir, '.autoresearch/runs', tag, 'results.tsv'), 'utf8').trim().split('\n');
    assert.equal(rows.length, 5);
    assert.match(rows[4], /\tcrash\tuse 3 heads$/);

    // The key is nowhere on disk or in the output.
    const traceText = readFileSync(join(dir, '.autoresearch/runs', tag, 'trace.jsonl'), 'utf8');
    assert.ok(!traceText.includes(SECRET) && !r.stdout.includes(SECRET) && !r.stderr.includes(SECRET));
    assert.ok(!git(dir, 'log', '--all', '-p').includes(SECRET));
  } finally {
    await server.close();
  }
});

test('an unreachable LLM endpoint: each proposal fails cleanly, and three in a row stop the run with the reason', { timeout: 120_000 }, async () => {
  const dir = tinyGptRepo({ config: (c) => (c.llm = { model: 'm', maxRetries: 0, timeoutSeconds: 5 }) });
  const r = await cliRun(dir, ['run', '--iterations', '10', '--proposer', 'llm'], { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
  assert.equal(r.status, 1, r.stderr + r.stdout);
  assert.match(r.stdout, /3 proposals in a row failed \(last: LLM call failed/);
  const events = readTraceEvents(dir, onlyRunTag(dir));
  const failed = events.filter((e) => e.type === 'proposal.failed');
  assert.equal(failed.length, 3);
  assert.match((failed[0] as any).reason, /LLM call failed/);
  assert.equal(events.filter((e) => e.type === 'experiment.decided').length, 1, 'only the baseline trained');
  assert.equal(git(dir, 'status', '--porcelain'), '');
});

test('Ctrl+C while the LLM client waits out a Retry-After of an hour stops the run within 2 s', { timeout: 120_000 }, async () => {
  const server = await startScriptedLlmServer([{ status: 429, retryAfter: 3600 }]);
  try {
    const dir = cliScriptRepo('LR = 0.1\nTIME_BUDGET = 1\nprint("val_bpb: 1.0")\n', {
      run: { command: 'python3 train.py', timeBudgetSeconds: 1, hardTimeoutSeconds: 20 },
      proposer: { kind: 'llm' },
      // A timeout long enough that the hour's pause is within it: the client really waits.
      llm: { model: 'scripted-model', timeoutSeconds: 7200, maxRetries: 1 },
      levels: { strategy: { enabled: false }, mechanisms: { enabled: false } },
    });
    const child = cliAsync(dir, ['run', '--iterations', '3', '--no-overlap'], { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: SECRET });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    while (server.chatRequests.length < 1) {
      if (child.exitCode !== null) assert.fail(`the run ended before asking the LLM: ${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // The 429 is answered at once; the client is now in its hour-long pause.
    await new Promise((r) => setTimeout(r, 500));
    const interrupted = Date.now();
    child.kill('SIGINT');
    const code = await exited;
    const ms = Date.now() - interrupted;
    assert.ok(ms < 2000, `the run took ${ms} ms to stop`);
    assert.equal(code, 130, output);
    assert.equal(server.chatRequests.length, 1, 'no retry after the interrupt');
    const events = readTraceEvents(dir, onlyRunTag(dir));
    const last = events.at(-1)!;
    assert.equal(last.type === 'run.stopped' && last.reason, 'interrupted');
    assert.ok(events.some((e) => e.type === 'llm.called' && !e.ok && e.error === 'LLM request aborted'));
  } finally {
    await server.close();
  }
});
