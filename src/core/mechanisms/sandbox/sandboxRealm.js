// @ts-check
// The harness of a mechanism's vm context (its own realm), evaluated there by sandboxChild.js before the
// module and called once with its configuration. It captures the built-ins it needs before the
// mechanism's code runs, and reads and serializes only objects without a prototype, so a getter or a
// toJSON that a module plants on Object.prototype or Array.prototype never runs in its code. It removes
// what mechanism code has no use for (binary buffers, which the heap cap would not bound; WebAssembly;
// weak refs and finalizers, whose callbacks would run outside any call) and exposes one frozen
// `__sandbox__` object whose functions answer in strings only, so the process never has to touch an
// object of this realm.
(
  /** @param {string} configText JSON: { hooks: string[], maxOutputChars: number } */
  function setup(configText) {
    'use strict';
    const g = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (globalThis));
    for (const k of ['ArrayBuffer', 'SharedArrayBuffer', 'Atomics', 'WebAssembly', 'DataView', 'Int8Array', 'Uint8Array',
      'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array',
      'BigInt64Array', 'BigUint64Array', 'Float16Array', 'FinalizationRegistry', 'WeakRef']) delete g[k];
    const noop = function () {};
    g.console = Object.freeze({ log: noop, info: noop, warn: noop, error: noop, debug: noop });
    const create = Object.create;
    const setPrototypeOf = Object.setPrototypeOf;
    const apply = Reflect.apply;
    const exec = RegExp.prototype.exec;
    const stringify = JSON.stringify;
    const parse = JSON.parse;
    const finite = Number.isFinite;
    /** @type {{ hooks: string[], maxOutputChars: number }} */
    const config = parse(configText);
    const HOOKS = config.hooks;
    const MAX = config.maxOutputChars;
    /** @typedef {{ f: Function, self: unknown }} Hook */
    /** @type {Record<string, Hook> | null} */
    let hooks = null;
    let status = 'idle';
    let output = '';
    /** @returns {Record<string, any>} */
    const record = function () {
      return create(null);
    };
    /** @param {string} s @param {string} detail */
    const reply = function (s, detail) {
      const r = record();
      r.status = s;
      r.output = detail;
      return stringify(r);
    };
    /** @param {unknown} e */
    const where = function (e) {
      const m = apply(exec, /<mechanism>:(\d+)/, [String(/** @type {Error} */ (e).stack)]);
      return m ? ' (line ' + m[1] + ')' : '';
    };
    /** @param {unknown} e */
    const describe = function (e) {
      try {
        if (e instanceof Error) return String(e.name) + ': ' + String(e.message) + where(e);
        return 'threw ' + String(stringify(e));
      } catch (_) {
        return 'threw a value that cannot be shown';
      }
    };
    /** @param {string} s @param {string} detail */
    const finish = function (s, detail) {
      status = s;
      output = detail;
    };
    /** @param {unknown} v */
    const finishValue = function (v) {
      /** @type {string | null} */
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
      finish('ok', text);
    };
    const api = record();
    /** @param {() => Record<string, unknown>} evaluate the module, returning its exports */
    api.load = function (evaluate) {
      /** @type {Record<string, unknown>} */
      let exported;
      try {
        exported = evaluate();
      } catch (e) {
        return reply('throw', 'loading the module: ' + describe(e));
      }
      try {
        /** @type {Record<string, Hook>} */
        const found = record();
        /** @type {string[]} */
        const names = setPrototypeOf([], null);
        const fallback = /** @type {Record<string, unknown> | undefined} */ (exported.default);
        for (let i = 0; i < HOOKS.length; i++) {
          const h = HOOKS[i];
          let f = exported[h];
          let self = undefined;
          if (typeof f !== 'function' && fallback && typeof fallback === 'object' && typeof fallback[h] === 'function') {
            f = fallback[h];
            self = fallback;
          }
          if (typeof f === 'function') {
            const hook = record();
            hook.f = f;
            hook.self = self;
            found[h] = /** @type {Hook} */ (hook);
            names[names.length] = h;
          }
        }
        hooks = found;
        return reply('ok', stringify(names));
      } catch (e) {
        return reply('throw', 'reading the exports: ' + describe(e));
      }
    };
    /**
     * Starts one hook call. Its promise jobs run when the process's runInContext ends (microtaskMode
     * afterEvaluate), under the same time limit; `result` then says how the call ended.
     * @param {string} inputText JSON: { hook, ctx, hasArg, arg }
     */
    api.call = function (inputText) {
      status = 'pending';
      output = '';
      try {
        const input = parse(inputText);
        const hook = hooks === null ? undefined : hooks[input.hook];
        if (!hook) return finish('missing-hook', 'the module does not export ' + input.hook);
        let r;
        try {
          r = apply(hook.f, hook.self, input.hasArg ? [input.ctx, input.arg] : [input.ctx]);
        } catch (e) {
          return finish('throw', describe(e));
        }
        const thenable = r !== null && (typeof r === 'object' || typeof r === 'function') && typeof r.then === 'function';
        if (!thenable) return finishValue(r);
        r.then(finishValue, /** @param {unknown} e */ function (e) {
          finish('throw', describe(e));
        });
      } catch (e) {
        finish('throw', describe(e));
      }
    };
    api.result = function () {
      return reply(String(status), String(output));
    };
    Object.defineProperty(g, '__sandbox__', { value: Object.freeze(api), writable: false, configurable: false, enumerable: false });
  }
);
