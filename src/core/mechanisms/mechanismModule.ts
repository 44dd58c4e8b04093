import { parse, type Node } from 'acorn';

/**
 * A mechanism's source read as an ES module and turned into a plain script the sandbox can evaluate
 * without a module loader (so the sandbox needs no file system and no import machinery at all).
 * `export` keywords are stripped and the script evaluates to an object of the exported bindings.
 */

export interface ModuleProblem {
  line: number;
  message: string;
}

export type ParsedModule =
  | {
      ok: true;
      /** A script whose completion value is `{ name: binding }` for every export (`default` included). */
      script: string;
      /** Named exports, in source order; `default` when there is a default export. */
      exports: string[];
      /** Imports of any form: static, dynamic, re-exports, require(), import.meta. */
      imports: ModuleProblem[];
    }
  | { ok: false; error: ModuleProblem };

type AnyNode = Node & Record<string, unknown>;

export function parseMechanismModule(source: string): ParsedModule {
  let program: AnyNode;
  try {
    program = parse(source, { ecmaVersion: 'latest', sourceType: 'module', locations: true }) as unknown as AnyNode;
  } catch (e) {
    const err = e as SyntaxError & { loc?: { line: number } };
    return { ok: false, error: { line: err.loc?.line ?? 1, message: err.message } };
  }
  const line = (n: AnyNode) => (n.loc ? n.loc.start.line : 1);
  const imports: ModuleProblem[] = [];
  const exports: { name: string; local: string }[] = [];
  // Source edits, applied back to front: [start, end, replacement].
  const edits: [number, number, string][] = [];

  for (const node of program.body as AnyNode[]) {
    switch (node.type) {
      case 'ImportDeclaration':
        imports.push({ line: line(node), message: `import from ${JSON.stringify((node.source as AnyNode).value)}` });
        edits.push([node.start, node.end, '']);
        break;
      case 'ExportAllDeclaration':
        imports.push({ line: line(node), message: `export * from ${JSON.stringify((node.source as AnyNode).value)}` });
        edits.push([node.start, node.end, '']);
        break;
      case 'ExportNamedDeclaration': {
        if (node.source) {
          imports.push({ line: line(node), message: `export … from ${JSON.stringify((node.source as AnyNode).value)}` });
          edits.push([node.start, node.end, '']);
          break;
        }
        const decl = node.declaration as AnyNode | null;
        if (decl) {
          for (const name of declaredNames(decl)) exports.push({ name, local: name });
          edits.push([node.start, decl.start, '']);
        } else {
          for (const spec of node.specifiers as AnyNode[]) {
            exports.push({ name: nameOf(spec.exported as AnyNode), local: nameOf(spec.local as AnyNode) });
          }
          edits.push([node.start, node.end, '']);
        }
        break;
      }
      case 'ExportDefaultDeclaration': {
        const decl = node.declaration as AnyNode;
        const id = decl.id as AnyNode | null | undefined;
        if ((decl.type === 'FunctionDeclaration' || decl.type === 'ClassDeclaration') && id) {
          exports.push({ name: 'default', local: nameOf(id) });
          edits.push([node.start, decl.start, '']);
        } else {
          exports.push({ name: 'default', local: '__mechanismDefault__' });
          edits.push([node.start, decl.start, 'const __mechanismDefault__ = (']);
          edits.push([decl.end, decl.end, ');']);
        }
        break;
      }
      default:
        break;
    }
  }
  walk(program, (n) => {
    if (n.type === 'ImportExpression') imports.push({ line: line(n), message: 'dynamic import()' });
    else if (n.type === 'MetaProperty' && (n.meta as AnyNode).name === 'import') imports.push({ line: line(n), message: 'import.meta' });
    else if (n.type === 'CallExpression' && (n.callee as AnyNode).type === 'Identifier' && (n.callee as AnyNode).name === 'require') {
      imports.push({ line: line(n), message: 'require()' });
    }
  });

  let body = source;
  for (const [start, end, text] of edits.sort((a, b) => b[0] - a[0] || b[1] - a[1])) body = body.slice(0, start) + text + body.slice(end);
  const table = exports.map((e) => `${JSON.stringify(e.name)}: ${e.local}`).join(', ');
  // One line of prefix, so line numbers in errors match the module's own.
  const script = `(function () { 'use strict'; ${body}\n;return { ${table} };\n})()`;
  return { ok: true, script, exports: exports.map((e) => e.name), imports };
}

function nameOf(n: AnyNode): string {
  return n.type === 'Identifier' ? (n.name as string) : String(n.value);
}

function declaredNames(decl: AnyNode): string[] {
  if (decl.type === 'VariableDeclaration') return (decl.declarations as AnyNode[]).flatMap((d) => patternNames(d.id as AnyNode));
  const id = decl.id as AnyNode | null;
  return id ? [nameOf(id)] : [];
}

function patternNames(p: AnyNode): string[] {
  switch (p.type) {
    case 'Identifier':
      return [p.name as string];
    case 'ObjectPattern':
      return (p.properties as AnyNode[]).flatMap((q) => patternNames((q.type === 'RestElement' ? q.argument : q.value) as AnyNode));
    case 'ArrayPattern':
      return (p.elements as (AnyNode | null)[]).flatMap((q) => (q ? patternNames(q) : []));
    case 'RestElement':
      return patternNames(p.argument as AnyNode);
    case 'AssignmentPattern':
      return patternNames(p.left as AnyNode);
    default:
      return [];
  }
}

function walk(node: AnyNode, visit: (n: AnyNode) => void): void {
  visit(node);
  for (const key of Object.keys(node)) {
    if (key === 'loc') continue;
    const v = node[key];
    if (Array.isArray(v)) {
      for (const c of v) if (c && typeof c === 'object' && typeof (c as AnyNode).type === 'string') walk(c as AnyNode, visit);
    } else if (v && typeof v === 'object' && typeof (v as AnyNode).type === 'string') {
      walk(v as AnyNode, visit);
    }
  }
}
