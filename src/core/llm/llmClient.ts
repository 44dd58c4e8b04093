import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionCreateParamsBase } from 'openai/resources/chat/completions';
import { setTimeout as sleep } from 'node:timers/promises';
import { redactText } from '../secrets/secrets';
import type { LlmUsage } from '../../shared/trace/events';
import type { LlmSettings } from '../target/targetConfig';
import type { ChatMessage, ChatOptions, ChatResult, LlmCallListener } from './chatModel';

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';
const DEFAULT_TIMEOUT_SECONDS = 120;
const DEFAULT_MAX_RETRIES = 4;
/** Local servers ignore the key, but the openai client insists on one. */
const LOOPBACK_PLACEHOLDER_KEY = 'sk-no-key-required';

/** No key and a server that needs one. Thrown by the constructor, so a run fails before it starts. */
export class MissingApiKeyError extends Error {
  constructor(baseURL: string) {
    super(
      `No API key for the LLM endpoint ${displayUrl(baseURL)}. Set the OPENAI_API_KEY environment variable ` +
        '(or point llm.baseURL at a local OpenAI-compatible server such as http://localhost:11434/v1, which needs none).',
    );
    this.name = 'MissingApiKeyError';
  }
}

/** A chat call that failed after the client's own retries. The message never contains the API key. */
export class LlmError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'LlmError';
  }
}

/** Loopback servers (ollama, llama.cpp, vLLM on this machine) run without a key. */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  host = host.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || host === '0.0.0.0' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The URL without credentials, for messages. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** OpenAI's reasoning models refuse `max_tokens`; most other servers only know `max_tokens`. */
export function tokenLimitField(baseURL: string): 'max_tokens' | 'max_completion_tokens' {
  try {
    return new URL(baseURL).hostname === 'api.openai.com' ? 'max_completion_tokens' : 'max_tokens';
  } catch {
    return 'max_tokens';
  }
}

/** A 400/422 that says the server can't do structured output (rather than that the request is otherwise wrong). */
export function rejectsStructuredOutput(status: number | undefined, message: string): boolean {
  return (status === 400 || status === 422) && /response_format|response format|json_schema|json schema|structured output|guided/i.test(message);
}

/** Characters / 4: the usual rule of thumb, for servers that report no usage. */
export const estimateTokens = (chars: number) => Math.ceil(chars / 4);

/**
 * The call's token counts: the server's where it gave them, else estimated from characters and marked
 * so. A count that is missing, not a number, or zero for a non-empty text is not a count. Pure.
 */
export function meteredUsage(
  call: { purpose: string; model: string; ms: number },
  reported: { prompt_tokens?: unknown; completion_tokens?: unknown } | undefined,
  chars: { prompt: number; answer: number },
): LlmUsage {
  const count = (v: unknown, textChars: number) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 && !(v === 0 && textChars > 0) ? v : undefined);
  const promptTokens = count(reported?.prompt_tokens, chars.prompt);
  const completionTokens = count(reported?.completion_tokens, chars.answer);
  const usage: LlmUsage = { ...call, promptTokens: promptTokens ?? estimateTokens(chars.prompt), completionTokens: completionTokens ?? estimateTokens(chars.answer) };
  return promptTokens === undefined || completionTokens === undefined ? { ...usage, estimated: true } : usage;
}

/** The pause a response asks for (`retry-after-ms`, or `retry-after` in seconds or as an HTTP date), in ms. Pure. */
export function requestedRetryMs(headers: Pick<Headers, 'get'> | undefined, now = Date.now()): number | undefined {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers?.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Statuses worth another attempt, unless the server says otherwise (x-should-retry). */
function retryableStatus(e: APIError): boolean {
  const says = e.headers?.get('x-should-retry');
  if (says === 'true' || says === 'false') return says === 'true';
  const status = e.status ?? 0;
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** Exponential backoff like the openai client's (0.5 s doubling to 8 s, less up to a quarter of jitter). */
const backoffMs = (retry: number) => Math.min(500 * 2 ** retry, 8000) * (1 - Math.random() * 0.25);

/**
 * What to do after attempt `retry` (0-based) failed with `e`: give up, wait `ms` and retry, or fail at
 * once because the server asks for a pause longer than the call's timeout. Pure (but for the jitter).
 */
export function retryPlan(e: unknown, retry: number, limits: { maxRetries: number; timeoutMs: number }): { kind: 'fail' } | { kind: 'wait'; ms: number } | { kind: 'too-long'; ms: number } {
  const retryable = e instanceof AttemptTimedOut || e instanceof StreamStalled || e instanceof APIConnectionError || (e instanceof APIError && e.status !== undefined && retryableStatus(e));
  if (!retryable || retry >= limits.maxRetries) return { kind: 'fail' };
  const asked = e instanceof APIError ? requestedRetryMs(e.headers) : undefined;
  if (asked !== undefined && asked > limits.timeoutMs) return { kind: 'too-long', ms: asked };
  return { kind: 'wait', ms: Math.min(asked ?? backoffMs(retry), limits.timeoutMs) };
}

/** One line on why a call failed, for the trace and the researcher. `retries`: how many were made before it. */
export function describeLlmError(e: unknown, where: { baseURL: string; timeoutSeconds: number; retries: number }): { message: string; status?: number } {
  const url = displayUrl(where.baseURL);
  const afterRetries = where.retries > 0 ? ` (gave up after ${where.retries} ${where.retries === 1 ? 'retry' : 'retries'})` : '';
  if (e instanceof RetryTooLate) {
    const seconds = Math.ceil(e.ms / 1000);
    const why = `retry after ${seconds} s, longer than the call's timeout (llm.timeoutSeconds ${where.timeoutSeconds} s): not waiting`;
    if (e.error.status === 429) return { message: `rate limited by ${url}, ${why}`, status: 429 };
    return { message: `LLM endpoint ${url} answered HTTP ${e.error.message}; it asks to ${why}`, status: e.error.status };
  }
  if (e instanceof StreamStalled) return { message: `LLM stream from ${url} stalled: no data for ${where.timeoutSeconds} s${afterRetries}` };
  if (e instanceof APIUserAbortError) return { message: 'LLM request aborted' };
  if (e instanceof AttemptTimedOut || e instanceof APIConnectionTimeoutError) return { message: `LLM request to ${url} timed out after ${where.timeoutSeconds} s${afterRetries}` };
  if (e instanceof APIConnectionError) {
    const cause = e.cause instanceof Error ? `${e.cause.message}${e.cause.cause instanceof Error ? `: ${e.cause.cause.message}` : ''}` : e.message;
    return { message: `could not reach the LLM endpoint ${url}: ${cause}${afterRetries}` };
  }
  if (e instanceof APIError && e.status !== undefined) {
    const retried = retryableStatus(e) ? afterRetries : '';
    const hint = e.status === 401 || e.status === 403 ? ' (check OPENAI_API_KEY)' : e.status === 404 ? ' (check llm.baseURL and llm.model)' : '';
    return { message: `LLM endpoint ${url} answered HTTP ${e.message}${hint}${retried}`, status: e.status };
  }
  return { message: `LLM request to ${url} failed: ${e instanceof Error ? e.message : String(e)}` };
}

/** An attempt whose answer did not arrive whole within the timeout (headers and body). */
class AttemptTimedOut extends Error {}

/** A stream that went quiet after its headers, so the failure says so instead of looking like an abort. */
class StreamStalled extends Error {}

/** The server asked for a pause longer than the call may wait. */
class RetryTooLate extends Error {
  constructor(
    readonly error: APIError,
    readonly ms: number,
  ) {
    super('retry after too long');
  }
}

// setTimeout fires at once for delays beyond a signed 32-bit number of milliseconds.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The clock and the off switch of one HTTP attempt: its signal aborts when the caller's does, or
 * when the time runs out (`expired`). A stream restarts the clock on every chunk.
 */
class Attempt {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  expired = false;
  private readonly onAbort = () => this.controller.abort();

  constructor(
    private readonly ms: number,
    private readonly outer?: AbortSignal,
  ) {
    if (outer?.aborted) this.controller.abort();
    outer?.addEventListener('abort', this.onAbort, { once: true });
    this.restart();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  restart(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.expired = true;
      this.controller.abort();
    }, Math.min(this.ms, MAX_TIMER_MS));
  }

  end(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener('abort', this.onAbort);
  }
}

/**
 * A thin wrapper over the openai client for one endpoint and model. Retries are its own rather than
 * the client's, so that every wait is bounded by the timeout and ended by the signal: a call lasts at
 * most (2 × maxRetries + 1) × timeoutSeconds, and an abort ends it at once. It adds structured-output
 * fallback, usage metering, and key-free errors. Every chat() call is reported once to `onCall`, with
 * the time spent including retries and, for an answer `check` refuses, why.
 */
export class LlmClient {
  readonly baseURL: string;
  readonly model: string;
  // Native private fields: util.inspect and JSON.stringify don't show them, so the key can't leak through a log of this object.
  readonly #client: OpenAI;
  readonly #apiKey: string;
  readonly #settings: LlmSettings;
  private readonly timeoutSeconds: number;
  private readonly maxRetries: number;
  /** Set once a server refuses response_format, so later calls don't pay for the refusal again. */
  private structuredOutputUnsupported = false;

  constructor(
    settings: LlmSettings,
    private readonly onCall?: LlmCallListener,
  ) {
    this.#settings = { ...settings };
    this.baseURL = (settings.baseURL || process.env.OPENAI_BASE_URL || OPENAI_BASE_URL).replace(/\/+$/, '');
    this.model = settings.model;
    const key = settings.apiKey || process.env.OPENAI_API_KEY;
    if (!key && !isLoopbackUrl(this.baseURL)) throw new MissingApiKeyError(this.baseURL);
    this.#apiKey = key || LOOPBACK_PLACEHOLDER_KEY;
    this.timeoutSeconds = settings.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
    this.maxRetries = settings.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.#client = new OpenAI({ apiKey: this.#apiKey, baseURL: this.baseURL, maxRetries: 0, timeout: this.timeoutMs });
  }

  private get timeoutMs(): number {
    return Math.max(1, Math.round(this.timeoutSeconds * 1000));
  }

  async chat(purpose: string, messages: ChatMessage[], opts: ChatOptions = {}): Promise<ChatResult> {
    const started = Date.now();
    const call = () => ({ purpose, model: this.model, ms: Date.now() - started });
    let answer: Completion;
    try {
      answer = await this.completeWithFallback(messages, opts);
    } catch (e) {
      const failure = e instanceof CallFailed ? e : new CallFailed(e, 0);
      const { message, status } = describeLlmError(failure.error, { baseURL: this.baseURL, timeoutSeconds: this.timeoutSeconds, retries: failure.retries });
      const safe = redactText(message, [this.#apiKey]);
      this.onCall?.({ usage: { ...call(), promptTokens: 0, completionTokens: 0 }, ok: false, error: safe });
      throw new LlmError(safe, status);
    }
    const promptChars = messages.reduce((sum, m) => sum + m.content.length, 0);
    const usage = meteredUsage(call(), answer.usage, { prompt: promptChars, answer: answer.text.length });
    const result: ChatResult = { text: answer.text, usage, finishReason: answer.finishReason };
    const answerError = opts.check?.(result);
    this.onCall?.({ usage, ok: true, ...(answerError !== undefined ? { answerError: redactText(answerError, [this.#apiKey]) } : {}) });
    return result;
  }

  private async completeWithFallback(messages: ChatMessage[], opts: ChatOptions): Promise<Completion> {
    const schema = this.structuredOutputUnsupported ? undefined : opts.jsonSchema;
    try {
      return await this.withRetries(messages, schema, opts.signal);
    } catch (e) {
      const error = e instanceof CallFailed ? e.error : e;
      if (!schema || !(error instanceof APIError) || !rejectsStructuredOutput(error.status, `${error.message} ${error.param ?? ''}`)) throw e;
      this.structuredOutputUnsupported = true;
      return await this.withRetries(messages, undefined, opts.signal);
    }
  }

  /** Attempts until one answers, the retries run out, or the signal aborts; every pause bounded by the timeout. */
  private async withRetries(messages: ChatMessage[], jsonSchema: ChatOptions['jsonSchema'], signal?: AbortSignal): Promise<Completion> {
    for (let retry = 0; ; retry++) {
      try {
        return await this.complete(messages, jsonSchema, signal);
      } catch (e) {
        if (signal?.aborted) throw new CallFailed(new APIUserAbortError(), retry);
        const plan = retryPlan(e, retry, { maxRetries: this.maxRetries, timeoutMs: this.timeoutMs });
        if (plan.kind === 'fail') throw new CallFailed(e, retry);
        if (plan.kind === 'too-long') throw new CallFailed(new RetryTooLate(e as APIError, plan.ms), retry);
        try {
          await sleep(plan.ms, undefined, { signal });
        } catch {
          throw new CallFailed(new APIUserAbortError(), retry);
        }
      }
    }
  }

  private async complete(messages: ChatMessage[], jsonSchema: ChatOptions['jsonSchema'], signal?: AbortSignal): Promise<Completion> {
    const body: ChatCompletionCreateParamsBase = { model: this.model, messages };
    if (this.#settings.temperature !== undefined) body.temperature = this.#settings.temperature;
    if (this.#settings.maxTokens !== undefined) body[tokenLimitField(this.baseURL)] = this.#settings.maxTokens;
    if (jsonSchema) {
      body.response_format = { type: 'json_schema', json_schema: { name: jsonSchema.name, schema: jsonSchema.schema as Record<string, unknown>, strict: false } };
    }
    // The openai client's own timeout ends when the headers arrive; the attempt's clock runs on to the last byte.
    const attempt = new Attempt(this.timeoutMs, signal);
    let streaming = false;
    try {
      if (!this.#settings.stream) {
        const completion = await this.#client.chat.completions.create({ ...body, stream: false }, { signal: attempt.signal });
        const choice = completion.choices[0];
        const toolCallsOnly = !choice?.message?.content && !!choice?.message?.tool_calls?.length;
        return { text: choice?.message?.content ?? '', usage: completion.usage ?? undefined, finishReason: toolCallsOnly ? 'tool_calls' : (choice?.finish_reason ?? undefined) };
      }
      const stream = await this.#client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } }, { signal: attempt.signal });
      streaming = true;
      let text = '';
      let usage: Completion['usage'];
      let finishReason: string | undefined;
      let toolCalls = false;
      attempt.restart();
      for await (const chunk of stream) {
        attempt.restart();
        const choice = chunk.choices[0];
        text += choice?.delta?.content ?? '';
        if (choice?.delta?.tool_calls?.length) toolCalls = true;
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        if (chunk.usage) usage = chunk.usage;
      }
      // The openai stream ends quietly when aborted, which would pass a partial answer off as whole.
      if (attempt.expired) throw new StreamStalled();
      if (signal?.aborted) throw new APIUserAbortError();
      return { text, usage, finishReason: toolCalls && !text ? 'tool_calls' : finishReason };
    } catch (e) {
      if (attempt.expired) throw streaming ? new StreamStalled() : new AttemptTimedOut();
      throw e;
    } finally {
      attempt.end();
    }
  }
}

/** How a call ended after its attempts: the last error, and how many retries came before it. */
class CallFailed extends Error {
  constructor(
    readonly error: unknown,
    readonly retries: number,
  ) {
    super('LLM call failed');
  }
}

interface Completion {
  text: string;
  usage?: { prompt_tokens: number; completion_tokens: number };
  finishReason?: string;
}
