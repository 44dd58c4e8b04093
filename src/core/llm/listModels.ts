import OpenAI from 'openai';
import { redactText } from '../secrets/secrets';
import { describeLlmError, isLoopbackUrl, MissingApiKeyError, OPENAI_BASE_URL } from './llmClient';

/**
 * The model ids an OpenAI-compatible endpoint serves (`GET /models`), sorted, for a model picker.
 * Fails with a one-line, key-free message.
 */
export async function listModels(opts: { baseURL?: string; apiKey?: string; timeoutSeconds?: number; signal?: AbortSignal }): Promise<string[]> {
  const baseURL = (opts.baseURL || process.env.OPENAI_BASE_URL || OPENAI_BASE_URL).replace(/\/+$/, '');
  const key = opts.apiKey || process.env.OPENAI_API_KEY;
  if (!key && !isLoopbackUrl(baseURL)) throw new MissingApiKeyError(baseURL);
  const timeoutSeconds = opts.timeoutSeconds ?? 20;
  const client = new OpenAI({ apiKey: key || 'sk-no-key-required', baseURL, maxRetries: 0, timeout: timeoutSeconds * 1000 });
  const ids: string[] = [];
  try {
    for await (const m of client.models.list({ signal: opts.signal })) ids.push(m.id);
  } catch (e) {
    throw new Error(redactText(describeLlmError(e, { baseURL, timeoutSeconds, retries: 0 }).message, key ? [key] : []));
  }
  return [...new Set(ids)].sort((a, b) => a.localeCompare(b));
}
