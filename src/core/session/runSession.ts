import type { RunEvent, RunEventBody } from '../../shared/trace/events';
import { applyEvent, deriveRunState, type RunState } from '../../shared/trace/runState';
import { runBranch, type RunRepo } from '../git/runRepo';
import type { LlmCall } from '../llm/chatModel';
import type { Secrets } from '../secrets/secrets';
import type { TraceStore } from '../store/traceStore';
import type { TargetConfig } from '../target/targetConfig';
import { parseParams, type PythonParam } from '../target/pythonParams';
import type { ContextParam } from '../mechanisms/mechanism';

export interface RunSessionOptions {
  tag: string;
  runDir: string;
  repo: RunRepo;
  config: TargetConfig;
  store: TraceStore;
  /** Redacted from every event before it is written. */
  secrets?: Secrets;
  /** Called with every event after it is written and folded (training.output included). */
  onEvent?: (e: RunEvent) => void;
  signal?: AbortSignal;
  /**
   * No loop is running (a verdict from `bilevel mechanisms accept`): moving the run branch must not
   * clobber a checkout someone works in, and only moves the working tree when it is on the branch.
   */
  offline?: boolean;
}

/**
 * What every level of a run shares: the trace (written through `emit`, folded into `state`), the
 * repository and the lock that makes git changes one at a time. The loop, the outer levels and a
 * person's verdict on a mechanism all work on one; nothing here is kept that the trace does not say.
 */
export class RunSession {
  readonly tag: string;
  readonly runDir: string;
  readonly repo: RunRepo;
  readonly config: TargetConfig;
  readonly signal?: AbortSignal;
  private readonly store: TraceStore;
  private readonly secrets?: Secrets;
  private readonly onEvent?: (e: RunEvent) => void;
  private readonly offline: boolean;
  /** Null only for a fresh trace, until run.started is emitted. */
  private folded: RunState | null;
  private gitQueue: Promise<unknown> = Promise.resolve();

  constructor(opts: RunSessionOptions) {
    this.tag = opts.tag;
    this.runDir = opts.runDir;
    this.repo = opts.repo;
    this.config = opts.config;
    this.signal = opts.signal;
    this.store = opts.store;
    this.secrets = opts.secrets;
    this.onEvent = opts.onEvent;
    this.offline = opts.offline ?? false;
    this.folded = this.store.events().length ? deriveRunState(this.store.events()) : null;
  }

  get state(): RunState {
    if (!this.folded) throw new Error(`run ${this.tag}: no run.started in its trace yet`);
    return this.folded;
  }

  get branch(): string {
    return runBranch(this.tag);
  }

  /** The trace so far (validation replays it; results.tsv is rendered from it). */
  events(): readonly RunEvent[] {
    return this.store.events();
  }

  /** Appends an event to the trace (fsynced), folds it into the state, then tells the listener. */
  emit(body: RunEventBody): RunEvent {
    const event = this.store.append(this.secrets ? this.secrets.redactDeep(body) : body);
    if (event.type !== 'training.output') this.folded = applyEvent(this.folded, event);
    this.onEvent?.(event);
    return event;
  }

  /** LLM-backed proposers and levels report each call here so that tokens and latency land in the trace. */
  recordLlmCall(call: LlmCall): void {
    this.emit({ type: 'llm.called', ...call });
  }

  /** What the search continues from: the incumbent's commit (see RunState.incumbent). */
  bestCommit(): string {
    return this.state.incumbent?.commit ?? this.state.startCommit;
  }

  /** Git changes to the shared repository happen one at a time, whatever the number of workers. */
  exclusive<T>(f: () => Promise<T>): Promise<T> {
    const next = this.gitQueue.then(f, f);
    this.gitQueue = next.catch(() => undefined);
    return next;
  }

  /** Moves the run branch to a commit on top of its best (the working tree follows when it is checked out). */
  async moveRunBranch(commit: string): Promise<void> {
    if (!this.offline) return this.repo.resetTo(this.tag, commit);
    if ((await this.repo.currentBranch()) === this.branch) {
      await this.repo.assertClean();
      await this.repo.resetTo(this.tag, commit);
    } else {
      await this.repo.setBranch(this.branch, commit);
    }
  }

  /** The parameters in these files (the config's parameter file), as parsed. */
  parse(files: Record<string, string>): PythonParam[] {
    const { file, names } = this.config.parameters;
    return parseParams(files[file], { names });
  }

  /** Parameters as the mechanisms and reviewers see them: without the excluded, marked frozen by config or strategy. */
  contextParams(params: PythonParam[]): ContextParam[] {
    const { parameters } = this.config;
    const excluded = new Set(parameters.exclude);
    const frozen = new Set([...parameters.frozen, ...this.state.strategy.frozen]);
    return params
      .filter((p) => !excluded.has(p.name))
      .map((p) => ({ name: p.name, value: p.value, kind: p.kind, frozen: frozen.has(p.name), ...(parameters.choices[p.name] ? { choices: parameters.choices[p.name] } : {}) }));
  }

  /** The run's parameters at the best commit, marked frozen by config or strategy. */
  async paramsAtBest(): Promise<ContextParam[]> {
    const { file } = this.config.parameters;
    return this.contextParams(this.parse({ [file]: await this.repo.requireFileAt(this.bestCommit(), file) }));
  }

  close(): void {
    this.store.close();
  }
}
