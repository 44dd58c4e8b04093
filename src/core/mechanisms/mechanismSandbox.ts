import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { checkHookOutput } from './hookOutput';
import { isHookName, type ContextWithoutState, type HookArgs, type HookName, type HookOutputs } from './mechanism';
import { parseMechanismModule } from './mechanismModule';
import { SANDBOX_CHILD_SOURCE } from './sandboxChildSource';

export interface SandboxLimits {
  /** Per hook call (and for evaluating the module's top level). */
  callMs: number;
  /** V8 heap cap of the sandbox process. */
  memoryMb: number;
}

export const DEFAULT_LIMITS: SandboxLimits = { callMs: 2000, memoryMb: 64 };

/** How long a fresh node process may take to come up; generous, as a loaded machine is slow to spawn. */
const STARTUP_MS = 30_000;

export type SandboxFailure = 'throw' | 'timeout' | 'exit' | 'memory' | 'garbage' | 'missing-hook';

export type CallResult<H extends HookName = HookName> =
  /** `output` without its state; `state` the mechanism's state after the call (unchanged if it returned none). */
  | { ok: true; output: HookOutputs[H]; state: unknown; ms: number }
  | { ok: false; failure: SandboxFailure; detail: string; ms: number };

export interface SandboxOptions {
  name: string;
  source: string;
  limits?: Partial<SandboxLimits>;
  /** The state to start from (e.g. the last good one of a resumed run); null otherwise. */
  state?: unknown;
}

interface Pending {
  resolve: (r: { status: string; output: string }) => void;
}

/**
 * One mechanism module running in its own Node process: permission model on (no file system, child
 * processes, workers or addons), every Node API removed from its reach (no network), a heap cap, and a
 * time limit per call enforced by killing the process. The host keeps the state: it goes in with each
 * call and the returned one replaces it only when the call succeeded, so a failing call loses nothing.
 *
 * Nothing a module does makes `start` or `call` throw or hang: every outcome is a CallResult.
 * A timeout, exit or memory blow-up leaves the sandbox dead; a throw or garbage does not.
 */
export class MechanismSandbox {
  readonly name: string;
  readonly limits: SandboxLimits;
  /** Hooks the module exports (known names only). */
  hooks: HookName[] = [];
  /** Why the sandbox cannot run hooks any more (load failure or death); null while it can. */
  failure: { failure: SandboxFailure; detail: string } | null = null;
  private currentState: unknown;
  private child: ChildProcess | null = null;
  private waiting: Pending | null = null;
  private nextId = 1;
  private stderr = '';
  private queue: Promise<unknown> = Promise.resolve();
  private killedFor: SandboxFailure | null = null;

  private constructor(opts: SandboxOptions) {
    this.name = opts.name;
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.currentState = opts.state ?? null;
  }

  /** The mechanism's last good state. */
  get state(): unknown {
    return this.currentState;
  }

  /** The sandbox process, while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get alive(): boolean {
    return this.failure === null;
  }

  static async start(opts: SandboxOptions): Promise<MechanismSandbox> {
    const box = new MechanismSandbox(opts);
    const parsed = parseMechanismModule(opts.source);
    if (!parsed.ok) {
      box.failure = { failure: 'throw', detail: `line ${parsed.error.line}: ${parsed.error.message}` };
      return box;
    }
    if (parsed.imports.length) {
      box.failure = { failure: 'throw', detail: `imports are not available in a mechanism: ${parsed.imports.map((i) => `${i.message} (line ${i.line})`).join(', ')}` };
      return box;
    }
    const flag = permissionFlag();
    if (!flag) {
      box.failure = { failure: 'exit', detail: `this Node (${process.version}) has no permission model; mechanisms need Node 20 or newer` };
      return box;
    }
    box.spawnChild(flag);
    const ready = await box.exchange(null, STARTUP_MS, 'starting the sandbox process');
    if (!ready.ok) return box.fail(ready.failure, ready.detail);
    const loaded = await box.exchange({ op: 'load', script: parsed.script, timeoutMs: box.limits.callMs + 1000 }, box.limits.callMs, 'evaluating the module');
    if (!loaded.ok) return box.fail(loaded.failure, loaded.detail);
    if (loaded.status !== 'ok') return box.fail(loaded.status as SandboxFailure, loaded.output);
    try {
      box.hooks = (JSON.parse(loaded.output) as string[]).filter(isHookName);
    } catch {
      return box.fail('garbage', 'the module\'s exports could not be read');
    }
    return box;
  }

  /** Calls one hook; the state in force goes in with the context. Calls are serialised. */
  call<H extends HookName>(hook: H, ctx: ContextWithoutState, ...arg: HookArgs[H] extends undefined ? [] : [HookArgs[H]]): Promise<CallResult<H>> {
    const run = this.queue.then(() => this.callNow(hook, ctx, arg));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async callNow<H extends HookName>(hook: H, ctx: ContextWithoutState, arg: unknown[]): Promise<CallResult<H>> {
    const t0 = performance.now();
    const ms = () => Math.round((performance.now() - t0) * 100) / 100;
    if (this.failure) return { ok: false, failure: this.failure.failure, detail: `not running (${this.failure.detail})`, ms: 0 };
    if (!this.hooks.includes(hook)) return { ok: false, failure: 'missing-hook', detail: `${this.name} does not export ${hook}`, ms: 0 };
    const input = JSON.stringify({ hook, ctx: { ...ctx, state: this.currentState }, hasArg: arg.length > 0, arg: arg[0] });
    const r = await this.exchange({ op: 'call', id: this.nextId++, input }, this.limits.callMs, `${hook}`);
    if (!r.ok) {
      this.fail(r.failure, r.detail);
      return { ok: false, failure: r.failure, detail: r.detail, ms: ms() };
    }
    if (r.status !== 'ok') {
      const failure = r.status as SandboxFailure;
      if (failure === 'timeout') this.kill('timeout', r.output);
      return { ok: false, failure, detail: r.output, ms: ms() };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(r.output);
    } catch {
      return { ok: false, failure: 'garbage', detail: `${hook} returned text that is not JSON`, ms: ms() };
    }
    const checked = checkHookOutput(hook, parsed);
    if (!checked.ok) return { ok: false, failure: 'garbage', detail: checked.detail, ms: ms() };
    if (checked.hasState) this.currentState = checked.state ?? null;
    return { ok: true, output: checked.output as HookOutputs[H], state: this.currentState, ms: ms() };
  }

  async close(): Promise<void> {
    if (!this.failure) this.failure = { failure: 'exit', detail: 'closed' };
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  private spawnChild(flag: string): void {
    const child = spawn(
      process.execPath,
      [flag, '--no-warnings', `--max-old-space-size=${this.limits.memoryMb}`, '--disallow-code-generation-from-strings', '-e', SANDBOX_CHILD_SOURCE],
      // No environment: nothing secret can leak in, and no NODE_OPTIONS (loaders) can weaken it.
      // ELECTRON_RUN_AS_NODE makes VS Code's Electron binary behave as plain node.
      { stdio: ['pipe', 'pipe', 'pipe'], env: process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {} },
    );
    this.child = child;
    child.stdin!.on('error', () => undefined);
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let m: { op?: string; status?: string; output?: string };
      try {
        m = JSON.parse(line);
      } catch {
        return;
      }
      const w = this.waiting;
      this.waiting = null;
      w?.resolve({ status: String(m.status ?? m.op), output: String(m.output ?? '') });
    });
    child.on('error', (e) => this.onExit(`could not start: ${e.message}`));
    child.on('exit', (code, signal) => this.onExit(`exited (${signal ?? `code ${code}`})`));
  }

  private onExit(how: string): void {
    const memory = /heap out of memory|Reached heap limit|allocation failed/i.test(this.stderr);
    const failure: SandboxFailure = this.killedFor ?? (memory ? 'memory' : 'exit');
    const detail = memory ? `ran out of its ${this.limits.memoryMb} MB heap` : `the sandbox process ${how}${this.stderr.trim() ? `: ${lastLine(this.stderr)}` : ''}`;
    if (!this.failure) this.failure = { failure, detail };
    const w = this.waiting;
    this.waiting = null;
    w?.resolve({ status: `!${failure}`, output: detail });
  }

  /** Sends one message (or none: waits for `ready`) and waits for the answer within `ms`. */
  private exchange(msg: object | null, ms: number, what: string): Promise<{ ok: true; status: string; output: string } | { ok: false; failure: SandboxFailure; detail: string }> {
    return new Promise((resolve) => {
      if (this.failure) return resolve({ ok: false, failure: this.failure.failure, detail: this.failure.detail });
      const timer = setTimeout(() => {
        this.waiting = null;
        const detail = `${what} took longer than ${ms} ms`;
        this.kill('timeout', detail);
        resolve({ ok: false, failure: 'timeout', detail });
      }, ms);
      this.waiting = {
        resolve: (r) => {
          clearTimeout(timer);
          if (r.status.startsWith('!')) resolve({ ok: false, failure: r.status.slice(1) as SandboxFailure, detail: r.output });
          else resolve({ ok: true, status: r.status, output: r.output });
        },
      };
      if (msg) this.child!.stdin!.write(`${JSON.stringify(msg)}\n`);
    });
  }

  private kill(failure: SandboxFailure, detail: string): void {
    if (!this.failure) this.failure = { failure, detail };
    this.killedFor = failure;
    this.child?.kill('SIGKILL');
  }

  private fail(failure: SandboxFailure, detail: string): MechanismSandbox {
    if (failure === 'timeout' || !this.failure) this.kill(failure, detail);
    return this;
  }
}

/** Node 20 calls it --experimental-permission; later versions --permission. */
function permissionFlag(): string | null {
  const flags = process.allowedNodeEnvironmentFlags;
  if (flags.has('--permission')) return '--permission';
  if (flags.has('--experimental-permission')) return '--experimental-permission';
  return null;
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n').filter((l) => l.trim());
  return lines[lines.length - 1]?.slice(0, 300) ?? '';
}
