import { HOOKS } from './mechanism';

/** The most JSON a hook may return (state included). */
export const MAX_OUTPUT_CHARS = 1_000_000;

/**
 * Runs inside the mechanism's vm context (its own realm). It captures the built-ins it needs before
 * the mechanism's code runs (and avoids prototype methods a module could replace), removes what mechanism code has no use for (binary buffers, which the
 * heap cap would not bound; WebAssembly; weak refs), and exposes one frozen `__sandbox__` object. Its
 * results are strings only, so the host never touches an object of this realm.
 */
const CONTEXT_SETUP = `(function () {
  'use strict';
  const g = globalThis;
  for (const k of ['ArrayBuffer', 'SharedArrayBuffer', 'Atomics', 'WebAssembly', 'DataView', 'Int8Array', 'Uint8Array',
    'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array',
    'BigInt64Array', 'BigUint64Array', 'Float16Array', 'FinalizationRegistry', 'WeakRef']) delete g[k];
  const noop = function () {};
  g.console = Object.freeze({ log: noop, info: noop, warn: noop, error: noop, debug: noop });
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const finite = Number.isFinite;
  const HOOKS = ${JSON.stringify(HOOKS)};
  const MAX = ${MAX_OUTPUT_CHARS};
  let hooks = null;
  let status = 'idle';
  let output = '';
  const describe = function (e) {
    try {
      if (e instanceof Error) return String(e.name) + ': ' + String(e.message) + where(e);
      return 'threw ' + String(stringify(e));
    } catch (_) {
      return 'threw a value that cannot be shown';
    }
  };
  const where = function (e) {
    const m = /<mechanism>:(\\d+)/.exec(String(e.stack));
    return m ? ' (line ' + m[1] + ')' : '';
  };
  const finish = function (s, detail) { status = s; output = detail; };
  const finishValue = function (v) {
    let bad = null;
    let text;
    try {
      text = stringify(v, function (key, x) {
        const t = typeof x;
        const at = key ? ' at "' + key + '"' : '';
        if (bad === null && (t === 'function' || t === 'symbol' || t === 'bigint')) bad = 'a ' + t + at;
        if (bad === null && t === 'number' && !finite(x)) bad = String(x) + at;
        return t === 'bigint' ? null : x;
      });
    } catch (e) {
      return finish('garbage', 'not JSON: ' + describe(e));
    }
    if (bad !== null) return finish('garbage', 'not JSON: returned ' + bad);
    if (text === undefined) return finish('garbage', 'returned nothing; a hook returns an object');
    if (text.length > MAX) return finish('garbage', 'returned ' + text.length + ' characters of JSON, more than ' + MAX);
    status = 'ok';
    output = text;
  };
  const api = {
    load: function (evaluate) {
      let exported;
      try {
        exported = evaluate();
      } catch (e) {
        return stringify({ status: 'throw', output: 'loading the module: ' + describe(e) });
      }
      const found = {};
      const names = [];
      try {
        const fallback = exported.default;
        for (let i = 0; i < HOOKS.length; i++) {
          const h = HOOKS[i];
          let f = exported[h];
          let self = undefined;
          if (typeof f !== 'function' && fallback && typeof fallback === 'object' && typeof fallback[h] === 'function') {
            f = fallback[h];
            self = fallback;
          }
          if (typeof f === 'function') {
            found[h] = { f: f, self: self };
            names[names.length] = h;
          }
        }
      } catch (e) {
        return stringify({ status: 'throw', output: 'reading the exports: ' + describe(e) });
      }
      hooks = found;
      return stringify({ status: 'ok', output: stringify(names) });
    },
    call: function (inputText) {
      status = 'pending';
      output = '';
      const input = parse(inputText);
      const hook = hooks && hooks[input.hook];
      if (!hook) {
        finish('missing-hook', 'the module does not export ' + input.hook);
        return status;
      }
      let r;
      try {
        r = input.hasArg ? hook.f.call(hook.self, input.ctx, input.arg) : hook.f.call(hook.self, input.ctx);
      } catch (e) {
        finish('throw', describe(e));
        return status;
      }
      let thenable = false;
      try {
        thenable = r !== null && (typeof r === 'object' || typeof r === 'function') && typeof r.then === 'function';
      } catch (e) {
        finish('throw', describe(e));
        return status;
      }
      if (!thenable) {
        finishValue(r);
        return status;
      }
      try {
        r.then(finishValue, function (e) { finish('throw', describe(e)); });
      } catch (e) {
        finish('throw', describe(e));
      }
      return status;
    },
    result: function () {
      return stringify({ status: String(status), output: String(output) });
    },
  };
  Object.defineProperty(g, '__sandbox__', { value: Object.freeze(api), writable: false, configurable: false, enumerable: false });
})();`;

/**
 * The child process's program (run with `node -e`, so it needs no file of its own and works the same
 * from tsx and from the esbuild bundles). Protocol: JSON lines on stdin/stdout.
 *   host → {op:'load', script}               child → {op:'loaded', status, output}
 *   host → {op:'call', id, input}            child → {op:'result', id, status, output}
 * Before reading anything it removes every Node facility from its own realm (require, process.binding,
 * fetch …), so even code that escaped the vm context would find no network, file or process API; the
 * permission model blocks file system, child processes and workers on top.
 */
export const SANDBOX_CHILD_SOURCE = `'use strict';
const vm = require('node:vm');
const readline = require('node:readline');
const stdin = process.stdin;
const stdout = process.stdout;
const send = (m) => stdout.write(JSON.stringify(m) + '\\n');
for (const k of ['require', 'module', 'exports', '__filename', '__dirname', 'fetch', 'WebSocket', 'EventSource',
  'XMLHttpRequest', 'navigator', 'Worker', 'Request', 'Response', 'Headers', 'FormData']) {
  try { delete globalThis[k]; } catch (_) {}
}
for (const k of ['binding', '_linkedBinding', 'dlopen', 'getBuiltinModule', 'mainModule', 'kill', 'chdir', 'setuid', 'setgid']) {
  try { Object.defineProperty(process, k, { value: undefined, writable: false, configurable: false }); } catch (_) {}
}
// microtaskMode 'afterEvaluate': the context's promise jobs run inside runInContext, under its timeout, so
// a hook's async work has finished (or will never finish) when runInContext returns, and a loop of
// awaits is stopped like a loop of statements.
const sandbox = vm.createContext(Object.create(null), { name: 'mechanism', codeGeneration: { strings: false, wasm: false }, microtaskMode: 'afterEvaluate' });
// The host kills this process when a call overruns; this second limit stops a runaway hook even if
// the host is gone (killed mid-call), so no orphan spins forever.
let timeout = 10000;
vm.runInContext(${JSON.stringify(CONTEXT_SETUP)}, sandbox);
const inContext = (code, filename) => {
  let r;
  try {
    r = vm.runInContext(code, sandbox, { filename: filename || 'host', timeout });
  } catch (e) {
    return { status: 'throw', output: e instanceof Error ? e.name + ': ' + e.message : 'the module could not be evaluated' };
  }
  if (typeof r !== 'string') return { status: 'garbage', output: 'the sandbox harness returned a non-string' };
  return r;
};
const result = () => {
  const r = inContext('__sandbox__.result()');
  return typeof r === 'string' ? JSON.parse(r) : r;
};
const lines = readline.createInterface({ input: stdin });
lines.on('line', (line) => {
  const m = JSON.parse(line);
  if (m.op === 'load') {
    timeout = m.timeoutMs;
    const r = inContext('__sandbox__.load(function () { return ' + m.script + '; })', '<mechanism>');
    send({ op: 'loaded', ...(typeof r === 'string' ? JSON.parse(r) : r) });
  } else if (m.op === 'call') {
    // No timers or I/O exist in the context: a promise still pending after its microtasks ran waits on nothing.
    inContext('__sandbox__.call(' + JSON.stringify(m.input) + ')');
    const r = result();
    if (r.status === 'pending') send({ op: 'result', id: m.id, status: 'timeout', output: 'the hook returned a promise that never settles' });
    else send({ op: 'result', id: m.id, ...r });
  }
});
send({ op: 'ready' });
`;
