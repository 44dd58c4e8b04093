import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ContextWithoutState, MechanismResult } from '../../src/core/mechanisms/mechanism';
import { isAlive, signalProcess } from '../../src/core/process/processGroup';
import { MechanismSandbox } from '../../src/core/mechanisms/mechanismSandbox';
import { validateMechanism } from '../../src/core/mechanisms/validateMechanism';
import { bundleEntry } from '../support/bundleEntry';

// The adversarial corpus: each module misbehaves in one way; each is contained and reported, the host
// neither throws nor hangs, and nothing outside the sandbox changes.

const ROOT = resolve(__dirname, '../..');

const ctx: ContextWithoutState = {
  iteration: 3,
  metric: 'val_bpb',
  goal: 'minimize',
  best: { n: 0, metric: 1.1 },
  incumbent: { n: 0, metric: 1.1 },
  noise: { floor: null, samples: 0 },
  params: [{ name: 'LR', value: 0.01, kind: 'float', frozen: false }],
  frozen: [],
  focus: [],
  history: [],
};
const result: MechanismResult = { n: 3, status: 'discard', metric: 1.2, delta: 0.1, changed: { LR: { from: 0.01, to: 0.02 } }, description: 'LR up' };

/** A scratch directory with one file in it, to show nothing outside the sandbox was touched. */
function scratch(): { dir: string; marker: string; snapshot: () => string } {
  const dir = mkdtempSync(join(tmpdir(), 'mech-adv-'));
  const marker = join(dir, 'marker.txt');
  writeFileSync(marker, 'untouched');
  return { dir, marker, snapshot: () => JSON.stringify({ files: readdirSync(dir).sort(), marker: readFileSync(marker, 'utf8') }) };
}

function gone(pid: number | undefined): boolean {
  return pid === undefined || !isAlive(pid);
}

// Generous, so a loaded machine never turns a quick hook into a timeout; tests of timeouts set their own.
async function withBox<T>(source: string, f: (box: MechanismSandbox) => Promise<T>, limits = { callMs: 5000 }): Promise<T> {
  const box = await MechanismSandbox.start({ name: 'adversary', source, limits });
  try {
    return await f(box);
  } finally {
    await box.close();
  }
}

test('the sandbox process runs under the permission model with a heap cap and an empty environment', async () => {
  await withBox('export function afterResult() { return {}; }', async (box) => {
    const cmdline = readFileSync(`/proc/${box.pid}/cmdline`, 'utf8').split('\0');
    assert.ok(cmdline.includes('--experimental-permission') || cmdline.includes('--permission'), cmdline.join(' '));
    assert.ok(cmdline.includes('--max-old-space-size=64'), cmdline.join(' '));
    assert.equal(readFileSync(`/proc/${box.pid}/environ`, 'utf8'), '');
  });
});

test('an infinite loop at the top level: start reports a timeout and the process is killed', async () => {
  const box = await MechanismSandbox.start({ name: 'spin', source: 'while (true) {}\nexport function propose() { return {}; }', limits: { callMs: 1000 } });
  assert.equal(box.failure?.failure, 'timeout');
  assert.match(box.failure!.detail, /evaluating the module took longer than 1000 ms/);
  const r = await box.call('propose', ctx);
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.failure, 'timeout');
  await box.close();
});

test('a busy loop inside a hook: timeout, the process is killed, the sandbox is dead, the last state kept', async () => {
  const source = `export function afterResult(ctx) { return { state: { calls: ((ctx.state && ctx.state.calls) || 0) + 1 } }; }
export function decide() { for (;;) {} }`;
  await withBox(source, async (box) => {
    assert.equal((await box.call('afterResult', ctx, result)).ok, true);
    const pid = box.pid;
    const r = await box.call('decide', ctx, result);
    assert.deepEqual(r.ok ? null : [r.failure, r.detail], ['timeout', 'decide took longer than 1500 ms']);
    assert.equal(box.alive, false);
    await waitUntil(() => gone(pid));
    assert.deepEqual(box.state, { calls: 1 });
    const after = await box.call('afterResult', ctx, result);
    assert.equal(!after.ok && after.failure, 'timeout');
  }, { callMs: 1500 });
});

test('a host killed in the middle of a runaway call leaves no orphan process spinning', async () => {
  const host = `
    const { MechanismSandbox } = require('./src/core/mechanisms/mechanismSandbox');
    (async () => {
      const box = await MechanismSandbox.start({ name: 'spin', source: 'export function decide() { for (;;) {} }', limits: { callMs: 1000 } });
      console.log(box.pid);
      void box.call('decide', ${JSON.stringify(ctx)}, ${JSON.stringify(result)});
      setTimeout(() => process.kill(process.pid, 'SIGKILL'), 300);
    })();`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', host], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.signal, 'SIGKILL', run.stderr);
  const pid = Number(run.stdout.trim());
  assert.ok(pid > 0, run.stdout);
  // Its watchdog thread sees the host gone (its parent pid changed) and kills it, loop or not.
  await waitUntil(() => gone(pid));
});

/** Runs `body` in a host process of its own that starts a sandbox, prints its pid, and is killed with -9 once `body` is done. */
function killedHost(source: string, body: string): number {
  const host = `
    const { MechanismSandbox } = require('./src/core/mechanisms/mechanismSandbox');
    (async () => {
      const box = await MechanismSandbox.start({ name: 'orphan', source: ${JSON.stringify(source)}, limits: { callMs: 1000 } });
      console.log(box.pid);
      ${body}
      process.kill(process.pid, 'SIGKILL');
    })();`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', host], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.signal, 'SIGKILL', run.stderr);
  const pid = Number(run.stdout.trim());
  assert.ok(pid > 0, run.stdout);
  return pid;
}

async function goneWithin(pid: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!gone(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(gone(pid), `sandbox process ${pid} still alive ${ms} ms after its host was killed`);
}

test('a host killed with -9 takes its idle sandbox process with it within 2 s', async () => {
  const pid = killedHost('export function decide() { return {}; }', `await box.call('decide', ${JSON.stringify(ctx)}, ${JSON.stringify(result)});`);
  await goneWithin(pid, 2000);
});

// A rejected promise whose prototype is a Proxy: Node's own bookkeeping of unhandled rejections reads
// it after the call, outside any vm time limit, and its trap spins.
const spinsAfterTheCall = `const trap = new Proxy({}, { get() { for (;;) {} }, getPrototypeOf() { for (;;) {} }, has() { for (;;) {} } });
export function decide() { Object.setPrototypeOf(Promise.reject(1), trap); return {}; }`;

test('a sandbox process held outside the vm by a Proxy trap still dies with its host within 2 s', async () => {
  const pid = killedHost(spinsAfterTheCall, `await box.call('decide', ${JSON.stringify(ctx)}, ${JSON.stringify(result)}); await new Promise((r) => setTimeout(r, 200));`);
  await goneWithin(pid, 2000);
});

test('a sandbox process held outside the vm by a Proxy trap is killed by its watchdog past the call limit', async () => {
  const box = await MechanismSandbox.start({ name: 'trap', source: spinsAfterTheCall, limits: { callMs: 500 } });
  try {
    const pid = box.pid;
    const r = await box.call('decide', ctx, result);
    assert.equal(r.ok, true, JSON.stringify(r));
    await waitUntil(() => !box.alive);
    // The child's own limit is callMs + 1000; its watchdog allows 1000 ms more for one message.
    assert.deepEqual(box.failure, { failure: 'timeout', detail: 'the sandbox process was busy for more than 2500 ms' });
    await waitUntil(() => gone(pid));
  } finally {
    await box.close();
  }
});

test('getters and Proxy traps planted on the prototypes never run in the harness; in a hook they run under its limit', async () => {
  const source = `const trap = new Proxy({}, { get() { for (;;) {} }, getPrototypeOf() { for (;;) {} }, getOwnPropertyDescriptor() { for (;;) {} } });
Object.defineProperty(Array.prototype, 'toJSON', { get() { throw trap; } });
Object.defineProperty(Object.prototype, 'toJSON', { get() { throw trap; } });
Object.defineProperty(Object.prototype, 'propose', { get() { throw trap; } });
export function decide() { return {}; }
export function afterResult() { return 'not an object'; }`;
  const box = await MechanismSandbox.start({ name: 'trap', source, limits: { callMs: 1500 } });
  try {
    assert.equal(box.failure, null);
    assert.deepEqual(box.hooks, ['decide', 'afterResult']);
    // A string has no toJSON to look up: the harness's answer is read without touching the prototypes.
    const plain = await box.call('afterResult', ctx, result);
    assert.deepEqual(plain.ok ? null : [plain.failure, plain.detail], ['garbage', 'afterResult must return an object, got "not an object"']);
    // Serializing the hook's own object runs the module's getter, whose trap spins: inside the call's limit.
    const pid = box.pid;
    const r = await box.call('decide', ctx, result);
    assert.deepEqual(r.ok ? null : [r.failure, r.detail], ['timeout', 'decide took longer than 1500 ms']);
    await waitUntil(() => gone(pid));
  } finally {
    await box.close();
  }
});

test('native memory the heap cap does not bound (Intl objects kept across calls) is stopped at the memory cap', async () => {
  const source = `const keep = [];
export function beforePropose() {
  for (let i = 0; i < 20000; i++) keep.push(new Intl.Collator('de', { sensitivity: 'base' }), new Intl.DateTimeFormat('en', { timeZone: 'Asia/Tokyo' }), new Intl.NumberFormat('ja', { style: 'currency', currency: 'JPY' }));
  return { guidance: String(keep.length) };
}`;
  const box = await MechanismSandbox.start({ name: 'intl', source, limits: { callMs: 60_000 } });
  try {
    assert.equal(box.limits.rssMb, 256);
    const pid = box.pid;
    let r = await box.call('beforePropose', ctx);
    for (let i = 0; i < 5 && r.ok; i++) r = await box.call('beforePropose', ctx);
    assert.equal(!r.ok && r.failure, 'memory', JSON.stringify(r));
    assert.match(!r.ok ? r.detail : '', /^used too much memory: \d+ MB in use, over the cap of 256 MB$/);
    assert.equal(box.alive, false);
    await waitUntil(() => gone(pid));
  } finally {
    await box.close();
  }
});

test('an async hook that never settles, and one that loops on await: both time out', async () => {
  await withBox('export async function beforePropose() { await new Promise(() => {}); }', async (box) => {
    const r = await box.call('beforePropose', ctx);
    assert.equal(!r.ok && r.failure, 'timeout');
    assert.match(!r.ok ? r.detail : '', /never settles/);
  });
  await withBox('export async function beforePropose() { for (;;) await null; }', async (box) => {
    const r = await box.call('beforePropose', ctx);
    assert.equal(!r.ok && r.failure, 'timeout');
  }, { callMs: 1500 });
});

test('reading and writing files: no file API is reachable, nothing is read or written', async () => {
  const s = scratch();
  const before = s.snapshot();
  const attempts = [
    // Spelt so the static import check lets them through: this is about what exists at run time.
    `globalThis['req' + 'uire']('fs').writeFileSync(${JSON.stringify(join(s.dir, 'pwned'))}, 'x')`,
    `globalThis['req' + 'uire']('fs').readFileSync('/etc/passwd', 'utf8')`,
    `globalThis['pro' + 'cess'].binding('fs')`,
    `globalThis['pro' + 'cess'].getBuiltinModule('fs').unlinkSync(${JSON.stringify(s.marker)})`,
    `globalThis.constructor.constructor('return process')().mainModule`,
    `(function () { return this; })().process.exit(3)`,
  ];
  for (const attempt of attempts) {
    await withBox(`export function beforePropose() { return { guidance: String(${attempt}) }; }`, async (box) => {
      const r = await box.call('beforePropose', ctx);
      assert.equal(r.ok, false, attempt);
      assert.equal(!r.ok && r.failure, 'throw', attempt);
      assert.match(!r.ok ? r.detail : '', /ReferenceError|EvalError|TypeError/, attempt);
      assert.equal(box.alive, true, 'a throw does not kill the sandbox');
    });
  }
  assert.equal(s.snapshot(), before);
});

test('importing a module (static, dynamic or require) is refused before anything runs', async () => {
  for (const source of [
    `export function propose() { return { guidance: require('fs').readFileSync('/etc/passwd', 'utf8') }; }`,
    `import { readFileSync } from 'node:fs';\nexport function propose() { readFileSync('/etc/passwd'); }`,
    `export async function propose() { const fs = await import('node:fs'); return { guidance: fs.readFileSync('/etc/passwd', 'utf8') }; }`,
    `export function propose() { return { guidance: process.binding('fs') }; }`,
  ]) {
    const box = await MechanismSandbox.start({ name: 'importer', source });
    assert.equal(box.failure?.failure, 'throw');
    assert.match(box.failure!.detail, /imports are not available in a mechanism: (import from "node:fs"|dynamic import\(\)|require\(\)|process \(Node's\)) \(line \d\)/);
    assert.equal(box.pid, undefined, 'no process was even started');
    const v = await validateMechanism(source);
    assert.equal(v.checks[0].name, 'parses');
    assert.equal(v.checks[0].ok, false);
  }
});

test('an import hidden from the module reading by an HTML-like comment is refused before anything runs', async () => {
  // As a module, line 3 is a comparison and the import is text in a template; as the script the sandbox
  // runs, "<!--" starts a comment and the import on line 4 is code.
  const source = "export function propose() {\n  const a = 1, b = 2;\n  const x = a <!--b + `\n  import('node:fs');\n  //`;\n  return { guidance: String(x) };\n}";
  const box = await MechanismSandbox.start({ name: 'html-comment', source });
  assert.equal(box.failure?.failure, 'throw');
  assert.match(box.failure!.detail, /^line 3: "<!--" starts a comment in the script the sandbox runs/);
  assert.equal(box.pid, undefined, 'no process was even started');
  const v = await validateMechanism(source);
  assert.equal(v.checks[0].name, 'parses');
  assert.equal(v.checks[0].ok, false);
  assert.match(v.checks[0].detail, /line 3: "<!--" starts a comment/);
});

test('spawning a process: no process API is reachable, the command never runs', async () => {
  const s = scratch();
  const before = s.snapshot();
  const marker = JSON.stringify(join(s.dir, 'spawned'));
  for (const attempt of [
    `globalThis['req' + 'uire']('child_process').execSync('touch ' + ${marker})`,
    `globalThis['pro' + 'cess'].binding('spawn_sync').spawn({ file: 'touch', args: ['touch', ${marker}] })`,
    `new Worker('require("fs").writeFileSync(' + ${JSON.stringify(marker)} + ', "x")', { eval: true })`,
  ]) {
    await withBox(`export function afterResult() { ${attempt}; return {}; }`, async (box) => {
      const r = await box.call('afterResult', ctx, result);
      assert.equal(!r.ok && r.failure, 'throw', attempt);
    });
  }
  assert.equal(s.snapshot(), before);
});

test('opening a socket or fetching: no network API is reachable, the server sees no connection', async () => {
  let connections = 0;
  const server = createServer((sock) => {
    connections++;
    sock.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    for (const attempt of [
      `await fetch('http://127.0.0.1:${port}/')`,
      `new WebSocket('ws://127.0.0.1:${port}/')`,
      `globalThis['req' + 'uire']('net').connect(${port}, '127.0.0.1')`,
      `globalThis['pro' + 'cess'].binding('tcp_wrap')`,
      `new XMLHttpRequest()`,
    ]) {
      await withBox(`export async function beforePropose() { ${attempt}; return { guidance: 'connected' }; }`, async (box) => {
        const r = await box.call('beforePropose', ctx);
        assert.equal(!r.ok && r.failure, 'throw', attempt);
        assert.match(!r.ok ? r.detail : '', /ReferenceError: (fetch|WebSocket|process|XMLHttpRequest) is not defined|TypeError: globalThis\[.*\] is not a function|TypeError: Cannot read properties of undefined \(reading 'binding'\)/, attempt);
      });
    }
    // Give any stray connection time to arrive before concluding there was none.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(connections, 0);
  } finally {
    server.close();
  }
});

test('escaping the vm through constructors finds no code generation and no host objects', async () => {
  for (const attempt of [
    `ctx.constructor.constructor('return process')()`,
    `(async function () {}).constructor('return process')()`,
    `eval('process')`,
    `new Function('return this')().process.pid`,
  ]) {
    await withBox(`export function beforePropose(ctx) { return { guidance: String(${attempt}) }; }`, async (box) => {
      const r = await box.call('beforePropose', ctx);
      assert.equal(!r.ok && r.failure, 'throw', attempt);
      assert.match(!r.ok ? r.detail : '', /EvalError: Code generation from strings disallowed/, attempt);
    });
  }
});

test('process.exit is not there to call; a sandbox process killed from outside reports exit', async () => {
  // Named, it is refused before anything runs; reached for at run time, it is not there.
  const named = await MechanismSandbox.start({ name: 'exit', source: 'export function decide() { process.exit(0); }' });
  assert.equal(named.failure?.failure, 'throw');
  assert.match(named.failure!.detail, /imports are not available in a mechanism: process \(Node's\) \(line 1\)/);
  assert.equal(named.pid, undefined);
  await withBox(`export function decide() { globalThis['pro' + 'cess'].exit(0); }`, async (box) => {
    const r = await box.call('decide', ctx, result);
    assert.equal(!r.ok && r.failure, 'throw');
    assert.match(!r.ok ? r.detail : '', /TypeError: Cannot read properties of undefined \(reading 'exit'\)/);
    assert.equal(box.alive, true);
  });
  await withBox('export function decide() { return {}; }', async (box) => {
    signalProcess(box.pid!, 'SIGKILL');
    await waitUntil(() => !box.alive);
    const r = await box.call('decide', ctx, result);
    assert.equal(!r.ok && r.failure, 'exit');
    assert.match(!r.ok ? r.detail : '', /SIGKILL/);
  });
});

test('a huge allocation hits the heap cap and is reported as memory', async () => {
  await withBox(
    'export function beforePropose() { const a = []; for (;;) a.push(new Array(100000).fill(Math.random())); }',
    async (box) => {
      const r = await box.call('beforePropose', ctx);
      assert.deepEqual(r.ok ? null : [r.failure, r.detail], ['memory', 'ran out of its 64 MB heap']);
      assert.equal(box.alive, false);
    },
    { callMs: 20_000 },
  );
  // Buffers outside the JS heap are not there to allocate.
  await withBox('export function beforePropose() { const a = []; for (;;) a.push(new Uint8Array(1 << 30)); }', async (box) => {
    const r = await box.call('beforePropose', ctx);
    assert.equal(!r.ok && r.failure, 'throw');
    assert.match(!r.ok ? r.detail : '', /ReferenceError: Uint8Array is not defined/);
  });
});

test('throwing: reported with the line, the sandbox stays usable and the state is unchanged', async () => {
  const source = `export function afterResult(ctx, r) {
  if (r.status === 'crash') throw new Error('cannot handle a crash');
  return { state: { seen: ((ctx.state && ctx.state.seen) || 0) + 1 } };
}`;
  await withBox(source, async (box) => {
    const first = await box.call('afterResult', ctx, result);
    assert.deepEqual(first.ok && [first.output, first.state], [{}, { seen: 1 }]);
    const r = await box.call('afterResult', ctx, { ...result, status: 'crash', metric: null, delta: null });
    assert.deepEqual(r.ok ? null : [r.failure, r.detail], ['throw', 'Error: cannot handle a crash (line 2)']);
    assert.deepEqual(box.state, { seen: 1 });
    assert.equal((await box.call('afterResult', ctx, result)).ok, true);
    assert.deepEqual(box.state, { seen: 2 });
  });
  await withBox('export function decide() { throw 42; }', async (box) => {
    const r = await box.call('decide', ctx, result);
    assert.deepEqual(r.ok ? null : [r.failure, r.detail], ['throw', 'threw 42']);
  });
  await withBox('const deep = (n) => deep(n + 1) + 1;\nexport function decide() { return { reason: String(deep(0)) }; }', async (box) => {
    const r = await box.call('decide', ctx, result);
    assert.deepEqual(r.ok ? null : [r.failure, r.detail], ['throw', 'RangeError: Maximum call stack size exceeded (line 1)']);
    assert.equal(box.alive, true);
  });
});

test('wrong shapes and non-JSON results are garbage, each named', async () => {
  const cases: [string, string, RegExp][] = [
    ['reviewCandidate', `return { verdict: 'maybe' };`, /verdict must be "accept" or "reject", got "maybe"/],
    ['reviewCandidate', `return 'reject';`, /must return an object, got "reject"/],
    ['propose', `return { candidate: { description: 'x', hypothesis: 'y' } };`, /candidate.params must be an object naming at least one parameter/],
    ['propose', `return { candidate: { description: 'x', hypothesis: 'y', params: { LR: { a: 1 } } } };`, /candidate.params.LR must be a number/],
    ['beforePropose', `return { freeze: 'LR' };`, /freeze must be an array of parameter names/],
    ['beforePropose', `return { guidance: () => 1 };`, /not JSON: returned a function at "guidance"/],
    ['beforePropose', `return { state: { x: NaN } };`, /not JSON: returned NaN at "x"/],
    ['beforePropose', `const a = {}; a.self = a; return { state: a };`, /not JSON: TypeError: Converting circular structure/],
    ['beforePropose', `return { state: 10n };`, /not JSON/],
    ['beforePropose', `return;`, /returned nothing/],
    ['beforePropose', `return { state: 'x'.repeat(2000000) };`, /more than 1000000/],
    ['decide', `return { status: 'crash' };`, /status must be "keep", "discard", "rerun" or absent/],
  ];
  for (const [hook, body, want] of cases) {
    await withBox(`export function ${hook}() { ${body} }`, async (box) => {
      const r = await box.call(hook as 'decide', ctx, result);
      assert.equal(!r.ok && r.failure, 'garbage', body);
      assert.match(!r.ok ? r.detail : '', want, body);
      assert.equal(box.alive, true);
      assert.equal(box.state, null, 'garbage never becomes the state');
    });
  }
});

test('prototype pollution stays inside the sandbox', async () => {
  const source = `Object.prototype.polluted = 'yes';
Object.defineProperty(Object.prototype, 'verdict', { get() { return 'reject'; }, enumerable: true });
Array.prototype.push = function () { throw new Error('no push'); };
JSON.stringify = function () { return '{"verdict":"reject","reason":"forged"}'; };
export function reviewCandidate() { return { verdict: 'accept', note: {} }; }`;
  await withBox(source, async (box) => {
    const r = await box.call('reviewCandidate', ctx, { description: 'd', hypothesis: 'h', params: { LR: 0.02 }, changed: { LR: { from: 0.01, to: 0.02 } } });
    assert.deepEqual(r.ok && r.output, { verdict: 'accept' });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
  // A fresh sandbox is a fresh realm.
  await withBox('export function beforePropose() { return { guidance: String(({}).polluted) }; }', async (box) => {
    const r = await box.call('beforePropose', ctx);
    assert.deepEqual(r.ok && r.output, { guidance: 'undefined' });
  });
});

test('a missing hook is reported without a round trip', async () => {
  await withBox('export function afterResult() { return {}; }', async (box) => {
    assert.deepEqual(box.hooks, ['afterResult']);
    const r = await box.call('propose', ctx);
    assert.deepEqual(r.ok ? null : r.failure, 'missing-hook');
  });
});

test('the sandbox and the library work from an esbuild bundle, as in dist/cli.js and dist/extension.js', async () => {
  const out = mkdtempSync(join(tmpdir(), 'mech-bundle-'));
  await bundleEntry(
    `
        import { MechanismSandbox } from './src/core/mechanisms/mechanismSandbox';
        import { libraryMechanism } from './src/core/mechanisms/library';
        (async () => {
          const box = await MechanismSandbox.start({ name: 'tabu-search', source: libraryMechanism('tabu-search').source });
          const r = await box.call('afterResult', ${JSON.stringify(ctx)}, ${JSON.stringify(result)});
          console.log(JSON.stringify({ hooks: box.hooks, ok: r.ok, state: box.state }));
          await box.close();
        })();`,
    out,
  );
  // The same copies scripts/build.mjs makes next to the bundles.
  mkdirSync(join(out, 'mechanisms'));
  cpSync(join(ROOT, 'src/core/mechanisms/library'), join(out, 'mechanisms'), { recursive: true });
  cpSync(join(ROOT, 'src/core/mechanisms/sandbox'), join(out, 'sandbox'), { recursive: true });
  const run = spawnSync(process.execPath, [join(out, 'bundle.js')], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  const printed = JSON.parse(run.stdout);
  assert.deepEqual(printed.hooks, ['reviewCandidate', 'afterResult']);
  assert.equal(printed.ok, true);
  assert.deepEqual(printed.state.tabu.map((t: { name: string; dir: string }) => [t.name, t.dir]), [['LR', 'up']]);
  const buildScript = readFileSync(join(ROOT, 'scripts/build.mjs'), 'utf8');
  assert.ok(buildScript.includes("'dist/mechanisms'") && buildScript.includes("'dist/sandbox'"));
});

async function waitUntil(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(cond(), 'condition never became true');
}
