import { parse, type Node } from 'acorn';

/**
 * A mechanism's source read as an ES module and turned into a plain script the sandbox can evaluate
 * without a module loader (so the sandbox needs no file system and no import machinery at all).
 * `export` keywords are stripped and the script evaluates to an object of the exported bindings.
 *
 * The imports check reads the program exactly as the sandbox runs it: a script (`sandboxProgram`), not
 * a module. The two goals read some text differently (`<!--` and a leading `-->` start a comment in a
 * script only), so a check of the module alone could miss code that runs; such comments are refused.
 */

export interface ModuleProblem {
  line: number;
  message: string;
}

export type ParsedModule =
  | {
      ok: true;
      /** A script whose completion value is `{ name: binding }` for every export (`default` included), an object without a prototype. */
      script: string;
      /** Named exports, in source order; `default` when there is a default export. */
      exports: string[];
      /** Imports of any form: static, dynamic, re-exports, require(), import.meta, Node's globals. */
      imports: ModuleProblem[];
    }
  | { ok: false; error: ModuleProblem };

type AnyNode = Node & Record<string, unknown>;

/** The name under which the sandbox's harness (sandbox/sandboxRealm.js) takes the module. */
const HARNESS = '__sandbox__';

/** The program the sandbox evaluates for a module's script: the harness loads its exports. On line 1, so lines stay the module's. */
export function sandboxProgram(script: string): string {
  return `${HARNESS}.load(function () { return ${script}; })`;
}

/** Node's ways to reach modules and the process; none exists in the sandbox, so a use of one is an import that cannot work. */
const NODE_GLOBALS = new Set(['require', 'process', 'module', 'exports', '__filename', '__dirname']);

function syntaxProblem(e: unknown): ModuleProblem {
  const err = e as SyntaxError & { loc?: { line: number } };
  return { line: err.loc?.line ?? 1, message: err.message };
}

/** Text removed from the module keeps its line breaks, so every line after it keeps its number. */
function blanked(text: string): string {
  return text.replace(/[^\n\r\u2028\u2029]/g, '');
}

export function parseMechanismModule(source: string): ParsedModule {
  let program: AnyNode;
  try {
    program = parse(source, { ecmaVersion: 'latest', sourceType: 'module', allowHashBang: true, locations: true }) as unknown as AnyNode;
  } catch (e) {
    return { ok: false, error: syntaxProblem(e) };
  }
  const line = (n: AnyNode) => (n.loc ? n.loc.start.line : 1);
  const imports: ModuleProblem[] = [];
  const exports: { name: string; local: string }[] = [];
  // Source edits, applied back to front: [start, end, replacement].
  const edits: [number, number, string][] = [];
  const remove = (n: AnyNode) => edits.push([n.start, n.end, blanked(source.slice(n.start, n.end))]);
  // A hashbang is a comment only at the very start of a script, and the module's text is not there.
  if (source.startsWith('#!')) edits.push([0, 2, '//']);

  for (const node of program.body as AnyNode[]) {
    switch (node.type) {
      case 'ImportDeclaration':
        imports.push({ line: line(node), message: `import from ${JSON.stringify((node.source as AnyNode).value)}` });
        remove(node);
        break;
      case 'ExportAllDeclaration':
        imports.push({ line: line(node), message: `export * from ${JSON.stringify((node.source as AnyNode).value)}` });
        remove(node);
        break;
      case 'ExportNamedDeclaration': {
        if (node.source) {
          imports.push({ line: line(node), message: `export … from ${JSON.stringify((node.source as AnyNode).value)}` });
          remove(node);
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
          remove(node);
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
  const moduleImports = importForms(program, line);

  let body = source;
  for (const [start, end, text] of edits.sort((a, b) => b[0] - a[0] || b[1] - a[1])) body = body.slice(0, start) + text + body.slice(end);
  // Without a prototype: the harness reads it, and a getter planted on Object.prototype must not answer for a missing hook.
  const table = ['__proto__: null', ...exports.map((e) => `${JSON.stringify(e.name)}: ${e.local}`)].join(', ');
  // One line of prefix, so line numbers in errors match the module's own.
  const script = `(function () { 'use strict'; ${body}\n;return { ${table} };\n})()`;

  // The program as the sandbox runs it, read the way V8 reads a script.
  const run = sandboxProgram(script);
  const htmlComments: ModuleProblem[] = [];
  let asRun: AnyNode;
  try {
    asRun = parse(run, {
      ecmaVersion: 'latest',
      sourceType: 'script',
      allowHashBang: false,
      locations: true,
      onComment: (_block, _text, start, _end, loc) => {
        if (run.startsWith('<!--', start) || run.startsWith('-->', start)) {
          htmlComments.push({ line: loc?.line ?? 1, message: `"${run.startsWith('<!--', start) ? '<!--' : '-->'}" starts a comment in the script the sandbox runs (not in a module), so the rest of the line would not run as written; put spaces in it (a < !--b)` });
        }
      },
    }) as unknown as AnyNode;
  } catch (e) {
    // import.meta and the like do not parse as a script at all: the module's own reading says why.
    if (moduleImports.length) return { ok: true, script, exports: exports.map((e) => e.name), imports: [...imports, ...moduleImports] };
    return { ok: false, error: syntaxProblem(e) };
  }
  if (htmlComments.length) return { ok: false, error: htmlComments[0] };
  return { ok: true, script, exports: exports.map((e) => e.name), imports: [...imports, ...importForms(asRun, line)] };
}

/**
 * Imports inside the code: dynamic `import()`, `import.meta`, `require(…)`, and any other use of one of
 * Node's globals (`process.binding`, `module.exports` …) that the module does not declare itself.
 */
function importForms(program: AnyNode, line: (n: AnyNode) => number): ModuleProblem[] {
  const declared = new Set<string>();
  walk(program, (n) => {
    for (const id of bindingNames(n)) declared.add(id);
  });
  const found: ModuleProblem[] = [];
  walk(program, (n, parent) => {
    if (n.type === 'ImportExpression') found.push({ line: line(n), message: 'dynamic import()' });
    else if (n.type === 'MetaProperty' && (n.meta as AnyNode).name === 'import') found.push({ line: line(n), message: 'import.meta' });
    else if (n.type === 'Identifier' && NODE_GLOBALS.has(n.name as string) && !declared.has(n.name as string) && isReference(n, parent)) {
      const called = parent?.type === 'CallExpression' && parent.callee === n;
      found.push({ line: line(n), message: called ? `${n.name as string}()` : `${n.name as string} (Node's)` });
    }
  });
  return found;
}

/** Names a node declares: variables, functions, classes, parameters, catch parameters. */
function bindingNames(n: AnyNode): string[] {
  switch (n.type) {
    case 'VariableDeclarator':
      return patternNames(n.id as AnyNode);
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      return [...(n.id ? [nameOf(n.id as AnyNode)] : []), ...(n.params as AnyNode[]).flatMap(patternNames)];
    case 'ClassDeclaration':
    case 'ClassExpression':
      return n.id ? [nameOf(n.id as AnyNode)] : [];
    case 'CatchClause':
      return n.param ? patternNames(n.param as AnyNode) : [];
    case 'ImportSpecifier':
    case 'ImportDefaultSpecifier':
    case 'ImportNamespaceSpecifier':
      return [nameOf(n.local as AnyNode)];
    default:
      return [];
  }
}

/** False for an identifier that only names a property, a label or a meta property; true where it is read. */
function isReference(n: AnyNode, parent: AnyNode | undefined): boolean {
  if (!parent) return true;
  switch (parent.type) {
    case 'MemberExpression':
      return parent.object === n || parent.computed === true;
    case 'Property':
    case 'PropertyDefinition':
    case 'MethodDefinition':
      return parent.value === n || (parent.key === n && parent.computed === true);
    case 'LabeledStatement':
    case 'BreakStatement':
    case 'ContinueStatement':
      return false;
    case 'MetaProperty':
      return false;
    case 'ExportSpecifier':
      return parent.local === n;
    case 'ImportSpecifier':
    case 'ImportDefaultSpecifier':
    case 'ImportNamespaceSpecifier':
      return false;
    default:
      return true;
  }
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

function walk(node: AnyNode, visit: (n: AnyNode, parent: AnyNode | undefined) => void, parent?: AnyNode): void {
  visit(node, parent);
  for (const key of Object.keys(node)) {
    if (key === 'loc') continue;
    const v = node[key];
    if (Array.isArray(v)) {
      for (const c of v) if (c && typeof c === 'object' && typeof (c as AnyNode).type === 'string') walk(c as AnyNode, visit, node);
    } else if (v && typeof v === 'object' && typeof (v as AnyNode).type === 'string') {
      walk(v as AnyNode, visit, node);
    }
  }
}
