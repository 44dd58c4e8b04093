/** The LLM key's variable: kept out of every training run, whatever the config says. */
export const LLM_KEY_ENV = 'OPENAI_API_KEY';

export const REDACTED = '***';

/** Shorter values are not redacted: replacing every "1234" would garble logs and metric lines, and protects nothing. */
const MIN_REDACTED_LENGTH = 8;

/** Every occurrence of each value replaced by ***. Longer values first, so one that contains another goes whole. Pure. */
export function redactText(text: string, values: readonly string[]): string {
  let out = text;
  for (const v of [...values].sort((a, b) => b.length - a.length)) {
    if (v.length >= MIN_REDACTED_LENGTH && out.includes(v)) out = out.split(v).join(REDACTED);
  }
  return out;
}

/**
 * A run's secrets: the environment variables a training command must not see (the LLM key and those
 * the config lists in run.secretEnv), and their values (with any key held elsewhere, such as the
 * editor's secret storage), which no log line, trace event or terminal line may show.
 */
export class Secrets {
  readonly names: readonly string[];
  // A native private field: util.inspect and JSON.stringify of this object show no value.
  readonly #values: readonly string[];

  constructor(names: readonly string[], values: readonly (string | undefined)[]) {
    this.names = [...new Set(names)];
    this.#values = [...new Set(values.filter((v): v is string => typeof v === 'string' && v.length >= MIN_REDACTED_LENGTH))];
  }

  /** The LLM key's variable and `secretEnv`, with their values in `env`, plus `extraValues`. */
  static of(secretEnv: readonly string[], env: NodeJS.ProcessEnv = process.env, extraValues: readonly (string | undefined)[] = []): Secrets {
    const names = [LLM_KEY_ENV, ...secretEnv];
    return new Secrets(names, [...names.map((n) => env[n]), ...extraValues]);
  }

  /** A copy of `env` without the secret variables. */
  scrub<E extends Record<string, string | undefined>>(env: E): E {
    const out = { ...env };
    for (const name of this.names) delete out[name];
    return out;
  }

  redact(text: string): string {
    return redactText(text, this.#values);
  }

  /** `value` with every secret in its strings redacted (as JSON: keys and nested strings too); the same object when none occurs. */
  redactDeep<T>(value: T): T {
    if (!this.#values.length) return value;
    const json = JSON.stringify(value);
    if (json === undefined) return value;
    // In JSON a value may be escaped (a quote, a backslash): look for both spellings.
    const spellings = this.#values.flatMap((v) => [v, JSON.stringify(v).slice(1, -1)]);
    const redacted = redactText(json, spellings);
    return redacted === json ? value : (JSON.parse(redacted) as T);
  }
}
