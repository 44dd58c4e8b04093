/** Why a model's answer holds no usable JSON object; the message is what the repair round sends back. */
export class StructuredOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StructuredOutputError';
  }
}

/**
 * Drops reasoning blocks. Some chat templates put the opening <think> in the prompt, so a lone
 * </think> still ends the reasoning; an unclosed <think> means the answer was cut off while thinking.
 */
function stripThinking(text: string): { text: string; unclosedThink: boolean } {
  const close = text.lastIndexOf('</think>');
  let rest = close === -1 ? text : text.slice(close + '</think>'.length);
  const open = rest.indexOf('<think>');
  if (open !== -1) rest = rest.slice(0, open);
  return { text: rest, unclosedThink: open !== -1 };
}

/** Index just past the `}` that closes the `{` at `start`, or -1 when the text ends first. Skips braces inside strings. */
function closingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return -1;
}

/**
 * `{` followed by a key or `}`: a JSON object starting, rather than a brace in prose or code. A
 * single-quoted key counts, so that `{'a': 1}` is reported as invalid JSON rather than as no JSON.
 */
const looksLikeJsonObject = (text: string, start: number) => /^\{\s*(?:"|'|\}|$)/.test(text.slice(start, start + 200));

type Found =
  | { kind: 'object'; value: Record<string, unknown> }
  | { kind: 'invalid'; at: number; message: string }
  | { kind: 'truncated'; at: number };

/** Every top-level `{…}` span in order: parsed objects, spans that look like JSON but don't parse, and a trailing cut-off one. */
function scanObjects(text: string): Found[] {
  const found: Found[] = [];
  let i = text.indexOf('{');
  while (i !== -1) {
    const end = closingBrace(text, i);
    if (end === -1) {
      if (looksLikeJsonObject(text, i)) {
        found.push({ kind: 'truncated', at: i });
        break;
      }
      i = text.indexOf('{', i + 1);
      continue;
    }
    try {
      const value: unknown = JSON.parse(text.slice(i, end));
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        found.push({ kind: 'object', value: value as Record<string, unknown> });
        i = text.indexOf('{', end);
        continue;
      }
    } catch (e) {
      if (looksLikeJsonObject(text, i)) {
        // Objects nested in a broken answer are fragments of it, not answers.
        found.push({ kind: 'invalid', at: i, message: (e as Error).message });
        i = text.indexOf('{', end);
        continue;
      }
    }
    i = text.indexOf('{', i + 1);
  }
  return found;
}

/**
 * The JSON object a model answered with. Accepts bare JSON, ```json fences, reasoning text around
 * it and <think> blocks before it; picks the last complete top-level object that parses. An object
 * cut off after it (the answer hit the token limit) is an error rather than a reason to fall back
 * on an earlier draft.
 */
export function extractJson(text: string): unknown {
  const { text: answer, unclosedThink } = stripThinking(text);
  const found = scanObjects(answer);
  const lastObject = found.map((f) => f.kind).lastIndexOf('object');
  const truncated = found.find((f, i): f is Extract<Found, { kind: 'truncated' }> => f.kind === 'truncated' && i > lastObject);
  if (truncated) {
    throw new StructuredOutputError(`truncated JSON: unbalanced braces (the object starting at character ${truncated.at} is never closed; the answer was probably cut off)`);
  }
  if (lastObject !== -1) return (found[lastObject] as { value: unknown }).value;
  const invalid = found.filter((f): f is Extract<Found, { kind: 'invalid' }> => f.kind === 'invalid').pop();
  if (invalid) throw new StructuredOutputError(`invalid JSON in the object starting at character ${invalid.at}: ${invalid.message}`);
  if (unclosedThink) throw new StructuredOutputError('no JSON object found: the answer ends inside an unclosed <think> block');
  if (!answer.trim()) throw new StructuredOutputError('no JSON object found: the answer is empty');
  throw new StructuredOutputError('no JSON object found');
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** Extracts and validates; `validate` returns the shape errors (none means valid). */
export function parseStructured<T>(text: string, validate: (v: unknown) => string[]): Parsed<T> {
  let value: unknown;
  try {
    value = extractJson(text);
  } catch (e) {
    if (e instanceof StructuredOutputError) return { ok: false, error: e.message };
    throw e;
  }
  const errors = validate(value);
  if (errors.length) return { ok: false, error: errors.join('; ') };
  return { ok: true, value: value as T };
}

/** What the server's finish reason adds to an error: why the answer is as it is, for the repair round. */
function finishHint(finishReason: string | undefined): string {
  switch (finishReason) {
    case 'length':
      return ' (the answer hit the maxTokens limit: keep it shorter)';
    case 'tool_calls':
      return ' (the answer was a tool call with no text: reply with the JSON object as plain text, not as a tool call)';
    case 'content_filter':
      return " (the server's content filter cut the answer)";
    default:
      return '';
  }
}

/** parseStructured on a chat answer, its error saying why the answer stopped where it did. */
export function parseAnswer<T>(answer: { text: string; finishReason?: string }, validate: (v: unknown) => string[]): Parsed<T> {
  const parsed = parseStructured<T>(answer.text, validate);
  return parsed.ok ? parsed : { ok: false, error: `${parsed.error}${finishHint(answer.finishReason)}` };
}
