import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletionCreateParamsBase } from 'openai/resources/chat/completions';
import type { LlmUsage } from '../../shared/trace/events';
import type { LlmCallListener } from '../proposers/proposer';

export interface LlmSettings {
  /** OpenAI-compatible endpoint ending in /v1. Default: OPENAI_BASE_URL, else OpenAI. */
  baseURL?: string;
  model: string;
  /** Default: OPENAI_API_KEY. Never logged, never put in errors or the trace. */
  apiKey?: string;
  temperature?: number;
  maxTokens?: number;
  stream?: boolean;
  /** Per HTTP attempt; a stream that goes this long without data counts as stalled. Default 120. */
  timeoutSeconds?: number;
  /** Retries of 408/409/429/5xx and connection failures, with the openai client's backoff. Default 4. */
  maxRetries?: number;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** LlmUsage, marked when the server reported no token counts and they were estimated from characters. */
export type MeteredUsage = LlmUsage;

export interface ChatResult {
  text: string;
  usage: MeteredUsage;
  /** As the server gave it; 'length' means the answer was cut off at maxTokens. */
  finishReason?: string;
}

export interface ChatOptions {
  jsonSchema?: { name: string; schema: object };
  signal?: AbortSignal;
}

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

/** Removes every occurrence of the key, in case a server echoes it back. */
export function redact(text: string, secret: string | undefined): string {
  return secret && secret.length >= 4 ? text.split(secret).join('***') : text;
}

/** Characters / 4: the usual rule of thumb, for servers that report no usage. */
export const estimateTokens = (chars: number) => Math.ceil(chars / 4);

/** One line on why a call failed, for the trace and the researcher. */
export function describeLlmError(e: unknown, where: { baseURL: string; timeoutSeconds: number; maxRetries: number }): { message: string; status?: number } {
  const url = displayUrl(where.baseURL);
  const afterRetries = where.maxRetries > 0 ? ` (gave up after ${where.maxRetries} ${where.maxRetries === 1 ? 'retry' : 'retries'})` : '';
  if (e instanceof APIUserAbortError) return { message: 'LLM request aborted' };
  if (e instanceof APIConnectionTimeoutError) return { message: `LLM request to ${url} timed out after ${where.timeoutSeconds} s${afterRetries}` };
  if (e instanceof APIConnectionError) {
    const cause = e.cause instanceof Error ? `${e.cause.message}${e.cause.cause instanceof Error ? `: ${e.cause.cause.message}` : ''}` : e.message;
    return { message: `could not reach the LLM endpoint ${url}: ${cause}${afterRetries}` };
  }
  if (e instanceof APIError && e.status !== undefined) {
    const retried = e.status === 408 || e.status === 409 || e.status === 429 || e.status >= 500 ? afterRetries : '';
    const hint = e.status === 401 || e.status === 403 ? ' (check OPENAI_API_KEY)' : e.status === 404 ? ' (check llm.baseURL and llm.model)' : '';
    return { message: `LLM endpoint ${url} answered HTTP ${e.message}${hint}${retried}`, status: e.status };
  }
  return { message: `LLM request to ${url} failed: ${e instanceof Error ? e.message : String(e)}` };
}

/** Thrown inside a stream that went quiet, so the failure says so instead of looking like an abort. */
class StreamStalled extends Error {}

/**
 * A thin wrapper over the openai client for one endpoint and model. Retries and backoff are the
 * client's own; this adds structured-output fallback, usage metering, and key-free errors. Every
 * chat() call is reported once to `onCall`, with the time spent including retries.
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
    this.#client = new OpenAI({
      apiKey: this.#apiKey,
      baseURL: this.baseURL,
      maxRetries: this.maxRetries,
      timeout: Math.max(1, Math.round(this.timeoutSeconds * 1000)),
    });
  }

  async chat(purpose: string, messages: ChatMessage[], opts: ChatOptions = {}): Promise<ChatResult> {
    const started = Date.now();
    const promptChars = messages.reduce((sum, m) => sum + m.content.length, 0);
    try {
      const answer = await this.completeWithFallback(messages, opts);
      const usage: MeteredUsage = answer.usage
        ? { purpose, model: this.model, promptTokens: answer.usage.prompt_tokens, completionTokens: answer.usage.completion_tokens, ms: Date.now() - started }
        : { purpose, model: this.model, promptTokens: estimateTokens(promptChars), completionTokens: estimateTokens(answer.text.length), ms: Date.now() - started, estimated: true };
      this.onCall?.(usage, true);
      return { text: answer.text, usage, finishReason: answer.finishReason };
    } catch (e) {
      const { message, status } =
        e instanceof StreamStalled
          ? { message: `LLM stream from ${displayUrl(this.baseURL)} stalled: no data for ${this.timeoutSeconds} s`, status: undefined }
          : describeLlmError(e, { baseURL: this.baseURL, timeoutSeconds: this.timeoutSeconds, maxRetries: this.maxRetries });
      const safe = redact(message, this.#apiKey);
      this.onCall?.({ purpose, model: this.model, promptTokens: 0, completionTokens: 0, ms: Date.now() - started }, false, safe);
      throw new LlmError(safe, status);
    }
  }

  private async completeWithFallback(messages: ChatMessage[], opts: ChatOptions): Promise<Completion> {
    const schema = this.structuredOutputUnsupported ? undefined : opts.jsonSchema;
    try {
      return await this.complete(messages, schema, opts.signal);
    } catch (e) {
      if (!schema || !(e instanceof APIError) || !rejectsStructuredOutput(e.status, `${e.message} ${e.param ?? ''}`)) throw e;
      this.structuredOutputUnsupported = true;
      return await this.complete(messages, undefined, opts.signal);
    }
  }

  private async complete(messages: ChatMessage[], jsonSchema: ChatOptions['jsonSchema'], signal?: AbortSignal): Promise<Completion> {
    const body: ChatCompletionCreateParamsBase = { model: this.model, messages };
    if (this.#settings.temperature !== undefined) body.temperature = this.#settings.temperature;
    if (this.#settings.maxTokens !== undefined) body[tokenLimitField(this.baseURL)] = this.#settings.maxTokens;
    if (jsonSchema) {
      body.response_format = { type: 'json_schema', json_schema: { name: jsonSchema.name, schema: jsonSchema.schema as Record<string, unknown>, strict: false } };
    }
    if (!this.#settings.stream) {
      const completion = await this.#client.chat.completions.create({ ...body, stream: false }, { signal });
      const choice = completion.choices[0];
      return { text: choice?.message?.content ?? '', usage: completion.usage ?? undefined, finishReason: choice?.finish_reason ?? undefined };
    }
    const stream = await this.#client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } }, { signal });
    let text = '';
    let usage: Completion['usage'];
    let finishReason: string | undefined;
    let stalled = false;
    // The client's timeout ends when the headers arrive; a stream can still go quiet after that.
    let watchdog: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        stalled = true;
        stream.controller.abort();
      }, this.timeoutSeconds * 1000);
    };
    try {
      arm();
      for await (const chunk of stream) {
        arm();
        const choice = chunk.choices[0];
        text += choice?.delta?.content ?? '';
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        if (chunk.usage) usage = chunk.usage;
      }
    } catch (e) {
      if (stalled) throw new StreamStalled();
      throw e;
    } finally {
      clearTimeout(watchdog);
    }
    // The openai stream ends quietly when aborted, which would pass a partial answer off as whole.
    if (stalled) throw new StreamStalled();
    if (signal?.aborted) throw new APIUserAbortError();
    return { text, usage, finishReason };
  }
}

interface Completion {
  text: string;
  usage?: { prompt_tokens: number; completion_tokens: number };
  finishReason?: string;
}
