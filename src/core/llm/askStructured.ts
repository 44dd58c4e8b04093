import Ajv from 'ajv';
import type { ChatMessage, ChatModel, ChatResult } from './chatModel';
import { parseAnswer, type Parsed } from './structuredOutput';
import { repairRequest } from './prompts/proposalPrompt';

const ajv = new Ajv({ allErrors: true, strict: false });

export interface StructuredAnswer<T> {
  value: T;
  /** Every message sent and the last answer, for the trace. */
  prompt: string;
  response: string;
}

/** The answer was unusable even after the repair round; carries what was said for the trace. */
export class UnusableAnswerError extends Error {
  constructor(
    message: string,
    readonly prompt: string,
    readonly response: string,
    /** The last answer's parse or validation error. */
    readonly reason = message,
  ) {
    super(message);
    this.name = 'UnusableAnswerError';
  }
}

/** Shape errors of `v` under a JSON schema, as "field: problem" lines. */
export function schemaErrors(schema: object): (v: unknown) => string[] {
  const validate = ajv.compile(schema);
  return (v) => (validate(v) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(answer)'} ${e.message ?? 'is invalid'}`));
}

export const renderMessages = (messages: ChatMessage[]) => messages.map((m) => `## ${m.role}\n${m.content}`).join('\n\n');

/**
 * One LLM call whose answer `parse` must accept, with exactly one repair round (the model's own answer
 * and the precise error sent back). Each answer's error is recorded with its call (ChatOptions.check)
 * before the repair. LlmError (the call failed) passes through.
 */
export async function askWithRepair<T>(
  client: ChatModel,
  purpose: string,
  messages: ChatMessage[],
  opts: { parse: (answer: ChatResult) => Parsed<T>; jsonSchema?: { name: string; schema: object }; signal?: AbortSignal },
): Promise<StructuredAnswer<T>> {
  const ask = async (p: string, m: ChatMessage[]) => {
    let parsed: Parsed<T> | undefined;
    const check = (answer: ChatResult) => {
      parsed = opts.parse(answer);
      return parsed.ok ? undefined : parsed.error;
    };
    const answer = await client.chat(p, m, { jsonSchema: opts.jsonSchema, signal: opts.signal, check });
    return { answer, parsed: parsed ?? opts.parse(answer) };
  };
  const first = await ask(purpose, messages);
  if (first.parsed.ok) return { value: first.parsed.value, prompt: renderMessages(messages), response: first.answer.text };
  const repair: ChatMessage[] = [...messages, { role: 'assistant', content: first.answer.text || '(empty answer)' }, { role: 'user', content: repairRequest(first.parsed.error) }];
  const second = await ask(`${purpose}.repair`, repair);
  if (second.parsed.ok) return { value: second.parsed.value, prompt: renderMessages(repair), response: second.answer.text };
  throw new UnusableAnswerError(`unusable answer after one repair round: ${second.parsed.error}`, renderMessages(repair), second.answer.text, second.parsed.error);
}

/** askWithRepair for an answer that must be JSON valid under `schema` (and pass `extraCheck`). */
export function askStructured<T>(
  client: ChatModel,
  purpose: string,
  messages: ChatMessage[],
  schema: { name: string; schema: object },
  signal?: AbortSignal,
  extraCheck: (v: T) => string[] = () => [],
): Promise<StructuredAnswer<T>> {
  const validate = schemaErrors(schema.schema);
  const check = (v: unknown) => {
    const shape = validate(v);
    return shape.length ? shape : extraCheck(v as T);
  };
  return askWithRepair<T>(client, purpose, messages, { parse: (answer) => parseAnswer<T>(answer, check), jsonSchema: schema, signal });
}
