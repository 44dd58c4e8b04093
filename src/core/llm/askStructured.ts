import Ajv from 'ajv';
import type { ChatMessage, LlmClient } from './llmClient';
import { parseStructured } from './structuredOutput';
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
 * One structured LLM call with exactly one repair round (the model's own answer and the precise
 * error sent back), like the proposer's. LlmError (the call failed) passes through.
 */
export async function askStructured<T>(
  client: Pick<LlmClient, 'chat'>,
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
  const first = await client.chat(purpose, messages, { jsonSchema: schema, signal });
  const parsed = parseStructured<T>(first.text, check);
  if (parsed.ok) return { value: parsed.value, prompt: renderMessages(messages), response: first.text };
  const repair: ChatMessage[] = [...messages, { role: 'assistant', content: first.text || '(empty answer)' }, { role: 'user', content: repairRequest(parsed.error) }];
  const second = await client.chat(`${purpose}.repair`, repair, { jsonSchema: schema, signal });
  const reparsed = parseStructured<T>(second.text, check);
  if (reparsed.ok) return { value: reparsed.value, prompt: renderMessages(repair), response: second.text };
  throw new UnusableAnswerError(`unusable answer after one repair round: ${reparsed.error}`, renderMessages(repair), second.text);
}
