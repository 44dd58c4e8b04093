import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { APIConnectionError, APIError } from 'openai';
import type { LlmCall } from '../../src/core/llm/chatModel';
import { LlmClient, LlmError, meteredUsage, requestedRetryMs, retryPlan } from '../../src/core/llm/llmClient';
import type { LlmSettings } from '../../src/core/target/targetConfig';
import { startScriptedLlmServer, type Script, type ScriptedLlmServer } from '../support/scriptedLlmServer';

/*
 * No hang: every wait of a chat call is bounded by the timeout and ended by the signal. The real
 * openai client against the scripted server over HTTP.
 */

const hi = [{ role: 'user' as const, content: 'hi' }];
const ANSWER = '{"ok": true}';

const servers: ScriptedLlmServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function setup(script: Script, settings: Partial<LlmSettings> = {}) {
  const server = await startScriptedLlmServer(script);
  servers.push(server);
  const calls: LlmCall[] = [];
  const client = new LlmClient({ baseURL: server.url, model: 'm', apiKey: 'sk-test-0123456789', maxRetries: 0, timeoutSeconds: 5, ...settings }, (c) => calls.push(c));
  return { server, client, calls };
}

/** How long `p` takes to reject, and with what. */
async function rejection(p: Promise<unknown>): Promise<{ error: LlmError; ms: number }> {
  const started = Date.now();
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof LlmError, `expected an LlmError, got ${String(e)}`);
    return { error: e, ms: Date.now() - started };
  }
  assert.fail('expected the call to fail');
}

async function waitForRequests(server: ScriptedLlmServer, n: number): Promise<void> {
  while (server.chatRequests.length < n) await new Promise((r) => setTimeout(r, 10));
}

test('Retry-After 3600 within a long timeout: an abort ends the wait at once', async () => {
  const { server, client, calls } = await setup([{ status: 429, retryAfter: 3600 }], { timeoutSeconds: 7200, maxRetries: 1 });
  const controller = new AbortController();
  const call = client.chat('proposal', hi, { signal: controller.signal });
  await waitForRequests(server, 1);
  // Let the 429 arrive and the client settle into its pause.
  await new Promise((r) => setTimeout(r, 300));
  const aborted = Date.now();
  controller.abort();
  const { error } = await rejection(call);
  assert.ok(Date.now() - aborted < 2000, `stopped ${Date.now() - aborted} ms after the abort`);
  assert.equal(error.message, 'LLM request aborted');
  assert.equal(server.chatRequests.length, 1, 'no retry after the abort');
  assert.deepEqual(calls.map((c) => [c.ok, c.error]), [[false, 'LLM request aborted']]);
});

test('Retry-After 100 with a 15 s timeout: fails at once as rate limited, saying when to retry', async () => {
  const { server, client, calls } = await setup([{ status: 429, retryAfter: 100 }, { content: ANSWER }], { timeoutSeconds: 15, maxRetries: 1 });
  const { error, ms } = await rejection(client.chat('proposal', hi));
  assert.ok(ms < 2000, `took ${ms} ms`);
  assert.match(error.message, /^rate limited by http:\/\/127\.0\.0\.1:\d+\/v1, retry after 100 s, longer than the call's timeout \(llm\.timeoutSeconds 15 s\)/);
  assert.equal(error.status, 429);
  assert.equal(server.chatRequests.length, 1);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].ok, false);
  assert.equal(calls[0].error, error.message);
});

test('a 503 asking for an HTTP-date pause beyond the timeout fails at once too', async () => {
  const later = new Date(Date.now() + 3_600_000).toUTCString();
  const { client } = await setup([{ status: 503, retryAfter: later }], { timeoutSeconds: 15, maxRetries: 3 });
  const { error, ms } = await rejection(client.chat('proposal', hi));
  assert.ok(ms < 2000, `took ${ms} ms`);
  assert.match(error.message, /answered HTTP 503 .*; it asks to retry after 3\d{3} s, longer than the call's timeout/);
});

test('a Retry-After within the timeout is honoured, then the retry answers', async () => {
  const { server, client, calls } = await setup([{ status: 429, retryAfter: 1 }, { content: ANSWER }], { timeoutSeconds: 15, maxRetries: 1 });
  const started = Date.now();
  const result = await client.chat('proposal', hi);
  assert.equal(result.text, ANSWER);
  assert.ok(Date.now() - started >= 950, 'waited the second it was asked to');
  assert.equal(server.chatRequests.length, 2);
  assert.deepEqual(calls.map((c) => c.ok), [true]);
});

test('a non-streaming body that stalls after the headers fails within the timeout', async () => {
  const { server, client } = await setup([{ content: ANSWER, stallAfterHeaders: true }], { timeoutSeconds: 0.5 });
  const { error, ms } = await rejection(client.chat('proposal', hi));
  assert.match(error.message, /^LLM request to http:\/\/127\.0\.0\.1:\d+\/v1 timed out after 0\.5 s$/);
  assert.ok(ms >= 450 && ms < 1500, `took ${ms} ms`);
  assert.equal(server.chatRequests.length, 1);
});

test('stalled bodies with retries: each attempt and each pause bounded, (2 × retries + 1) × timeout in all', async () => {
  const stall = { content: ANSWER, stallAfterHeaders: true };
  const { server, client } = await setup([stall, stall], { timeoutSeconds: 0.5, maxRetries: 1 });
  const { error, ms } = await rejection(client.chat('proposal', hi));
  assert.match(error.message, /timed out after 0\.5 s \(gave up after 1 retry\)$/);
  assert.ok(ms < 1500 + 1000, `took ${ms} ms`);
  assert.equal(server.chatRequests.length, 2);
});

test('a streamed answer that stalls is retried like a timeout', async () => {
  const { server, client } = await setup([{ content: ANSWER, stallAfterHeaders: true }, { content: ANSWER }], { stream: true, timeoutSeconds: 0.5, maxRetries: 1 });
  assert.equal((await client.chat('proposal', hi)).text, ANSWER);
  assert.equal(server.chatRequests.length, 2);
});

test('an abort during a stalled body ends the call at once', async () => {
  const { server, client } = await setup([{ content: ANSWER, stallAfterHeaders: true }], { timeoutSeconds: 600 });
  const controller = new AbortController();
  const call = client.chat('proposal', hi, { signal: controller.signal });
  await waitForRequests(server, 1);
  await new Promise((r) => setTimeout(r, 200));
  const aborted = Date.now();
  controller.abort();
  const { error } = await rejection(call);
  assert.ok(Date.now() - aborted < 1000, `stopped ${Date.now() - aborted} ms after the abort`);
  assert.equal(error.message, 'LLM request aborted');
});

test('an abort during the backoff between retries ends the call at once', async () => {
  const { server, client } = await setup([{ status: 500 }, { content: ANSWER }], { timeoutSeconds: 600, maxRetries: 1 });
  const controller = new AbortController();
  const call = client.chat('proposal', hi, { signal: controller.signal });
  await waitForRequests(server, 1);
  await new Promise((r) => setTimeout(r, 100));
  const aborted = Date.now();
  controller.abort();
  await rejection(call);
  assert.ok(Date.now() - aborted < 1000);
  assert.equal(server.chatRequests.length, 1);
});

test('token usage: missing or partial counts are estimated and marked so, over HTTP and streamed', async () => {
  const { client, calls } = await setup([{ content: ANSWER, usage: null }]);
  await client.chat('proposal', hi);
  assert.equal(calls[0].usage.estimated, true);
  assert.equal(calls[0].usage.completionTokens, Math.ceil(ANSWER.length / 4));
  const streamed = await setup([{ content: ANSWER, usage: null }], { stream: true });
  await streamed.client.chat('proposal', hi);
  assert.equal(streamed.calls[0].usage.estimated, true);
  assert.ok(streamed.calls[0].usage.promptTokens > 0 && streamed.calls[0].usage.completionTokens > 0);
});

test('meteredUsage: the server counts when whole, else estimates marked as such', () => {
  const call = { purpose: 'p', model: 'm', ms: 5 };
  const chars = { prompt: 400, answer: 40 };
  assert.deepEqual(meteredUsage(call, { prompt_tokens: 90, completion_tokens: 12 }, chars), { ...call, promptTokens: 90, completionTokens: 12 });
  assert.deepEqual(meteredUsage(call, undefined, chars), { ...call, promptTokens: 100, completionTokens: 10, estimated: true });
  assert.deepEqual(meteredUsage(call, { prompt_tokens: 90 }, chars), { ...call, promptTokens: 90, completionTokens: 10, estimated: true });
  assert.deepEqual(meteredUsage(call, { prompt_tokens: 90, completion_tokens: null }, chars), { ...call, promptTokens: 90, completionTokens: 10, estimated: true });
  assert.deepEqual(meteredUsage(call, { prompt_tokens: 0, completion_tokens: 0 }, chars), { ...call, promptTokens: 100, completionTokens: 10, estimated: true }, 'zero for a non-empty text is no count');
  assert.deepEqual(meteredUsage(call, { prompt_tokens: 90, completion_tokens: 0 }, { prompt: 400, answer: 0 }), { ...call, promptTokens: 90, completionTokens: 0 }, 'an empty answer has no tokens');
});

test('requestedRetryMs: retry-after-ms, seconds, an HTTP date, and nonsense', () => {
  const h = (o: Record<string, string>) => new Headers(o);
  assert.equal(requestedRetryMs(h({ 'retry-after-ms': '250' })), 250);
  assert.equal(requestedRetryMs(h({ 'retry-after': '100' })), 100_000);
  assert.equal(requestedRetryMs(h({ 'retry-after': '1.5' })), 1500);
  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.equal(requestedRetryMs(h({ 'retry-after': 'Wed, 01 Jan 2025 01:00:00 GMT' }), now), 3_600_000);
  assert.equal(requestedRetryMs(h({ 'retry-after': 'soon' })), undefined);
  assert.equal(requestedRetryMs(h({})), undefined);
  assert.equal(requestedRetryMs(undefined), undefined);
});

test('retryPlan: what is retried, how long it waits, and when it refuses to', () => {
  const limits = { maxRetries: 2, timeoutMs: 15_000 };
  const status = (code: number, headers: Record<string, string> = {}) => APIError.generate(code, { message: 'x' }, undefined, new Headers(headers));
  assert.deepEqual(retryPlan(status(429, { 'retry-after': '100' }), 0, limits), { kind: 'too-long', ms: 100_000 });
  assert.deepEqual(retryPlan(status(429, { 'retry-after': '3' }), 0, limits), { kind: 'wait', ms: 3000 });
  assert.deepEqual(retryPlan(status(500, { 'retry-after': '3' }), 2, limits), { kind: 'fail' }, 'no retries left');
  assert.deepEqual(retryPlan(status(400), 0, limits), { kind: 'fail' }, 'not retryable');
  assert.deepEqual(retryPlan(status(500, { 'x-should-retry': 'false' }), 0, limits), { kind: 'fail' });
  assert.deepEqual(retryPlan(status(400, { 'x-should-retry': 'true', 'retry-after-ms': '5' }), 0, limits), { kind: 'wait', ms: 5 });
  const backoff = retryPlan(new APIConnectionError({ message: 'refused' }), 1, limits);
  assert.equal(backoff.kind, 'wait');
  assert.ok(backoff.kind === 'wait' && backoff.ms > 700 && backoff.ms <= 1000, 'doubling backoff with jitter');
  const capped = retryPlan(new APIConnectionError({ message: 'refused' }), 1, { maxRetries: 5, timeoutMs: 300 });
  assert.deepEqual(capped, { kind: 'wait', ms: 300 }, 'the backoff never exceeds the timeout');
  assert.deepEqual(retryPlan(new Error('a bug'), 0, limits), { kind: 'fail' });
});
