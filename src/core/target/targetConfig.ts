import Ajv, { type ErrorObject } from 'ajv';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import schema from '../../../schemas/autoresearch.config.schema.json';
import type { ParamValue } from '../../shared/trace/candidate';
import { didYouMean } from './closestName';
import { jsonSyntaxError } from './jsonSyntaxError';
import { metricPattern, type MetricSpec } from './metric';
import { parseParams } from './pythonParams';
import { timeBudgetParams } from './timeBudget';

export const CONFIG_FILE = 'autoresearch.config.json';

/** How to reach the LLM (the config's `llm` section; the key comes from the environment). */
export interface LlmSettings {
  /** OpenAI-compatible endpoint ending in /v1. Default: OPENAI_BASE_URL, else OpenAI. */
  baseURL?: string;
  model: string;
  /** Default: OPENAI_API_KEY. Never logged, never put in errors or the trace. */
  apiKey?: string;
  temperature?: number;
  maxTokens?: number;
  stream?: boolean;
  /**
   * Bounds every wait of a call: an HTTP attempt from the request to the answer's last byte (a stream:
   * to its first chunk, then between chunks), and each pause before a retry. A server that asks for a
   * longer pause (Retry-After) fails the call at once. Default 120.
   */
  timeoutSeconds?: number;
  /** Retries of 408/409/429/5xx, timeouts, stalls and connection failures, with exponential backoff. Default 4. */
  maxRetries?: number;
}

/** The config with every default filled in: what the engine works from. */
export interface TargetConfig {
  goal?: string;
  editable: string[];
  parameters: {
    file: string;
    names: string[];
    exclude: string[];
    frozen: string[];
    choices: Record<string, ParamValue[]>;
  };
  run: {
    command: string;
    timeBudgetSeconds: number;
    hardTimeoutSeconds: number;
    env: Record<string, string>;
    /** Kept out of the training command's environment (with OPENAI_API_KEY) and redacted from its output. */
    secretEnv: string[];
  };
  metric: MetricSpec & {
    goal: 'minimize' | 'maximize';
    minImprovement: number;
    baselineRepeats: number;
    memory?: { name: string; unit: 'MB' | 'GB' };
  };
  proposer: { kind: 'heuristic' | 'tpe' | 'llm'; seed: number; historyLength: number };
  levels: LevelsConfig;
  workers: WorkerSpec[];
  llm: Omit<LlmSettings, 'apiKey'> & { model: string };
}

/** Levels 1.5 and 2. "auto" follows proposer.kind (resolved in levels/createLevels, after any --proposer override). */
export interface LevelsConfig {
  strategy: { enabled: boolean; every: number; reviewer: 'auto' | 'rules' | 'llm'; freezeAfter: number };
  mechanisms: { enabled: boolean; every: number; research: 'auto' | 'offline' | 'llm'; policy: 'auto' | 'review'; callTimeoutMs: number; memoryMb: number };
}

/** One place where experiments train (see schemas/…: workers). */
export interface WorkerSpec {
  kind: 'local' | 'ssh' | 'slurm';
  gpu?: string | number;
  env?: Record<string, string>;
  host?: string;
  remoteDir?: string;
  sshConfigFile?: string;
  partition?: string;
  gpus?: string | number;
  timeLimitMinutes?: number;
  directives?: string[];
  maxQueueMinutes?: number;
}

/** Which kinds each worker field belongs to; `env` is everyone's. */
const WORKER_FIELDS: Record<string, WorkerSpec['kind'][]> = {
  gpu: ['local', 'ssh'],
  host: ['ssh'],
  remoteDir: ['ssh'],
  sshConfigFile: ['ssh'],
  partition: ['slurm'],
  gpus: ['slurm'],
  timeLimitMinutes: ['slurm'],
  directives: ['slurm'],
  maxQueueMinutes: ['slurm'],
};

/**
 * What the schema cannot say about workers: a field of another kind (most likely a typo of kind, and
 * silently ignored it would send the run somewhere else), two ssh workers sharing one remote working
 * copy (each checks out its own commit there), a directive spanning lines. Pure.
 */
export function workerProblems(workers: WorkerSpec[]): string[] {
  const problems: string[] = [];
  const copies = new Map<string, number>();
  workers.forEach((w, i) => {
    for (const field of Object.keys(w)) {
      const kinds = WORKER_FIELDS[field];
      if (kinds && !kinds.includes(w.kind)) problems.push(`workers[${i}].${field}: only for kind ${kinds.join(' or ')}, not ${w.kind}`);
    }
    if (w.kind === 'ssh') {
      const key = `${w.sshConfigFile ?? ''}\0${w.host}\0${w.remoteDir!.replace(/\/+$/, '')}`;
      const earlier = copies.get(key);
      if (earlier !== undefined) problems.push(`workers[${i}]: same host and remoteDir as workers[${earlier}]; give each ssh worker its own clone`);
      else copies.set(key, i);
    }
    (w.directives ?? []).forEach((d, j) => {
      if (/[\r\n]/.test(d)) problems.push(`workers[${i}].directives[${j}]: one option per directive, without line breaks`);
    });
  });
  return problems;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const ajv = new Ajv({ allErrors: true, strict: false });
const validateShape = ajv.compile(schema);

function fieldPath(e: ErrorObject): string {
  const base = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    return base ? `${base}.${extra}` : extra;
  }
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    return base ? `${base}.${missing}` : missing;
  }
  return base || '(top level)';
}

function describeError(e: ErrorObject): string {
  const field = fieldPath(e);
  if (e.keyword === 'additionalProperties') {
    if (/apikey|api_key|key$/i.test(field)) {
      return `${field}: API keys never go in the config file; set OPENAI_API_KEY in the environment (or use "Set API Key" in VS Code)`;
    }
    const parent = e.instancePath;
    const allowed = Object.keys(propertiesAt(parent));
    return `${field}: unknown field${allowed.length ? ` (allowed here: ${allowed.join(', ')})` : ''}`;
  }
  if (e.keyword === 'required') return `${field}: required field is missing`;
  if (e.keyword === 'enum') return `${field}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${field}: ${e.message ?? 'invalid'}`;
}

function propertiesAt(instancePath: string): Record<string, unknown> {
  let node: any = schema;
  for (const part of instancePath.split('/').filter(Boolean)) {
    node = node?.properties?.[part];
  }
  return node?.properties ?? {};
}

/** The files of the repo a config describes, as its checks see them (the file system in loadTargetConfig). */
export interface ConfigRepo {
  /** A file's text, or null when there is no such file. */
  read(path: string): string | null;
  /** The files at the top of the repo, for "did you mean". */
  topFiles(): string[];
}

/**
 * Validates raw JSON and fills defaults. Pure. With `repo`, also checks the config against the files
 * it names (they exist, every parameter name it lists is one) and freezes the time budget constants.
 */
export function parseTargetConfig(raw: unknown, repo?: ConfigRepo): TargetConfig {
  if (!validateShape(raw)) {
    const problems = (validateShape.errors ?? []).map(describeError);
    throw new ConfigError(`${CONFIG_FILE} is invalid:\n  - ${[...new Set(problems)].join('\n  - ')}`);
  }
  const c = raw as any;
  const budget: number = c.run.timeBudgetSeconds ?? 300;
  const config: TargetConfig = {
    goal: c.goal,
    editable: c.editable,
    parameters: {
      file: c.parameters.file,
      names: c.parameters.names ?? [],
      exclude: c.parameters.exclude ?? [],
      frozen: c.parameters.frozen ?? [],
      choices: c.parameters.choices ?? {},
    },
    run: {
      command: c.run.command,
      timeBudgetSeconds: budget,
      hardTimeoutSeconds: c.run.hardTimeoutSeconds ?? budget * 2 + 60,
      env: c.run.env ?? {},
      secretEnv: c.run.secretEnv ?? [],
    },
    metric: {
      name: c.metric.name,
      regex: c.metric.regex,
      goal: c.metric.goal ?? 'minimize',
      minImprovement: c.metric.minImprovement ?? 0,
      baselineRepeats: c.metric.baselineRepeats ?? 1,
      secondary: c.metric.secondary ?? [],
      memory: c.metric.memory ? { name: c.metric.memory.name, unit: c.metric.memory.unit ?? 'MB' } : undefined,
    },
    proposer: {
      kind: c.proposer?.kind ?? 'heuristic',
      seed: c.proposer?.seed ?? 1,
      historyLength: c.proposer?.historyLength ?? 20,
    },
    levels: levelsConfig(c.levels ?? {}),
    workers: c.workers ?? [{ kind: 'local' }],
    llm: {
      baseURL: c.llm?.baseURL,
      model: c.llm?.model ?? 'gpt-4o-mini',
      temperature: c.llm?.temperature,
      maxTokens: c.llm?.maxTokens,
      stream: c.llm?.stream ?? false,
      timeoutSeconds: c.llm?.timeoutSeconds ?? 120,
      maxRetries: c.llm?.maxRetries ?? 4,
    },
  };
  const problems: string[] = [];
  for (const [field, spec] of [['metric.regex', config.metric], ...config.metric.secondary!.map((s, i) => [`metric.secondary[${i}].regex`, s] as const)] as const) {
    try {
      metricPattern(spec.name, spec.regex);
    } catch (e) {
      problems.push(`${field}: ${(e as Error).message}`);
    }
  }
  if (repo) {
    const checked = checkAgainstRepo(config, c.parameters.searchTimeBudget === true, repo);
    problems.push(...checked.problems);
    config.parameters.frozen = [...config.parameters.frozen, ...checked.alsoFrozen];
  } else if (!config.editable.includes(config.parameters.file)) problems.push(notEditable(config.parameters.file));
  if (config.metric.memory && !config.metric.secondary!.some((s) => s.name === config.metric.memory!.name)) {
    problems.push(`metric.memory.name: "${config.metric.memory.name}" is not one of metric.secondary`);
  }
  problems.push(...workerProblems(config.workers));
  if (config.run.hardTimeoutSeconds < config.run.timeBudgetSeconds) {
    problems.push(`run.hardTimeoutSeconds: must be at least run.timeBudgetSeconds (${config.run.timeBudgetSeconds})`);
  }
  if (problems.length) throw new ConfigError(`${CONFIG_FILE} is invalid:\n  - ${problems.join('\n  - ')}`);
  return config;
}

const notEditable = (file: string) => `parameters.file: "${file}" must also be listed in editable`;

/**
 * Where the repo is not as the config says: a missing file, a name in `parameters.names`, `frozen`,
 * `exclude` or `choices` that is no parameter of the file (a typo there would silently search what
 * was meant to be fixed). `alsoFrozen`: the time budget constants the config does not freeze itself,
 * frozen all the same unless `searchTimeBudget`.
 */
function checkAgainstRepo(config: TargetConfig, searchTimeBudget: boolean, repo: ConfigRepo): { problems: string[]; alsoFrozen: string[] } {
  const problems: string[] = [];
  const { parameters } = config;
  const missing = config.editable.filter((f) => repo.read(f) === null);
  for (const f of missing) problems.push(`editable: file not found: ${f}${didYouMean(f, repo.topFiles())}`);
  const source = repo.read(parameters.file);
  if (source === null) {
    problems.push(`parameters.file: "${parameters.file}" does not exist${didYouMean(parameters.file, repo.topFiles())}`);
    return { problems, alsoFrozen: [] };
  }
  if (!config.editable.includes(parameters.file)) problems.push(notEditable(parameters.file));
  problems.push(...parameterNameProblems(parameters, source));
  const budget = timeBudgetParams(parseParams(source, { names: parameters.names })).map((p) => p.name);
  const frozenBudget = budget.filter((n) => parameters.frozen.includes(n));
  if (searchTimeBudget && frozenBudget.length) {
    problems.push(`parameters.searchTimeBudget: true, but parameters.frozen lists ${frozenBudget.join(', ')}; remove one of the two`);
  }
  return { problems, alsoFrozen: searchTimeBudget ? [] : budget.filter((n) => !parameters.frozen.includes(n)) };
}

/** Column-0 assignments to a name: what could be a parameter, for "did you mean" on `parameters.names`. */
const ASSIGNED = /^([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=\n]*)?=(?!=)/gm;

/**
 * Every name the config lists under `parameters` must be a parameter of the parameter file. Pure:
 * `source` is the file's text.
 */
export function parameterNameProblems(parameters: TargetConfig['parameters'], source: string): string[] {
  const problems: string[] = [];
  const file = parameters.file;
  const known = new Set(parseParams(source, { names: parameters.names }).map((p) => p.name));
  const assigned = [...new Set([...source.matchAll(ASSIGNED)].map((m) => m[1]))];
  // Names that would be parameters if listed in parameters.names (literals at module level).
  const literal = new Set(parseParams(source, { names: assigned }).map((p) => p.name));
  for (const name of parameters.names) {
    if (known.has(name)) continue;
    if (assigned.includes(name)) problems.push(`parameters.names: "${name}" is assigned in ${file}, but not as a single literal value on one line, so it cannot be a parameter`);
    else problems.push(`parameters.names: "${name}" is not assigned at the top level of ${file}${didYouMean(name, literal)}`);
  }
  const lists: [string, string[]][] = [
    ['parameters.frozen', parameters.frozen],
    ['parameters.exclude', parameters.exclude],
    ['parameters.choices', Object.keys(parameters.choices)],
  ];
  for (const [field, names] of lists) {
    for (const name of names) {
      if (known.has(name)) continue;
      const hint = literal.has(name) ? `; to make it one, add it to parameters.names` : didYouMean(name, known);
      problems.push(`${field}: "${name}" is not a parameter of ${file}${hint}`);
    }
  }
  return problems;
}

function levelsConfig(l: any): LevelsConfig {
  const s = l.strategy ?? {};
  const m = l.mechanisms ?? {};
  return {
    strategy: { enabled: s.enabled ?? true, every: s.every ?? 5, reviewer: s.reviewer ?? 'auto', freezeAfter: s.freezeAfter ?? 3 },
    mechanisms: {
      enabled: m.enabled ?? true,
      every: m.every ?? 2,
      research: m.research ?? 'auto',
      policy: m.policy ?? 'auto',
      callTimeoutMs: m.callTimeoutMs ?? 2000,
      memoryMb: m.memoryMb ?? 64,
    },
  };
}

/**
 * `--levels 1,1.5,2` style: which levels run. Level 1 is always on; the paper's ablation groups are
 * A = "1", B = "1,1.5", C = "1,1.5,2", D = "1,2".
 */
export function applyLevelsFlag(config: TargetConfig, flag: string): void {
  const parts = flag.split(',').map((p) => p.trim()).filter(Boolean);
  const unknown = parts.filter((p) => !['1', '1.5', '2'].includes(p));
  if (unknown.length || !parts.includes('1')) throw new ConfigError(`--levels: expected a list such as 1,1.5,2 (level 1 always included), got "${flag}"`);
  config.levels.strategy.enabled = parts.includes('1.5');
  config.levels.mechanisms.enabled = parts.includes('2');
}

/** Reads, validates and checks the config against the repo it describes. */
export function loadTargetConfig(repoDir: string): TargetConfig {
  const path = join(repoDir, CONFIG_FILE);
  if (!existsSync(path)) {
    throw new ConfigError(`No ${CONFIG_FILE} in ${repoDir}. Run \`bilevel init\` there to create one.`);
  }
  // An editor on Windows may save a byte order mark, which JSON.parse refuses.
  const text = readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(jsonSyntaxError(path, text, (e as Error).message));
  }
  return parseTargetConfig(raw, {
    read: (f) => {
      const p = join(repoDir, f);
      return existsSync(p) && statSync(p).isFile() ? readFileSync(p, 'utf8') : null;
    },
    topFiles: () => readdirSync(repoDir),
  });
}
