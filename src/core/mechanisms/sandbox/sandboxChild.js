// @ts-check
'use strict';
// The sandbox process of one mechanism module. mechanismSandbox.ts starts it with `node -e <this file>
// -- <sandboxRealm.js> <config> <numerics.js>` under the permission model (no file system, child processes or addons;
// it needs no file of its own). Protocol: JSON lines on stdin/stdout.
//   host → {op:'load', program, timeoutMs}   child → {op:'loaded', status, output}
//   host → {op:'call', id, input}            child → {op:'result', id, status, output}
// The module runs in a vm context, its own realm, set up by sandboxRealm.js. This process never touches a
// value of that realm: the harness answers in strings, and a value thrown past it is looked at only with
// checks that run none of its code (no getters, no proxy traps), so the module's code runs only inside
// runInContext, under the vm's time limit. Before reading anything it removes every Node facility from
// its own realm (require, process.binding, fetch …), so even code that escaped the vm context would find
// no network, file or process API; the permission model blocks file system and child processes on top.
//
// A watchdog thread keeps time while the main thread is busy: it kills the process when its host is
// gone (the parent pid changed), when it uses more memory than allowed (RSS: the heap cap does not bound
// ICU objects and other native memory), and when the main thread stays busy past a call's limit (Node's
// own bookkeeping after a call can touch a module's objects, out of the vm's reach). What it killed for
// is one line on stderr, "sandbox: <reason>".
{
  const vm = require('node:vm');
  const readline = require('node:readline');
  const { types } = require('node:util');
  const { Worker } = require('node:worker_threads');

  const [realmSource, configText, librarySource] = process.argv.slice(1);
  /** @type {{ hooks: string[], maxOutputChars: number, rssMb: number, parentPid: number }} */
  const config = JSON.parse(configText);
  const stdin = process.stdin;
  const stdout = process.stdout;
  const exit = process.exit.bind(process);
  /** @param {object} m */
  const send = (m) => stdout.write(JSON.stringify(m) + '\n');

  // The host kills this process when a call overruns; this second limit (the host sets it, above its
  // own) stops a runaway hook even if the host is gone, so no orphan spins forever.
  let timeout = 10000;
  /** How often the watchdog looks. */
  const WATCH_MS = 20;
  /** How much longer than `timeout` the main thread may take over one message, Node's own work after it included. */
  const BUSY_MARGIN_MS = 1000;
  const started = Date.now();
  // [0]: ms since `started` when the main thread took up a message, -1 while it waits; [1]: its time limit in ms.
  const busy = new Int32Array(new SharedArrayBuffer(8));
  busy[0] = -1;
  busy[1] = timeout + BUSY_MARGIN_MS;

  /** The watchdog thread's program: runs in a Worker of its own, so it keeps time while the main thread is busy. */
  const watchdog = function () {
    const { workerData } = require('node:worker_threads');
    const { writeSync } = require('node:fs');
    /** @type {{ parentPid: number, rssBytes: number, rssMb: number, busy: Int32Array, started: number, pollMs: number }} */
    const w = workerData;
    /** @param {string} why */
    const die = (why) => {
      try {
        writeSync(2, `sandbox: ${why}\n`);
      } catch (_) {
        // stderr is gone with the host; the kill still happens.
      }
      // Its own pid, the one signal this process sends: SIGKILL, as nothing of the main thread may run first.
      process.kill(process.pid, 'SIGKILL');
    };
    setInterval(() => {
      if (process.ppid !== w.parentPid) die('its host is gone');
      const rss = process.memoryUsage.rss();
      if (rss > w.rssBytes) die(`memory: ${Math.round(rss / 2 ** 20)} MB in use, over the cap of ${w.rssMb} MB`);
      const since = Atomics.load(w.busy, 0);
      const limit = Atomics.load(w.busy, 1);
      if (since >= 0 && Date.now() - w.started - since > limit) die(`busy for more than ${limit} ms`);
    }, w.pollMs);
  };
  const guard = new Worker(`(${watchdog})()`, {
    eval: true,
    workerData: { parentPid: config.parentPid, rssBytes: config.rssMb * 2 ** 20, rssMb: config.rssMb, busy, started, pollMs: WATCH_MS },
    stdout: false,
    stderr: false,
    resourceLimits: { maxOldGenerationSizeMb: 16 },
  });
  guard.unref();
  // Without its watchdog the process must not go on.
  guard.on('error', () => exit(70));
  guard.on('exit', () => exit(70));

  for (const k of ['require', 'module', 'exports', '__filename', '__dirname', 'fetch', 'WebSocket', 'EventSource',
    'XMLHttpRequest', 'navigator', 'Worker', 'Request', 'Response', 'Headers', 'FormData']) {
    try {
      delete (/** @type {Record<string, unknown>} */ (/** @type {unknown} */ (globalThis)))[k];
    } catch (_) {}
  }
  for (const k of ['binding', '_linkedBinding', 'dlopen', 'getBuiltinModule', 'mainModule', 'kill', 'chdir', 'setuid', 'setgid']) {
    try {
      Object.defineProperty(process, k, { value: undefined, writable: false, configurable: false });
    } catch (_) {}
  }
  // A rejection the module leaves unhandled is not this process's failure; its reason is never looked at.
  process.on('unhandledRejection', () => undefined);

  // microtaskMode 'afterEvaluate': the context's promise jobs run inside runInContext, under its timeout, so
  // a hook's async work has finished (or will never finish) when runInContext returns, and a loop of
  // awaits is stopped like a loop of statements.
  const sandbox = vm.createContext(Object.create(null), { name: 'mechanism', codeGeneration: { strings: false, wasm: false }, microtaskMode: 'afterEvaluate' });
  // The numerical library first (trusted code, like the harness): a frozen global `numerics` that
  // mechanism code calls without imports. The realm's own objects only; this process keeps no reference.
  vm.runInContext(
    `(function () {\n${librarySource}\nObject.defineProperty(globalThis, 'numerics', { value: numerics, writable: false, configurable: false, enumerable: false });\n})();`,
    sandbox,
    { filename: 'numerics.js' },
  );
  vm.runInContext(realmSource, sandbox)(JSON.stringify({ hooks: config.hooks, maxOutputChars: config.maxOutputChars }));

  /**
   * @param {object} o
   * @param {string} key
   * @returns {unknown} an own data property, read without running a getter
   */
  const dataProperty = (o, key) => {
    const d = Object.getOwnPropertyDescriptor(o, key);
    return d && 'value' in d ? d.value : undefined;
  };
  const OWN_ERRORS = [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError];
  /**
   * What a value thrown out of runInContext says, read without running any code of the module: Node's
   * timeout, or an error of this realm (e.g. a SyntaxError of the program), by own data properties and
   * prototypes of non-proxies only; anything else was thrown past the harness by the module.
   * @param {unknown} e
   * @returns {{ status: string, output: string, escaped: true }}
   */
  const escaped = (e) => {
    if (typeof e === 'object' && e !== null && !types.isProxy(e)) {
      if (dataProperty(e, 'code') === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
        return { status: 'timeout', output: `ran past the sandbox's own limit of ${timeout} ms`, escaped: true };
      }
      const ours = OWN_ERRORS.find((E) => Object.getPrototypeOf(e) === E.prototype);
      const message = dataProperty(e, 'message');
      if (ours && typeof message === 'string') return { status: 'throw', output: `${ours.name}: ${message}`, escaped: true };
    }
    return { status: 'throw', output: 'the module threw past the sandbox harness (it broke a built-in the harness relies on)', escaped: true };
  };

  /**
   * @param {string} code
   * @param {string} filename
   * @returns {{ status: string, output: string, escaped?: true }}
   */
  const inContext = (code, filename) => {
    let r;
    try {
      r = vm.runInContext(code, sandbox, { filename, timeout });
    } catch (e) {
      return escaped(e);
    }
    if (typeof r !== 'string') return { status: 'garbage', output: 'the sandbox harness returned a non-string' };
    const answer = JSON.parse(r);
    return { status: String(answer.status), output: String(answer.output) };
  };

  /** @param {{ op: string, program?: string, timeoutMs?: number, id?: number, input?: string }} m */
  const handle = (m) => {
    if (m.op === 'load') {
      timeout = m.timeoutMs ?? timeout;
      Atomics.store(busy, 1, timeout + BUSY_MARGIN_MS);
      const r = inContext(String(m.program), '<mechanism>');
      send({ op: 'loaded', status: r.status, output: r.output });
    } else if (m.op === 'call') {
      const call = inContext(`__sandbox__.call(${JSON.stringify(m.input)})`, 'host');
      const r = call.escaped ? call : inContext('__sandbox__.result()', 'host');
      // No timers or I/O exist in the context: a promise still pending after its microtasks ran waits on nothing.
      if (r.status === 'pending') send({ op: 'result', id: m.id, status: 'timeout', output: 'the hook returned a promise that never settles' });
      else send({ op: 'result', id: m.id, status: r.status, output: r.output });
    }
  };

  const lines = readline.createInterface({ input: stdin });
  lines.on('line', (line) => {
    Atomics.store(busy, 0, Date.now() - started);
    handle(JSON.parse(line));
    // Cleared once Node's own work after the message (promise bookkeeping included) is done too.
    setImmediate(() => Atomics.store(busy, 0, -1));
  });
  // The host closed the pipe, or died: nothing more will come.
  lines.on('close', () => exit(0));
  send({ op: 'ready' });
}
