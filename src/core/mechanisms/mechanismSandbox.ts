import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { checkHookOutput } from './hookOutput';
import { HOOKS, isHookName, type ContextWithoutState, type HookArgs, type HookName, type HookOutputs } from './mechanism';
import { readShippedFile } from '../shipped/shippedFile';
import { parseMechanismModule, sandboxProgram } from './mechanismModule';

export interface SandboxLimits {
  /** Per hook call (and for evaluating the module's top level). */
  callMs: number;
  /** V8 heap cap of the sandbox process. */
  memoryMb: number;
  /**
   * All the memory of the sandbox process (RSS): the heap, and what it does not bound (ICU objects of
   * Intl, code). Default: the heap cap and RSS_HEADROOM_MB for the rest.
   */
  rssMb: number;
}

/** What a sandbox process needs beyond its heap: Node itself (about 45 MB idle), its watchdog thread, code. */
const RSS_HEADROOM_MB = 192;

export const DEFAULT_LIMITS: Omit<SandboxLimits, 'rssMb'> = { callMs: 2000, memoryMb: 64 };

/** The most JSON a hook may return (state included). */
export const MAX_OUTPUT_CHARS = 1_000_000;

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
 * One mechanism module running in its own Node process (sandbox/sandboxChild.js): permission model on
 * (no file system, child processes or addons; one worker, its own watchdog), every Node API removed from
 * its reach (no network), a heap cap and a cap on all its memory, and a time limit per call enforced by
 * killing the process. The host keeps the state: it goes in with each call and the returned one replaces
 * it only when the call succeeded, so a failing call loses nothing. What comes back is JSON text, parsed
 * here: the host never holds an object of the module's. The process dies with its host.
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
    const limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.limits = { ...limits, rssMb: limits.rssMb ?? limits.memoryMb + RSS_HEADROOM_MB };
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
    try {
      box.spawnChild(flag, sandboxFile('sandboxChild.js'), sandboxFile('sandboxRealm.js'), sandboxFile('numerics.js'));
    } catch (e) {
      box.failure = { failure: 'exit', detail: `the sandbox cannot start: ${e instanceof Error ? e.message : String(e)}` };
      return box;
    }
    const ready = await box.exchange(null, STARTUP_MS, 'starting the sandbox process');
    if (!ready.ok) return box.fail(ready.failure, ready.detail);
    const loaded = await box.exchange({ op: 'load', program: sandboxProgram(parsed.script), timeoutMs: box.limits.callMs + 1000 }, box.limits.callMs, 'evaluating the module');
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

  private spawnChild(flag: string, childProgram: string, realmHarness: string, library: string): void {
    const config = JSON.stringify({ hooks: HOOKS, maxOutputChars: MAX_OUTPUT_CHARS, rssMb: this.limits.rssMb, parentPid: process.pid });
    const child = spawn(
      process.execPath,
      [flag, '--allow-worker', '--no-warnings', `--max-old-space-size=${this.limits.memoryMb}`, '--disallow-code-generation-from-strings', '-e', childProgram, '--', realmHarness, config, library],
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
    // 'close', not 'exit': by then stderr has been read to its end, and with it what the watchdog said.
    child.on('close', (code, signal) => this.onExit(`exited (${signal ?? `code ${code}`})`));
  }

  private onExit(how: string): void {
    const ended = exitFailure(this.stderr, how, this.limits);
    const failure = this.killedFor ?? ended.failure;
    if (!this.failure) this.failure = { failure, detail: ended.detail };
    const w = this.waiting;
    this.waiting = null;
    w?.resolve({ status: `!${failure}`, output: ended.detail });
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

/**
 * Why a sandbox process ended that was not killed by the host: the heap cap (V8's own message), or what
 * its watchdog said ("sandbox: <reason>" on stderr), or else how it exited.
 */
export function exitFailure(stderr: string, how: string, limits: Pick<SandboxLimits, 'memoryMb'>): { failure: SandboxFailure; detail: string } {
  if (/heap out of memory|Reached heap limit|allocation failed/i.test(stderr)) return { failure: 'memory', detail: `ran out of its ${limits.memoryMb} MB heap` };
  const watchdog = /^sandbox: (.*)$/m.exec(stderr)?.[1];
  if (watchdog?.startsWith('memory: ')) return { failure: 'memory', detail: `used too much memory: ${watchdog.slice('memory: '.length)}` };
  if (watchdog?.startsWith('busy ')) return { failure: 'timeout', detail: `the sandbox process was ${watchdog}` };
  return { failure: 'exit', detail: `the sandbox process ${how}${stderr.trim() ? `: ${lastLine(stderr)}` : ''}` };
}

/** Node 20 calls it --experimental-permission; later versions --permission. Both know --allow-worker (the watchdog is one). */
function permissionFlag(): string | null {
  const flags = process.allowedNodeEnvironmentFlags;
  if (!flags.has('--allow-worker')) return null;
  if (flags.has('--permission')) return '--permission';
  if (flags.has('--experimental-permission')) return '--experimental-permission';
  return null;
}

/** The sandbox process's program, its realm's harness and numerical library: real files under sandbox/, checked by tsc. */
function sandboxFile(name: 'sandboxChild.js' | 'sandboxRealm.js' | 'numerics.js'): string {
  return readShippedFile(__dirname, 'sandbox', name);
}

function lastLine(text: string): string {
  const lines = text.trim().split('\n').filter((l) => l.trim());
  return lines[lines.length - 1]?.slice(0, 300) ?? '';
}
