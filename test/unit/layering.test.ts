import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const importsOf = (src: string) => [...src.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]);

test('src/core never imports vscode (it runs in plain Node and the CLI)', () => {
  const files = tsFiles('src/core');
  assert.ok(files.length > 10, 'expected the engine sources under src/core');
  const offenders = files.filter((f) => importsOf(readFileSync(f, 'utf8')).some((m) => m === 'vscode' || m.startsWith('vscode/')));
  assert.deepEqual(offenders, []);
});

test('src/core and src/cli never import from src/extension', () => {
  const files = [...tsFiles('src/core'), ...tsFiles('src/cli')];
  const offenders = files.filter((f) => importsOf(readFileSync(f, 'utf8')).some((m) => m.includes('/extension/')));
  assert.deepEqual(offenders, []);
});

test('src/shared imports only from src/shared (core, the extension and the webview all import it)', () => {
  const files = tsFiles('src/shared');
  assert.ok(files.some((f) => f.endsWith(join('trace', 'runState.ts'))), 'expected the fold under src/shared/trace');
  const offenders = files.filter((f) =>
    importsOf(readFileSync(f, 'utf8')).some((m) => m === 'vscode' || (m.startsWith('.') && !resolve(dirname(f), m).startsWith(resolve('src/shared')))),
  );
  assert.deepEqual(offenders, []);
});

test('the layering check itself sees a vscode import', () => {
  assert.deepEqual(importsOf(`import * as vscode from 'vscode';\nconst x = require("vscode");`), ['vscode', 'vscode']);
});

test('the adapters (src/cli, src/extension) reach core only through its public entry, src/core/index.ts', () => {
  const files = [...tsFiles('src/cli'), ...tsFiles('src/extension')];
  const offenders = files.flatMap((f) =>
    importsOf(readFileSync(f, 'utf8'))
      .filter((m) => m.startsWith('.'))
      .map((m) => resolve(dirname(f), m))
      .filter((p) => p.startsWith(resolve('src/core') + '/') && p !== resolve('src/core/index'))
      .map((p) => `${f} -> ${p}`),
  );
  assert.deepEqual(offenders, []);
});

// ── The import graph: no cycles anywhere, and core's folders only import downward ──

/** Every relative import (type-only included) of one source, as written. */
const relativeImportsOf = (src: string) => [...src.matchAll(/(?:from\s+|import\s*\(\s*|import\s+|export\s+\*\s+from\s+)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);

function resolveImport(from: string, spec: string): string | null {
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts'), join(base, 'index.tsx')]) {
    try {
      if (statSync(candidate).isFile() && /\.tsx?$/.test(candidate)) return candidate;
    } catch {
      // not this one
    }
  }
  return null;
}

function importGraph(roots: string[]): Map<string, string[]> {
  const files = roots.flatMap((r) => sourceFiles(r));
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const edges = relativeImportsOf(readFileSync(f, 'utf8'))
      .map((m) => resolveImport(f, m))
      .filter((p): p is string => p !== null);
    graph.set(resolve(f), [...new Set(edges)]);
  }
  return graph;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === 'node_modules' ? [] : sourceFiles(p);
    return /\.tsx?$/.test(p) && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** The first import cycle found (its files in order, the first repeated at the end), or null. Pure. */
function findCycle(graph: ReadonlyMap<string, readonly string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | null => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') return [...path.slice(path.indexOf(next)), next];
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    path.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of [...graph.keys()].sort()) {
    if (state.has(node)) continue;
    const found = visit(node);
    if (found) return found;
  }
  return null;
}

test('the cycle detector finds a planted cycle and passes an acyclic graph', () => {
  const planted = new Map([
    ['a', ['b']],
    ['b', ['c', 'd']],
    ['c', ['a']],
    ['d', []],
  ]);
  assert.deepEqual(findCycle(planted), ['a', 'b', 'c', 'a']);
  assert.equal(findCycle(new Map([['a', ['b']], ['b', ['c']], ['c', []]])), null);
  assert.deepEqual(findCycle(new Map([['self', ['self']]])), ['self', 'self']);
});

test('no import cycle among the files of src and webview-ui/src (type-only imports included)', () => {
  const graph = importGraph(['src', 'webview-ui/src']);
  assert.ok(graph.size > 50, 'expected the sources under src and webview-ui/src');
  const cycle = findCycle(graph);
  assert.equal(cycle && cycle.map((f) => f.slice(resolve('.').length + 1)).join(' -> '), null);
});

/**
 * Core's folders, bottom first; a folder imports only from its own rank or below (src/core/index.ts,
 * the public entry, sits on top). Two folders of one rank may import each other one way; the cycle
 * test keeps it one way.
 */
const CORE_LAYERS: string[][] = [
  ['shared'],
  ['core/process'],
  ['core/git', 'core/store', 'core/secrets', 'core/shipped', 'core/target', 'core/stats'],
  ['core/research'],
  ['core/llm'],
  ['core/executors', 'core/candidates', 'core/mechanisms', 'core/proposers'],
  // What every level of a run shares (the trace, the repo, the git lock), below the levels it is passed to.
  ['core/session'],
  ['core/innerLoop', 'core/strategyReview', 'core/mechanismResearch'],
  ['core/run'],
  ['core/ablation', 'core/finalize'],
  ['core/index'],
];

/** The rank of a file in CORE_LAYERS, by its folder under src; undefined outside core and shared. Pure. */
function layerOf(fileUnderSrc: string, layers: string[][] = CORE_LAYERS): number | undefined {
  const folder = fileUnderSrc === 'core/index.ts' ? 'core/index' : fileUnderSrc.split('/').slice(0, fileUnderSrc.startsWith('shared/') ? 1 : 2).join('/');
  const rank = layers.findIndex((rank) => rank.includes(folder));
  return rank < 0 ? undefined : rank;
}

test('layerOf ranks files by their folder, and an upward import is seen', () => {
  assert.equal(layerOf('shared/trace/events.ts'), 0);
  assert.equal(layerOf('core/git/git.ts'), 2);
  assert.equal(layerOf('core/run/researchRun.ts'), 8);
  assert.equal(layerOf('core/index.ts'), CORE_LAYERS.length - 1);
  assert.equal(layerOf('extension/extension.ts'), undefined);
  assert.ok(layerOf('core/git/git.ts')! < layerOf('core/executors/localExecutor.ts')!);
});

test('no core folder imports from a folder above it (CORE_LAYERS), and every core folder has a rank', () => {
  const src = resolve('src') + '/';
  const graph = importGraph(['src/core', 'src/shared']);
  const unranked = [...graph.keys()].map((f) => f.slice(src.length)).filter((f) => layerOf(f) === undefined);
  assert.deepEqual(unranked, [], 'add the folder to CORE_LAYERS');
  const upward: string[] = [];
  for (const [file, imports] of graph) {
    const from = layerOf(file.slice(src.length))!;
    for (const target of imports) {
      const to = layerOf(target.slice(src.length));
      if (to !== undefined && to > from) upward.push(`${file.slice(src.length)} -> ${target.slice(src.length)}`);
    }
  }
  assert.deepEqual(upward, []);
});
