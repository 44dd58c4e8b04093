import { createRun, type ChatModel, type Level, type ResearchRun, type ResearchRunSummary, type TrainingGate, type Secrets, type LlmCallListener, type TargetConfig } from '../../core';
import * as vscode from 'vscode';
import type { RunEvent } from '../../shared/trace/events';
import { applyEvent, type RunState } from '../../shared/trace/runState';
import { readLatestRunState, readRunState } from './runTraceReader';

export interface StartRunRequest {
  config: TargetConfig;
  /** The LLM the proposer and the levels use: the key from secret storage, or a VS Code chat model (see createRun). */
  llm: { apiKey?: string; chat?: (onLlmCall: LlmCallListener) => ChatModel };
  /** Kept out of training and redacted from output: the key from secret storage is not in the environment. */
  secrets: Secrets;
  iterations: number;
  fresh: boolean;
  /** Stop before each training run until the person answers Run, Edit or Skip. */
  stepping: boolean;
  /** Levels to run right away (Run Strategy Review Now, Run Mechanism Research Now). */
  levelsNow?: Level[];
  /** Resume taking the user's commit as the new starting point (createRun's `adopt`). */
  adopt?: boolean;
}

export type GateVerdict = 'run' | 'skip';

/**
 * The one place that runs the engine in the extension host. It owns the in-process ResearchRun
 * (start, stop, pause, stepping gates, mechanism verdicts) and the RunState every view shows: the
 * live run's while one goes on, else the latest run's as its trace on disk says. Views subscribe
 * to `onEvent` (every engine event, the transient training.output included) and `onDidChange`
 * (state, running, pausing or the gate changed).
 */
export class ResearchRunController implements vscode.Disposable {
  private readonly eventEmitter = new vscode.EventEmitter<RunEvent>();
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  private readonly gateEmitter = new vscode.EventEmitter<TrainingGate>();
  /** Every engine event of the run going on in this window, in order. */
  readonly onEvent = this.eventEmitter.event;
  /** The shown state, `running`, `stopping`, `pausing` or the gate changed. */
  readonly onDidChange = this.changeEmitter.event;
  /** A stepping run stopped before training a candidate and waits for `answerGate`. */
  readonly onDidOpenGate = this.gateEmitter.event;

  private current: { run: ResearchRun; abort: AbortController; done: Promise<ResearchRunSummary | undefined> } | null = null;
  private shown: RunState | null = null;
  private stopRequested = false;
  private pauseRequested = false;
  private gate: { info: TrainingGate; answer: (v: GateVerdict) => void } | null = null;

  constructor(
    readonly repoDir: string,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** The run the views show; null before the repo has any run. */
  get state(): RunState | null {
    return this.shown;
  }

  get running(): boolean {
    return this.current !== null;
  }

  get stopping(): boolean {
    return this.current !== null && this.stopRequested;
  }

  get pausing(): boolean {
    return this.current !== null && this.pauseRequested && !this.stopRequested;
  }

  /** The candidate a stepping run waits on, if it does. */
  get awaitingGate(): TrainingGate | null {
    return this.gate?.info ?? null;
  }

  /** Re-reads the latest run from its trace (a run started by the CLI, or after activation). Ignored while a run goes on here. */
  reload(): void {
    if (this.current) return;
    try {
      this.shown = readLatestRunState(this.repoDir);
    } catch (e) {
      this.log.error(`reading the trace failed: ${(e as Error).message}`);
      this.shown = null;
    }
    this.changeEmitter.fire();
  }

  /** Another run's state (e.g. for an experiment ref from the dashboard); the shown one when the tag matches. */
  stateOf(tag: string): RunState | null {
    if (this.shown?.tag === tag) return this.shown;
    return readRunState(this.repoDir, tag);
  }

  /**
   * Starts (or resumes) a run and resolves when it ends. Rejects for what stops a run before or
   * during it (config, git, engine errors); an interrupted or paused run resolves.
   */
  start(request: StartRunRequest): Promise<ResearchRunSummary | undefined> {
    if (this.current) throw new Error('a run is already going on in this window');
    const abort = new AbortController();
    this.stopRequested = false;
    this.pauseRequested = false;
    let sawFirstEvent = false;
    const onEvent = (e: RunEvent) => {
      if (!sawFirstEvent && e.type !== 'training.output') {
        sawFirstEvent = true;
        // A fresh run starts with run.started; a resumed one has its history in the trace, which
        // already holds this first event (the engine appends before it notifies).
        this.shown = e.type === 'run.started' ? applyEvent(null, e) : readLatestRunState(this.repoDir);
      } else if (e.type !== 'training.output' && this.shown) {
        applyEvent(this.shown, e);
      }
      this.eventEmitter.fire(e);
      if (e.type !== 'training.output') this.changeEmitter.fire();
    };
    const run: ResearchRun = createRun({
      repoDir: this.repoDir,
      config: request.config,
      apiKey: request.llm.apiKey,
      chat: request.llm.chat,
      secrets: request.secrets,
      iterations: request.iterations,
      fresh: request.fresh,
      signal: abort.signal,
      onEvent,
      levelsNow: request.levelsNow,
      adopt: request.adopt,
      beforeTraining: request.stepping ? (gate) => this.waitAtGate(gate) : undefined,
    });
    const done = run.run().finally(() => {
      this.current = null;
      this.stopRequested = false;
      this.pauseRequested = false;
      this.changeEmitter.fire();
    });
    this.current = { run, abort, done: done.catch(() => undefined) };
    this.changeEmitter.fire();
    return done;
  }

  private waitAtGate(info: TrainingGate): Promise<GateVerdict> {
    return new Promise((resolve) => {
      this.gate = {
        info,
        answer: (v) => {
          this.gate = null;
          resolve(v);
          this.changeEmitter.fire();
        },
      };
      this.changeEmitter.fire();
      this.gateEmitter.fire(info);
    });
  }

  /** The person's answer to the candidate the run waits on; false when none waits. */
  answerGate(verdict: GateVerdict): boolean {
    if (!this.gate) return false;
    this.log.info(`#${this.gate.info.n}: ${verdict === 'run' ? 'run' : 'skipped'} by you`);
    this.gate.answer(verdict);
    return true;
  }

  /** Ends the current step cleanly: training is killed, the experiment recorded as interrupted. */
  stop(): void {
    if (!this.current || this.stopRequested) return;
    this.stopRequested = true;
    this.log.info('stopping: ending the current step cleanly');
    this.current.abort.abort();
    // A gate left waiting would hold the run forever; the engine sees the abort before the verdict.
    this.gate?.answer('skip');
    this.changeEmitter.fire();
  }

  /** Stops at the next level boundary (after the current iteration, review or research session). */
  pause(): void {
    if (!this.current || this.pauseRequested) return;
    this.pauseRequested = true;
    this.log.info('pausing after the current step');
    this.current.run.pause();
    this.changeEmitter.fire();
  }

  /** Runs a level at the next boundary of the run going on. */
  requestLevel(level: Level): void {
    this.current?.run.requestLevel(level);
  }

  /** A verdict on a mechanism, through the run going on (it applies at the next boundary); null when no run goes on here. */
  reviewMechanismInRun(name: string, verdict: 'accept' | 'reject', reason?: string): Promise<void> | null {
    return this.current ? this.current.run.reviewMechanism(name, verdict, reason) : null;
  }

  /** Resolves once no run goes on in this window (at once when none does). */
  async whenIdle(): Promise<void> {
    await this.current?.done;
  }

  /** Stops the run and waits for it to end, at most `timeoutMs`. */
  async stopAndWait(timeoutMs: number): Promise<void> {
    const current = this.current;
    if (!current) return;
    this.stop();
    await Promise.race([current.done, new Promise((r) => setTimeout(r, timeoutMs))]);
  }

  dispose(): void {
    this.current?.abort.abort();
    this.gate?.answer('skip');
    this.eventEmitter.dispose();
    this.changeEmitter.dispose();
    this.gateEmitter.dispose();
  }
}
