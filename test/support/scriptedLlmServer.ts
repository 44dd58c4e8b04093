import { appendFileSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

/**
 * A real OpenAI-compatible HTTP server for tests, answering from a script. Responses:
 *   { content }            a chat completion (streamed as SSE when the request asks for it)
 *   { status, body? }      an error status; body defaults to an OpenAI-style error object
 *   { hang: true }         never answers (for timeouts)
 * Any of them may carry `delayMs` (wait before answering). Errors may carry `retryAfterMs`, sent as
 * the `retry-after-ms` header, to keep retry tests fast, and `retryAfter`, sent as `Retry-After`.
 */
export type ScriptedResponse = (
  | {
      content: string;
      /** Token counts to report; null reports none. Default: characters / 4. */
      usage?: { prompt_tokens: number; completion_tokens: number } | null;
      finishReason?: 'stop' | 'length';
      /** Send the headers and the first part of the answer (the first SSE chunk, or half the JSON body), then go quiet. */
      stallAfterHeaders?: boolean;
      /** Answer with these tool calls (and `content` as the text, null when empty), as a model calling a tool does. */
      toolCalls?: { name: string; arguments: string }[];
    }
  | { status: number; body?: unknown; retryAfterMs?: number; retryAfter?: number | string }
  | { hang: true }
) & { delayMs?: number };

export interface ChatRequestBody {
  model: string;
  messages: { role: string; content: string }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  response_format?: { type: string; json_schema?: { name: string; schema: unknown; strict?: boolean } };
  [key: string]: unknown;
}

export interface RecordedRequest {
  method: string;
  path: string;
  authorization?: string;
  body: ChatRequestBody | null;
}

export type Script = ScriptedResponse[] | ((request: ChatRequestBody, index: number) => ScriptedResponse);

export interface ScriptedServerOptions {
  /** Answer any request carrying response_format json_schema with a 400, as some servers do. */
  rejectJsonSchema?: boolean;
  /** Start again from the first response when the queue runs out (long CLI runs). */
  loop?: boolean;
  port?: number;
  /** Append every chat request body to this file as a JSON line (for a server in another process). */
  requestLog?: string;
}

export interface ScriptedLlmServer {
  /** Base URL ending in /v1. */
  url: string;
  /** Every request, rejected ones included, in arrival order. */
  requests: RecordedRequest[];
  /** The chat requests' bodies only. */
  readonly chatRequests: ChatRequestBody[];
  close(): Promise<void>;
}

const MODEL = 'scripted-model';
const estimate = (chars: number) => Math.ceil(chars / 4);

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const errorBody = (message: string, type = 'invalid_request_error', param: string | null = null) => ({ error: { message, type, param, code: null } });

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Splits content into a few pieces so streaming clients have to reassemble it. */
function pieces(content: string): string[] {
  if (!content) return [''];
  const size = Math.max(1, Math.ceil(content.length / 4));
  const out: string[] = [];
  for (let i = 0; i < content.length; i += size) out.push(content.slice(i, i + size));
  return out;
}

function answer(res: ServerResponse, request: ChatRequestBody, r: Extract<ScriptedResponse, { content: string }>, id: string): void {
  const promptChars = request.messages.reduce((n, m) => n + String(m.content ?? '').length, 0);
  const usage =
    r.usage === null
      ? undefined
      : r.usage
        ? { ...r.usage, total_tokens: r.usage.prompt_tokens + r.usage.completion_tokens }
        : { prompt_tokens: estimate(promptChars), completion_tokens: estimate(r.content.length), total_tokens: estimate(promptChars) + estimate(r.content.length) };
  const created = Math.floor(Date.now() / 1000);
  const finishReason = r.finishReason ?? (r.toolCalls ? 'tool_calls' : 'stop');
  const toolCalls = r.toolCalls?.map((t, index) => ({ index, id: `call_${index}`, type: 'function', function: { name: t.name, arguments: t.arguments } }));
  if (!request.stream) {
    const message = { role: 'assistant', content: toolCalls && !r.content ? null : r.content, ...(toolCalls ? { tool_calls: toolCalls.map(({ index: _, ...t }) => t) } : {}) };
    const body = JSON.stringify({
      id,
      object: 'chat.completion',
      created,
      model: request.model ?? MODEL,
      choices: [{ index: 0, message, finish_reason: finishReason, logprobs: null }],
      ...(usage ? { usage } : {}),
    });
    if (r.stallAfterHeaders) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
      res.write(body.slice(0, Math.floor(body.length / 2)));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: request.model ?? MODEL, choices, ...extra })}\n\n`);
  const parts = pieces(r.content);
  if (r.stallAfterHeaders) {
    chunk([{ index: 0, delta: { role: 'assistant', content: parts[0] }, finish_reason: null }]);
    return;
  }
  parts.forEach((text, i) => chunk([{ index: 0, delta: i === 0 ? { role: 'assistant', content: text } : { content: text }, finish_reason: null }]));
  if (toolCalls) chunk([{ index: 0, delta: { tool_calls: toolCalls }, finish_reason: null }]);
  chunk([{ index: 0, delta: {}, finish_reason: finishReason }]);
  if (usage && request.stream_options?.include_usage) chunk([], { usage });
  res.write('data: [DONE]\n\n');
  res.end();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startScriptedLlmServer(script: Script, options: ScriptedServerOptions = {}): Promise<ScriptedLlmServer> {
  const requests: RecordedRequest[] = [];
  let scripted = 0;

  const next = (body: ChatRequestBody): ScriptedResponse => {
    const index = scripted++;
    if (typeof script === 'function') return script(body, index);
    if (index < script.length) return script[index];
    if (options.loop && script.length) return script[index % script.length];
    return {
      status: 500,
      body: errorBody(`scripted LLM server: script exhausted after ${script.length} response(s); chat request #${index + 1} has no scripted answer`, 'script_exhausted'),
    };
  };

  const server = createServer(async (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const raw = await readBody(req);
    let body: ChatRequestBody | null = null;
    try {
      body = raw ? (JSON.parse(raw) as ChatRequestBody) : null;
    } catch {
      body = null;
    }
    requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization, body });

    if (req.method === 'GET' && path === '/v1/models') {
      sendJson(res, 200, { object: 'list', data: [{ id: MODEL, object: 'model', created: 0, owned_by: 'scripted' }] });
      return;
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      sendJson(res, 404, errorBody(`scripted LLM server: no route for ${req.method} ${path}`));
      return;
    }
    if (!body || !Array.isArray(body.messages)) {
      sendJson(res, 400, errorBody('request body must be JSON with a messages array', 'invalid_request_error', 'messages'));
      return;
    }
    if (options.requestLog) appendFileSync(options.requestLog, `${JSON.stringify(body)}\n`);
    if (options.rejectJsonSchema && body.response_format?.type === 'json_schema') {
      sendJson(res, 400, errorBody("response_format of type 'json_schema' is not supported by this server", 'invalid_request_error', 'response_format'));
      return;
    }
    const r = next(body);
    if (r.delayMs) await sleep(r.delayMs);
    if ('hang' in r) return;
    if ('status' in r) {
      const headers: Record<string, string> = {};
      if (r.retryAfterMs !== undefined) headers['retry-after-ms'] = String(r.retryAfterMs);
      if (r.retryAfter !== undefined) headers['retry-after'] = String(r.retryAfter);
      // An exhausted script must fail the test at once, not after the client's retries.
      if ((r.body as { error?: { type?: string } } | undefined)?.error?.type === 'script_exhausted') headers['x-should-retry'] = 'false';
      sendJson(res, r.status, r.body ?? errorBody(`scripted error ${r.status}`, r.status === 429 ? 'rate_limit_exceeded' : 'server_error'), headers);
      return;
    }
    answer(res, body, r, `chatcmpl-scripted-${scripted}`);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    get chatRequests() {
      return requests.filter((r) => r.path === '/v1/chat/completions' && r.body).map((r) => r.body!);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Standalone, for end-to-end tests that run the CLI as a child process:
 *   node --import tsx test/support/scriptedLlmServer.ts --script file.json [--port N] [--request-log file.jsonl]
 * The script file is an array of responses, or { "responses": [...], "loop": true, "rejectJsonSchema": true }.
 * Prints the base URL as its first line, then serves until SIGTERM/SIGINT.
 */
async function main(argv: string[]): Promise<void> {
  const arg = (name: string) => {
    const i = argv.indexOf(name);
    return i === -1 ? undefined : argv[i + 1];
  };
  const file = arg('--script');
  if (!file) {
    process.stderr.write('usage: scriptedLlmServer.ts --script file.json [--port N] [--request-log file.jsonl]\n');
    process.exit(2);
  }
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as ScriptedResponse[] | ({ responses: ScriptedResponse[] } & ScriptedServerOptions);
  const responses = Array.isArray(parsed) ? parsed : parsed.responses;
  const fileOptions = Array.isArray(parsed) ? {} : { loop: parsed.loop, rejectJsonSchema: parsed.rejectJsonSchema };
  const port = arg('--port');
  const server = await startScriptedLlmServer(responses, { ...fileOptions, port: port ? Number(port) : undefined, requestLog: arg('--request-log') });
  process.stdout.write(`${server.url}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  });
}
