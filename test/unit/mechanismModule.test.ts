import { test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import { checkHookOutput } from '../../src/core/mechanisms/hookOutput';
import { parseMechanismModule, sandboxProgram } from '../../src/core/mechanisms/mechanismModule';
import { exitFailure } from '../../src/core/mechanisms/mechanismSandbox';

/** Evaluates the script the sandbox would run and returns which exports are functions. */
function exportsOf(source: string): Record<string, string> {
  const parsed = parseMechanismModule(source);
  assert.ok(parsed.ok, JSON.stringify(parsed));
  const exported = vm.runInNewContext(parsed.script) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(exported).map(([k, v]) => [k, typeof v]));
}

test('every export form becomes an entry of the evaluated object', () => {
  const source = `const helper = (x) => x + 1;
export function propose(ctx) { return { candidate: null }; }
export async function afterResult() { return {}; }
export const decide = () => ({});
function review() { return { verdict: 'accept' }; }
export { review as reviewCandidate, helper };
export class Thing {}
export let { a, b: [c] } = { a: 1, b: [2] };`;
  assert.deepEqual(exportsOf(source), {
    propose: 'function',
    afterResult: 'function',
    decide: 'function',
    reviewCandidate: 'function',
    helper: 'function',
    Thing: 'function',
    a: 'number',
    c: 'number',
  });
  const parsed = parseMechanismModule(source);
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.exports, ['propose', 'afterResult', 'decide', 'reviewCandidate', 'helper', 'Thing', 'a', 'c']);
  assert.deepEqual(parsed.imports, []);
});

test('default exports: an object of hooks, a named function, an anonymous function', () => {
  assert.deepEqual(exportsOf('export default { propose() { return {}; } };'), { default: 'object' });
  assert.deepEqual(exportsOf('export default function propose() {}'), { default: 'function' });
  assert.deepEqual(exportsOf('export default function () {}'), { default: 'function' });
});

test('line numbers in the script match the module (errors point at the right line)', () => {
  const parsed = parseMechanismModule(`export function propose() {\n  return 1;\n}\n\nexport function decide() {\n  throw new Error('here');\n}`);
  assert.ok(parsed.ok);
  const exported = vm.runInNewContext(parsed.script, {}, { filename: 'm.mjs' }) as { decide: () => void };
  assert.throws(() => exported.decide(), (e: Error) => /m\.mjs:6/.test(String(e.stack)));
});

test('imports of every kind are found, with their lines', () => {
  const parsed = parseMechanismModule(`import sk from 'sklearn';
import 'side-effect';
export * from 'x';
export { y } from 'y';
export async function propose() {
  const m = await import('node:fs');
  const r = require('child_process');
  return { guidance: import.meta.url };
}`);
  assert.ok(parsed.ok);
  assert.deepEqual(
    parsed.imports.map((i) => `${i.line}: ${i.message}`),
    ['1: import from "sklearn"', '2: import from "side-effect"', '3: export * from "x"', '4: export … from "y"', '6: dynamic import()', '7: require()', '8: import.meta'],
  );
});

test("Node's globals are imports too, unless the module declares the name itself", () => {
  const parsed = parseMechanismModule(`export function propose(ctx) {
  const b = process.binding('fs');
  module.exports = { a: __dirname };
  return { guidance: String(ctx.process) + String({ process: 1 }.process) };
}`);
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.imports.map((i) => `${i.line}: ${i.message}`), ["2: process (Node's)", "3: module (Node's)", "3: __dirname (Node's)"]);
  const local = parseMechanismModule('const require = (x) => x;\nexport function propose() { return { guidance: require("a") }; }\nexport function decide(process) { return { reason: String(process) }; }');
  assert.ok(local.ok);
  assert.deepEqual(local.imports, []);
});

test('the module is read as the sandbox runs it: a script, where "<!--" starts a comment', () => {
  // A module reads line 3 as a comparison and the import as text; the script the sandbox runs does not.
  const hidden = parseMechanismModule("export function propose() {\n  const a = 1, b = 2;\n  const x = a <!--b + `\n  import('node:fs');\n  //`;\n  return {};\n}");
  assert.equal(hidden.ok, false);
  assert.equal(!hidden.ok && hidden.error.line, 3);
  assert.match(!hidden.ok ? hidden.error.message : '', /^"<!--" starts a comment in the script the sandbox runs \(not in a module\)/);
  // Spaced out, or "-->" after code on its line, they are operators in both readings.
  for (const fine of ['export function propose() { let n = 3; while (n --> 0) {} return {}; }', 'export function propose() { let b = 2; return { guidance: String(1 < !--b) }; }']) {
    const parsed = parseMechanismModule(fine);
    assert.ok(parsed.ok, fine);
    assert.deepEqual(parsed.imports, []);
  }
});

test('what only a module allows fails as the script the sandbox runs; a hashbang is kept as a comment', () => {
  const topLevelAwait = parseMechanismModule('const x = await Promise.resolve(1);\nexport function propose() { return {}; }');
  assert.equal(topLevelAwait.ok, false);
  assert.equal(!topLevelAwait.ok && topLevelAwait.error.line, 1);
  const hashbang = parseMechanismModule('#!/usr/bin/env node\nexport function decide() {\n  throw new Error("x");\n}');
  assert.ok(hashbang.ok);
  const exported = vm.runInNewContext(hashbang.script, {}, { filename: 'h.mjs' }) as { decide: () => void };
  assert.throws(() => exported.decide(), (e: Error) => /h\.mjs:3/.test(String(e.stack)));
});

test('removed imports keep their lines, so lines after a multi-line import stay the module\'s', () => {
  const parsed = parseMechanismModule("import {\n  a,\n  b,\n} from 'x';\nexport function decide() {\n  throw new Error('here');\n}\nexport function propose() { return require('y'); }");
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.imports.map((i) => `${i.line}: ${i.message}`), ['1: import from "x"', '8: require()']);
  const exported = vm.runInNewContext(parsed.script, { require: () => null }, { filename: 'm.mjs' }) as { decide: () => void };
  assert.throws(() => exported.decide(), (e: Error) => /m\.mjs:6/.test(String(e.stack)));
});

test('the program the sandbox runs hands the exports, an object without a prototype, to its harness', () => {
  const parsed = parseMechanismModule('export function decide() { return {}; }');
  assert.ok(parsed.ok);
  let loaded: Record<string, unknown> | undefined;
  vm.runInNewContext(sandboxProgram(parsed.script), { __sandbox__: { load: (evaluate: () => Record<string, unknown>) => (loaded = evaluate()) } });
  assert.deepEqual(Object.keys(loaded!), ['decide']);
  assert.equal(Object.getPrototypeOf(loaded), null);
});

test('a syntax error is reported with its line, and CommonJS is not a module export', () => {
  const bad = parseMechanismModule('export function propose() {\n  return 1 +;\n}');
  assert.equal(bad.ok, false);
  assert.equal(!bad.ok && bad.error.line, 2);
  const cjs = parseMechanismModule('module.exports = { propose() {} };');
  assert.ok(cjs.ok);
  assert.deepEqual(cjs.exports, []);
});

test('hook outputs: well-formed ones pass with unknown fields dropped, state separated', () => {
  assert.deepEqual(checkHookOutput('beforePropose', { guidance: 'g', freeze: ['A'], focus: [], extra: 1, state: { k: 1 } }), {
    ok: true,
    output: { guidance: 'g', freeze: ['A'], focus: [] },
    hasState: true,
    state: { k: 1 },
  });
  assert.deepEqual(checkHookOutput('propose', {}), { ok: true, output: { candidate: null }, hasState: false, state: undefined });
  assert.deepEqual(checkHookOutput('propose', { candidate: { description: 'd', hypothesis: 'h', params: { A: [1, 'x', null, true] } } }).ok, true);
  assert.deepEqual(checkHookOutput('reviewCandidate', { verdict: 'reject', reason: 'r' }), { ok: true, output: { verdict: 'reject', reason: 'r' }, hasState: false, state: undefined });
  assert.deepEqual(checkHookOutput('decide', { status: 'keep', state: null }), { ok: true, output: { status: 'keep' }, hasState: true, state: null });
  assert.deepEqual(checkHookOutput('afterResult', { state: [1] }), { ok: true, output: {}, hasState: true, state: [1] });
});

test('hook outputs: each malformed field is named', () => {
  const detail = (hook: Parameters<typeof checkHookOutput>[0], v: unknown) => {
    const r = checkHookOutput(hook, v);
    return r.ok ? 'ok' : r.detail;
  };
  assert.equal(detail('afterResult', null), 'afterResult must return an object, got null');
  assert.equal(detail('afterResult', [1]), 'afterResult must return an object, got [1]');
  assert.equal(detail('beforePropose', { guidance: 3 }), 'beforePropose: guidance must be a string, got 3');
  assert.equal(detail('beforePropose', { focus: [1] }), 'beforePropose: focus must be an array of parameter names, got [1]');
  assert.equal(detail('propose', { candidate: [] }), 'propose: candidate must be an object or null, got []');
  assert.equal(detail('propose', { candidate: { description: '', hypothesis: 'h', params: { A: 1 } } }), 'propose: candidate.description must be a non-empty string, got ""');
  assert.equal(detail('propose', { candidate: { description: 'd', params: { A: 1 } } }), 'propose: candidate.hypothesis must be a string, got nothing');
  assert.equal(detail('propose', { candidate: { description: 'd', hypothesis: 'h', params: {} } }), 'propose: candidate.params must be an object naming at least one parameter, got {}');
  assert.equal(detail('reviewCandidate', {}), 'reviewCandidate: verdict must be "accept" or "reject", got nothing');
  assert.equal(detail('reviewCandidate', { verdict: 'accept', reason: 1 }), 'reviewCandidate: reason must be a string, got 1');
  assert.equal(detail('decide', { status: 'crash' }), 'decide: status must be "keep", "discard", "rerun" or absent, got "crash"');
});

test('how a sandbox process ended: the heap cap, what its watchdog said, else how it exited', () => {
  const limits = { memoryMb: 64 };
  assert.deepEqual(exitFailure('FATAL ERROR: Reached heap limit Allocation failed', 'exited (SIGABRT)', limits), { failure: 'memory', detail: 'ran out of its 64 MB heap' });
  assert.deepEqual(exitFailure('sandbox: memory: 270 MB in use, over the cap of 256 MB\n', 'exited (SIGKILL)', limits), {
    failure: 'memory',
    detail: 'used too much memory: 270 MB in use, over the cap of 256 MB',
  });
  assert.deepEqual(exitFailure('sandbox: busy for more than 3000 ms\n', 'exited (SIGKILL)', limits), { failure: 'timeout', detail: 'the sandbox process was busy for more than 3000 ms' });
  assert.deepEqual(exitFailure('', 'exited (code 70)', limits), { failure: 'exit', detail: 'the sandbox process exited (code 70)' });
  assert.deepEqual(exitFailure('boom\nlast words\n', 'exited (code 1)', limits), { failure: 'exit', detail: 'the sandbox process exited (code 1): last words' });
});
