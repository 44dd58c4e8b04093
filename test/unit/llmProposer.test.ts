import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { inspect } from 'node:util';
import type { LlmCall } from '../../src/core/llm/chatModel';
import { isLoopbackUrl, LlmClient, MissingApiKeyError, tokenLimitField } from '../../src/core/llm/llmClient';
import type { LlmSettings } from '../../src/core/target/targetConfig';
import { buildProposalMessages } from '../../src/core/llm/prompts/proposalPrompt';
import { askStructured } from '../../src/core/llm/askStructured';
import { LlmProposer } from '../../src/core/proposers/llmProposer';
import { ProposalError, type ProposalContext } from '../../src/core/proposers/proposer';
import { startScriptedLlmServer, type Script, type ScriptedLlmServer, type ScriptedResponse, type ScriptedServerOptions } from '../support/scriptedLlmServer';

const SECRET = 'sk-test-SECRET-0123456789abcdef';

const TRAIN_PY = `import torch

LR = 3e-4
DEPTH = 8
ACTIVATION = "relu"
TIME_BUDGET = 300

def train():
    pass
`;

const ctx: ProposalContext = {
  n: 5,
  metricName: 'val_bpb',
  goal: 'minimize',
  researchGoal: 'Find the best small GPT for a 5 minute budget.',
  timeBudgetSeconds: 300,
  params: [
    { name: 'LR', value: 0.0003, text: '3e-4', kind: 'float', frozen: false },
    { name: 'DEPTH', value: 8, text: '8', kind: 'int', frozen: true },
    { name: 'ACTIVATION', value: 'relu', text: '"relu"', kind: 'string', frozen: false, choices: ['relu', 'gelu', 'silu'] },
  ],
  editableFiles: [{ path: 'train.py', content: TRAIN_PY }],
  history: [
    { n: 1, description: 'double LR', changed: { LR: 0.0006 }, before: { LR: 0.0003 }, status: 'discard', metric: 1.0123, delta: 0.0123 },
    { n: 2, description: 'halve LR', changed: { LR: 0.00015 }, before: { LR: 0.0003 }, status: 'keep', metric: 0.9912, delta: -0.0088 },
    { n: 3, description: 'huge batch', changed: {}, before: {}, status: 'rejected', metric: null, delta: null, reason: 'DEPTH is frozen' },
    { n: 4, description: 'GELU everywhere', changed: { ACTIVATION: 'gelu' }, before: { ACTIVATION: 'relu' }, status: 'crash', metric: null, delta: null },
  ],
  best: { metric: 0.9912, n: 2 },
  incumbent: { metric: 0.9912, n: 2 },
  guidance: ['LR went down and helped: consider going further down.'],
  focus: [],
  evaluated: [{ LR: 0.0003, DEPTH: 8, ACTIVATION: 'relu' }, { LR: 0.0006, DEPTH: 8, ACTIVATION: 'relu' }],
};

const good = { description: 'lower LR again', hypothesis: 'the last decrease helped', params: { LR: 0.0001 } };
const goodJson = JSON.stringify(good);

const servers: ScriptedLlmServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function setup(script: Script, settings: Partial<LlmSettings> = {}, serverOptions: ScriptedServerOptions = {}) {
  const server = await startScriptedLlmServer(script, serverOptions);
  servers.push(server);
  const calls: LlmCall[] = [];
  const client = new LlmClient({ baseURL: server.url, model: 'test-model', apiKey: SECRET, maxRetries: 0, timeoutSeconds: 5, ...settings }, (call) => calls.push(call));
  return { server, calls, client, proposer: new LlmProposer(client) };
}

async function proposalError(p: Promise<unknown>): Promise<ProposalError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ProposalError, `expected a ProposalError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the proposal to fail');
}

test('a plain JSON answer becomes the candidate; the request asks for structured output', async () => {
  const { server, proposer, calls } = await setup([{ content: goodJson }]);
  assert.deepEqual(await proposer.propose(ctx), good);
  assert.equal(server.chatRequests.length, 1);
  const body = server.chatRequests[0];
  assert.equal(body.model, 'test-model');
  assert.equal(body.response_format?.type, 'json_schema');
  assert.equal(body.response_format?.json_schema?.name, 'candidate');
  assert.equal(body.response_format?.json_schema?.strict, false);
  assert.equal(server.requests[0].authorization, `Bearer ${SECRET}`);
  assert.deepEqual(calls.map((c) => [c.usage.purpose, c.ok]), [['proposal', true]]);
});

test('fenced JSON, reasoning text before it, and a <think> block are all accepted', async () => {
  const { server, proposer } = await setup([
    { content: 'Sure!\n```json\n' + goodJson + '\n```' },
    { content: 'The LR trend is clear: lower was better. So:\n' + goodJson },
    { content: '<think>\nShould I try {"description": "bigger model"}? No, DEPTH is frozen.\n</think>\n' + goodJson },
  ]);
  for (let i = 0; i < 3; i++) assert.deepEqual(await proposer.propose(ctx), good);
  assert.equal(server.chatRequests.length, 3, 'no repair rounds were needed');
});

test('truncated JSON gets one repair round, which succeeds', async () => {
  const cut = goodJson.slice(0, 40);
  const { server, proposer, calls } = await setup([{ content: cut, finishReason: 'length' }, { content: goodJson }]);
  assert.deepEqual(await proposer.propose(ctx), good);
  assert.equal(server.chatRequests.length, 2);
  const [first, second] = server.chatRequests;
  assert.deepEqual(second.messages.slice(0, first.messages.length), first.messages, 'the repair round continues the same conversation');
  const [answer, request] = second.messages.slice(first.messages.length);
  assert.deepEqual(answer, { role: 'assistant', content: cut });
  assert.equal(request.role, 'user');
  assert.match(request.content, /truncated JSON: unbalanced braces/);
  assert.match(request.content, /maxTokens/);
  assert.match(request.content, /corrected JSON object only/);
  assert.deepEqual(calls.map((c) => c.usage.purpose), ['proposal', 'proposal.repair']);
});

test('every bad answer is recorded with its error before the repair round', async () => {
  const kinds: { name: string; answer: ScriptedResponse; error: RegExp }[] = [
    { name: 'trailing comma', answer: { content: '{"description": "lower LR", "params": {"LR": 0.0001},}' }, error: /^invalid JSON in the object starting at character 0: / },
    { name: 'single quotes', answer: { content: "{'description': 'lower LR', 'params': {'LR': 0.0001}}" }, error: /^invalid JSON in the object starting at character 0: / },
    { name: 'tool call only', answer: { content: '', toolCalls: [{ name: 'propose', arguments: goodJson }] }, error: /^no JSON object found: the answer is empty \(the answer was a tool call with no text/ },
    { name: 'empty content', answer: { content: '' }, error: /^no JSON object found: the answer is empty$/ },
    { name: 'truncated JSON', answer: { content: goodJson.slice(0, 30), finishReason: 'length' }, error: /^truncated JSON: unbalanced braces.*\(the answer hit the maxTokens limit: keep it shorter\)$/ },
    { name: 'wrong shape', answer: { content: JSON.stringify({ description: 'x', params: 'LR=0.1' }) }, error: /^params must be an object \(got string\)$/ },
  ];
  for (const stream of [false, true]) {
    for (const kind of kinds) {
      const { proposer, calls, server } = await setup([kind.answer, { content: goodJson }], { stream });
      assert.deepEqual(await proposer.propose(ctx), good, kind.name);
      assert.deepEqual(calls.map((c) => [c.usage.purpose, c.ok]), [['proposal', true], ['proposal.repair', true]], kind.name);
      assert.match(calls[0].answerError ?? '(none recorded)', kind.error, `${kind.name}${stream ? ', streamed' : ''}`);
      assert.equal(calls[1].answerError, undefined, 'the repaired answer was usable');
      assert.ok(server.chatRequests[1].messages.at(-1)!.content.includes(calls[0].answerError!), 'the repair round sends the recorded error');
    }
  }
});

test('a repair that fails too: both answers recorded with their errors', async () => {
  const { proposer, calls } = await setup([{ content: 'no idea' }, { content: '' }]);
  await proposalError(proposer.propose(ctx));
  assert.deepEqual(calls.map((c) => c.answerError), ['no JSON object found', 'no JSON object found: the answer is empty']);
});

test('askStructured (strategy review, mechanism research) records a bad answer before its repair too', async () => {
  const { client, calls } = await setup([{ content: '{"guidance": "x",}' }, { content: '{"guidance": 3}' }, { content: '{"guidance": "go"}' }]);
  const schema = { name: 'strategy', schema: { type: 'object', required: ['guidance'], properties: { guidance: { type: 'string' } } } };
  await assert.rejects(askStructured(client, 'strategy', [{ role: 'user', content: 'review' }], schema), /unusable answer after one repair round: \/guidance must be string/);
  assert.deepEqual(calls.map((c) => c.usage.purpose), ['strategy', 'strategy.repair']);
  assert.match(calls[0].answerError!, /^invalid JSON in the object starting at character 0/);
  assert.equal(calls[1].answerError, '/guidance must be string');
});

test('wrong fields twice: exactly two requests, then a ProposalError with the reason', async () => {
  const wrong = JSON.stringify({ description: 'x', hypothesis: 'y', params: 'LR=0.0001' });
  const { server, proposer } = await setup([{ content: wrong }, { content: wrong }, { content: goodJson }]);
  const e = await proposalError(proposer.propose(ctx));
  assert.match(e.message, /invalid proposal after one repair round: params must be an object \(got string\)/);
  assert.equal(server.chatRequests.length, 2);
  assert.match(server.chatRequests[1].messages.at(-1)!.content, /params must be an object \(got string\)/);
});

test('a 429 is retried by the client, then succeeds', async () => {
  const { server, proposer, calls } = await setup([{ status: 429 }, { content: goodJson }], { maxRetries: 2 });
  assert.deepEqual(await proposer.propose(ctx), good);
  assert.equal(server.chatRequests.length, 2);
  assert.deepEqual(calls.map((c) => c.ok), [true], 'one chat call, reported once, retries included');
});

test('500s until the retries run out: ProposalError, and the failure is reported', async () => {
  const script = Array.from({ length: 3 }, () => ({ status: 500, retryAfterMs: 10 }));
  const { server, proposer, calls } = await setup([...script, { content: goodJson }], { maxRetries: 2 });
  const e = await proposalError(proposer.propose(ctx));
  assert.match(e.message, /^LLM call failed: LLM endpoint http:\/\/127\.0\.0\.1:\d+\/v1 answered HTTP 500 .*\(gave up after 2 retries\)$/);
  assert.equal(server.chatRequests.length, 3);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].ok, false);
  assert.equal(calls[0].error, e.message.replace(/^LLM call failed: /, ''));
});

test('streaming: the answer is reassembled from SSE chunks and usage comes from the final chunk', async () => {
  const { server, proposer, calls } = await setup([{ content: 'Thinking done.\n' + goodJson, usage: { prompt_tokens: 321, completion_tokens: 54 } }], { stream: true });
  assert.deepEqual(await proposer.propose(ctx), good);
  const body = server.chatRequests[0];
  assert.equal(body.stream, true);
  assert.deepEqual(body.stream_options, { include_usage: true });
  assert.equal(calls[0].usage.promptTokens, 321);
  assert.equal(calls[0].usage.completionTokens, 54);
  assert.equal(calls[0].usage.estimated, undefined);
});

test('a server that rejects json_schema: fall back without it, and skip it on later calls', async () => {
  const { server, proposer, calls } = await setup([{ content: goodJson }, { content: goodJson }], {}, { rejectJsonSchema: true });
  assert.deepEqual(await proposer.propose(ctx), good);
  assert.deepEqual(await proposer.propose(ctx), good);
  const formats = server.chatRequests.map((b) => b.response_format?.type ?? 'none');
  assert.deepEqual(formats, ['json_schema', 'none', 'none']);
  assert.deepEqual(calls.map((c) => c.ok), [true, true]);
});

test('token usage: reported counts, and an estimate marked as such when the server gives none', async () => {
  const { proposer, calls } = await setup([{ content: goodJson, usage: { prompt_tokens: 1000, completion_tokens: 20 } }, { content: goodJson, usage: null }]);
  await proposer.propose(ctx);
  await proposer.propose(ctx);
  assert.deepEqual({ ...calls[0].usage, ms: 0 }, { purpose: 'proposal', model: 'test-model', promptTokens: 1000, completionTokens: 20, ms: 0 });
  assert.ok(calls[0].usage.ms >= 0);
  const promptChars = buildProposalMessages(ctx).reduce((n, m) => n + m.content.length, 0);
  assert.deepEqual({ ...calls[1].usage, ms: 0 }, {
    purpose: 'proposal', model: 'test-model', promptTokens: Math.ceil(promptChars / 4), completionTokens: Math.ceil(goodJson.length / 4), ms: 0, estimated: true,
  });
});

test('the prompt holds the rules, the parameter table, the files, the history, the best and the guidance', async () => {
  const { server, proposer } = await setup([{ content: goodJson }]);
  await proposer.propose(ctx);
  const [system, user] = server.chatRequests[0].messages;
  assert.equal(system.role, 'system');
  assert.match(system.content, /fixed wall-clock budget of 300 seconds/);
  assert.match(system.content, /val_bpb \(lower is better\)/);
  assert.match(system.content, /Edit only these files: `train\.py`/);
  assert.match(system.content, /simpler is better/);
  assert.match(system.content, /"description": "one line", "hypothesis": "why it should help"/);
  assert.match(user.content, /Find the best small GPT/);
  assert.match(user.content, /\| LR \| 3e-4 \| float \| {2}\|/);
  assert.match(user.content, /\| DEPTH \| 8 \| int \| frozen: do not change \|/);
  assert.match(user.content, /\| ACTIVATION \| "relu" \| string \| choices: "relu", "gelu", "silu" \|/);
  assert.ok(user.content.includes('```python\n' + TRAIN_PY + '```'));
  assert.match(user.content, /#1 DISCARD: double LR \[LR 0\.0003 → 0\.0006\] — val_bpb 1\.0123 \(Δ \+0\.0123, worse\)/);
  assert.match(user.content, /#2 KEEP: halve LR \[LR 0\.0003 → 0\.00015\] — val_bpb 0\.9912 \(Δ -0\.0088, better\)/);
  assert.match(user.content, /#3 REJECTED: huge batch — rejected before training: DEPTH is frozen/);
  assert.match(user.content, /#4 CRASH: GELU everywhere \[ACTIVATION "relu" → "gelu"\] — crashed/);
  assert.match(user.content, /Best so far\nval_bpb 0\.9912 \(experiment #2\)/);
  assert.match(user.content, /- LR=0\.0006/);
  assert.match(user.content, /- LR went down and helped: consider going further down\./);
  assert.match(user.content, /Propose experiment #5\./);
  assert.deepEqual(buildProposalMessages(ctx), buildProposalMessages(structuredClone(ctx)), 'same context, same text');
});

test('the API key never appears in errors, even when the server echoes it', async () => {
  const echo = { error: { message: `Incorrect API key provided: ${SECRET}`, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } };
  const { proposer, calls } = await setup([{ status: 401, body: echo }]);
  const e = await proposalError(proposer.propose(ctx));
  assert.ok(!e.message.includes(SECRET), e.message);
  assert.match(e.message, /HTTP 401 Incorrect API key provided: \*\*\* \(check OPENAI_API_KEY\)/);
  assert.ok(!JSON.stringify(calls).includes(SECRET));
  const client = new LlmClient({ baseURL: 'http://localhost:1/v1', model: 'm', apiKey: SECRET });
  assert.ok(!inspect(client, { depth: 10 }).includes(SECRET) && !JSON.stringify(client).includes(SECRET), 'a logged client shows no key');

  const gone = await startScriptedLlmServer([]);
  await gone.close();
  const refused = new LlmProposer(new LlmClient({ baseURL: gone.url, model: 'm', apiKey: SECRET, maxRetries: 0 }));
  const e2 = await proposalError(refused.propose(ctx));
  assert.match(e2.message, /could not reach the LLM endpoint http:\/\/127\.0\.0\.1:\d+\/v1/);
  assert.ok(!e2.message.includes(SECRET));
});

test('a server that never answers times out', async () => {
  const { proposer } = await setup([{ hang: true }], { timeoutSeconds: 0.3 });
  const e = await proposalError(proposer.propose(ctx));
  assert.match(e.message, /timed out after 0\.3 s/);
});

test('a stream that goes quiet after the headers is reported as stalled', async () => {
  const { proposer } = await setup([{ content: goodJson, stallAfterHeaders: true }], { stream: true, timeoutSeconds: 0.3 });
  const e = await proposalError(proposer.propose(ctx));
  assert.match(e.message, /stream from http:\/\/127\.0\.0\.1:\d+\/v1 stalled: no data for 0\.3 s/);
});

test('an abort is passed through, not recorded as a proposal failure', async () => {
  const { proposer } = await setup([{ hang: true }]);
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 50);
  await assert.rejects(proposer.propose(ctx, controller.signal), (e: unknown) => !(e instanceof ProposalError));
});

test('an abort mid-stream is not taken for a short answer', async () => {
  const { proposer, server } = await setup([{ content: goodJson, stallAfterHeaders: true }], { stream: true });
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  await assert.rejects(proposer.propose(ctx, controller.signal), (e: unknown) => !(e instanceof ProposalError));
  assert.equal(server.chatRequests.length, 1, 'no repair round on a partial answer');
});

test('an exhausted script fails loudly and at once', async () => {
  const { proposer, server } = await setup([], { maxRetries: 3 });
  const e = await proposalError(proposer.propose(ctx));
  assert.match(e.message, /script exhausted after 0 response\(s\)/);
  assert.equal(server.chatRequests.length, 1, 'not retried');
});

test('no key: a clear error for remote servers, a placeholder for loopback ones', () => {
  const saved = { key: process.env.OPENAI_API_KEY, url: process.env.OPENAI_BASE_URL };
  delete process.env.OPENAI_API_KEY;
  delete process.env.OPENAI_BASE_URL;
  try {
    assert.throws(() => new LlmClient({ model: 'gpt-4o-mini' }), (e: unknown) => e instanceof MissingApiKeyError && /set the OPENAI_API_KEY environment variable/i.test(e.message));
    assert.doesNotThrow(() => new LlmClient({ model: 'llama', baseURL: 'http://localhost:11434/v1' }));
    process.env.OPENAI_API_KEY = SECRET;
    assert.equal(new LlmClient({ model: 'gpt-4o-mini' }).baseURL, 'https://api.openai.com/v1');
  } finally {
    if (saved.key === undefined) delete process.env.OPENAI_API_KEY;
    else process.env.OPENAI_API_KEY = saved.key;
    if (saved.url !== undefined) process.env.OPENAI_BASE_URL = saved.url;
  }
  assert.ok(isLoopbackUrl('http://127.0.0.1:8080/v1') && isLoopbackUrl('http://[::1]:8000/v1') && !isLoopbackUrl('https://api.example.com/v1'));
  assert.equal(tokenLimitField('https://api.openai.com/v1'), 'max_completion_tokens');
  assert.equal(tokenLimitField('http://localhost:8000/v1'), 'max_tokens');
});

test('maxTokens and temperature are sent when set', async () => {
  const { server, client } = await setup([{ content: goodJson }], { maxTokens: 512, temperature: 0.2 });
  await client.chat('probe', [{ role: 'user', content: 'hi' }]);
  assert.equal(server.chatRequests[0].max_tokens, 512);
  assert.equal(server.chatRequests[0].temperature, 0.2);
  assert.equal(server.chatRequests[0].response_format, undefined, 'no schema asked, none sent');
});

test('the scripted server runs as a standalone process for end-to-end tests', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scripted-llm-'));
  const scriptFile = join(dir, 'script.json');
  writeFileSync(scriptFile, JSON.stringify({ responses: [{ content: goodJson }], loop: true }));
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/scriptedLlmServer.ts', '--script', scriptFile, '--request-log', join(dir, 'requests.jsonl')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const proposer = new LlmProposer(new LlmClient({ baseURL: url, model: 'm', maxRetries: 0 }));
    assert.deepEqual(await proposer.propose(ctx), good);
    assert.deepEqual(await proposer.propose(ctx), good, 'the script loops');
  } finally {
    child.kill('SIGTERM');
  }
});
