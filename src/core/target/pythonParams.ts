import type { ParamValue } from '../../shared/trace/candidate';

/**
 * Module-level constants of a Python file (`NAME = literal`), read and rewritten in place.
 *
 * Only single-line assignments at column 0 whose value is a literal (numbers, simple arithmetic on
 * numbers, strings, bools, None, tuples and lists of those) are parameters. When a name is assigned
 * more than once at module level, the last assignment is what Python sees, so it is the one parsed
 * and rewritten; if that last assignment is not a literal (or is an augmented/chained/multi-line
 * assignment), the name is not a parameter at all.
 */

export type ParamKind = 'int' | 'float' | 'string' | 'bool' | 'none' | 'tuple' | 'list';

export interface PythonParam {
  name: string;
  value: ParamValue;
  /** The value as written, e.g. `2**19` or `3e-4`. */
  text: string;
  kind: ParamKind;
  /** 1-based. */
  line: number;
}

export class ParamError extends Error {
  override name = 'ParamError';
}

export interface ParamOptions {
  /** Names that count as parameters besides UPPER_CASE ones (e.g. nanoGPT's `learning_rate`). */
  names?: string[];
}

const UPPER_NAME = /^[A-Z][A-Z0-9_]*$/;

export function parseParams(source: string, opts: ParamOptions = {}): PythonParam[] {
  return [...paramSites(source, opts).values()].map(({ name, value, text, kind, line }) => ({ name, value, text, kind, line }));
}

export function rewriteParams(source: string, changes: Record<string, ParamValue>, opts: ParamOptions = {}): string {
  const sites = paramSites(source, opts);
  const replacements: { start: number; end: number; text: string }[] = [];
  for (const [name, value] of Object.entries(changes)) {
    const site = sites.get(name);
    if (!site) throw new ParamError(`unknown parameter ${name}: no module-level literal assignment to it`);
    if (sameValue(value, site.value)) continue;
    replacements.push(replacementFor(source, site, renderValue(value, site)));
  }
  replacements.sort((a, b) => b.start - a.start);
  return replacements.reduce((out, r) => out.slice(0, r.start) + r.text + out.slice(r.end), source);
}

/** Null when `value` can replace `param`'s value, else a reason meant for the proposer. */
export function checkValue(param: PythonParam, value: ParamValue): string | null {
  return checkAgainst(param.name, hintOf(param), value);
}

/** Python source for `value`, in the style `like` was written in when given. */
export function renderValue(value: ParamValue, like?: PythonParam): string {
  return renderWithHint(value, like ? hintOf(like) : undefined);
}

export function sameValue(a: ParamValue, b: ParamValue): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  }
  return a === b;
}

// ---------------------------------------------------------------------------------------------
// Finding assignments

interface Site extends PythonParam {
  valueStart: number;
  valueEnd: number;
  commentStart: number | null;
}

function paramSites(source: string, opts: ParamOptions): Map<string, Site> {
  const extra = new Set(opts.names ?? []);
  const isParamName = (name: string) => UPPER_NAME.test(name) || extra.has(name);
  const last = new Map<string, Site | null>();
  for (const line of logicalLines(source)) {
    if (line.tokens[0].start !== line.lineStart) continue;
    for (const { name, site } of assignmentsIn(source, line)) {
      if (!isParamName(name)) continue;
      last.delete(name);
      last.set(name, site);
    }
  }
  const sites = [...last.values()].filter((s): s is Site => s !== null).sort((a, b) => a.line - b.line);
  return new Map(sites.map((s) => [s.name, s]));
}

const KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(' '),
);
const AUGMENTED = new Set(['+=', '-=', '*=', '/=', '//=', '%=', '**=', '@=', '&=', '|=', '^=', '>>=', '<<=', ':=']);

/** Every name a column-0 statement binds; `site` only for a rewritable single-target literal. */
function assignmentsIn(source: string, line: LogicalLine): { name: string; site: Site | null }[] {
  const toks = line.tokens;
  const first = toks[0];
  if (first.type !== 'name' || KEYWORDS.has(first.text) || toks.length < 2) return [];
  const second = toks[1];
  if (second.type === 'op' && AUGMENTED.has(second.text)) return [{ name: first.text, site: null }];
  const eq = firstTopLevelEquals(toks);
  if (eq < 0) return [];
  if (second.text !== '=' && second.text !== ':') return boundNames(toks.slice(0, lastTopLevelEquals(toks))).map((name) => ({ name, site: null }));

  // `A = B = 3` binds both; rewriting one would desync them, so neither is a parameter.
  const chained: string[] = [];
  let valueAt = eq + 1;
  while (toks[valueAt]?.type === 'name' && toks[valueAt + 1]?.text === '=') {
    chained.push(toks[valueAt].text);
    valueAt += 2;
  }
  if (chained.length) return [first.text, ...chained].map((name) => ({ name, site: null }));

  const valueToks = toks.slice(valueAt);
  const literal = !line.multiline && valueToks.length ? parseLiteralTokens(source, valueToks) : null;
  if (!literal) return [{ name: first.text, site: null }];
  const site: Site = {
    name: first.text,
    value: literal.value,
    text: literal.text,
    kind: literal.kind,
    line: line.lineNumber,
    valueStart: valueToks[0].start,
    valueEnd: valueToks[valueToks.length - 1].end,
    commentStart: line.commentStart,
  };
  return [{ name: first.text, site }];
}

function topLevelEqualsIndexes(toks: Token[]): number[] {
  const found: number[] = [];
  let depth = 0;
  toks.forEach((t, i) => {
    if (t.type !== 'op') return;
    if ('([{'.includes(t.text)) depth++;
    else if (')]}'.includes(t.text)) depth = Math.max(0, depth - 1);
    else if (t.text === '=' && depth === 0) found.push(i);
  });
  return found;
}

const firstTopLevelEquals = (toks: Token[]) => topLevelEqualsIndexes(toks)[0] ?? -1;
const lastTopLevelEquals = (toks: Token[]) => topLevelEqualsIndexes(toks).at(-1) ?? -1;

/** Names rebound or mutated by targets like `A, B =` or `X[0] =` (attribute names after `.` excluded). */
function boundNames(targets: Token[]): string[] {
  let depth = 0;
  const names: string[] = [];
  targets.forEach((t, i) => {
    if ('([{'.includes(t.text) && t.type === 'op') depth++;
    else if (')]}'.includes(t.text) && t.type === 'op') depth = Math.max(0, depth - 1);
    else if (t.type === 'name' && depth === 0 && targets[i - 1]?.text !== '.' && !KEYWORDS.has(t.text)) names.push(t.text);
  });
  return names;
}

function replacementFor(source: string, site: Site, newText: string): { start: number; end: number; text: string } {
  const gapEnd = site.commentStart ?? site.valueEnd;
  const gap = source.slice(site.valueEnd, gapEnd);
  // Keep an aligned trailing comment in its column, but never squeeze PEP 8's two spaces to one.
  if (site.commentStart !== null && gap.length > 1 && /^ +$/.test(gap)) {
    const padding = Math.max(2, gap.length - (newText.length - site.text.length));
    return { start: site.valueStart, end: gapEnd, text: newText + ' '.repeat(padding) };
  }
  return { start: site.valueStart, end: site.valueEnd, text: newText };
}

// ---------------------------------------------------------------------------------------------
// Tokenizer: just enough of Python's to find logical lines and read literals

type TokenType = 'name' | 'number' | 'string' | 'op' | 'bad';

interface Token {
  type: TokenType;
  text: string;
  start: number;
  end: number;
}

interface LogicalLine {
  tokens: Token[];
  /** Offset of the physical line start this logical line began at. */
  lineStart: number;
  lineNumber: number;
  /** Spans several physical lines (open brackets, backslash, multi-line string). */
  multiline: boolean;
  commentStart: number | null;
}

const OPERATORS = ['**=', '//=', '>>=', '<<=', '...', '**', '//', '==', '!=', '<=', '>=', '->', ':=', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '@=', '<<', '>>'];
const NAME_RE = /[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*/uy;
const NUMBER_RE = /(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?)[jJ]?/y;
const STRING_PREFIX = /^(?:[rRuUbBfFtT]|[rR][bBfFtT]|[bBfFtT][rR])$/;

/** End of a sticky regex's match at `at`, or -1. */
function matchEnd(re: RegExp, s: string, at: number): number {
  re.lastIndex = at;
  return re.test(s) ? re.lastIndex : -1;
}

function newlineLength(s: string, i: number): number {
  if (s[i] === '\r') return s[i + 1] === '\n' ? 2 : 1;
  return s[i] === '\n' ? 1 : 0;
}

function lineNumberer(source: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < source.length; i++) {
    const nl = newlineLength(source, i);
    if (nl) {
      i += nl - 1;
      starts.push(i + 1);
    }
  }
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/** End offset of the string literal whose opening quote is at `quoteAt`, and whether it closed. */
function scanString(s: string, quoteAt: number): { end: number; closed: boolean } {
  const q = s[quoteAt];
  const triple = s.startsWith(q.repeat(3), quoteAt);
  let i = quoteAt + (triple ? 3 : 1);
  while (i < s.length) {
    if (s[i] === '\\') {
      i += 1 + Math.max(1, newlineLength(s, i + 1));
      continue;
    }
    if (triple ? s.startsWith(q.repeat(3), i) : s[i] === q) return { end: i + (triple ? 3 : 1), closed: true };
    if (!triple && newlineLength(s, i)) return { end: i, closed: false };
    i++;
  }
  return { end: s.length, closed: false };
}

function logicalLines(source: string): LogicalLine[] {
  const lineOf = lineNumberer(source);
  const lines: LogicalLine[] = [];
  let pos = source.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (pos < source.length) {
    const lineStart = pos;
    const tokens: Token[] = [];
    let depth = 0;
    let multiline = false;
    let commentStart: number | null = null;
    const push = (type: TokenType, end: number) => {
      tokens.push({ type, text: source.slice(pos, end), start: pos, end });
      pos = end;
    };
    while (pos < source.length) {
      const c = source[pos];
      const nl = newlineLength(source, pos);
      if (nl) {
        pos += nl;
        if (depth === 0 || tokens.length === 0) break;
        multiline = true;
        continue;
      }
      if (c === ' ' || c === '\t' || c === '\f') {
        pos++;
      } else if (c === '#') {
        commentStart = pos;
        while (pos < source.length && !newlineLength(source, pos)) pos++;
      } else if (c === '\\' && newlineLength(source, pos + 1)) {
        pos += 1 + newlineLength(source, pos + 1);
        multiline = true;
      } else if (c === '"' || c === "'") {
        const { end, closed } = scanString(source, pos);
        if (source.slice(pos, end).match(/[\r\n]/)) multiline = true;
        push(closed ? 'string' : 'bad', end);
      } else if (matchEnd(NAME_RE, source, pos) > 0) {
        const end = matchEnd(NAME_RE, source, pos);
        const word = source.slice(pos, end);
        if (STRING_PREFIX.test(word) && (source[end] === '"' || source[end] === "'")) {
          const { end: stringEnd, closed } = scanString(source, end);
          if (source.slice(pos, stringEnd).match(/[\r\n]/)) multiline = true;
          push(closed ? 'string' : 'bad', stringEnd);
        } else {
          push('name', end);
        }
      } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(source[pos + 1] ?? ''))) {
        push('number', matchEnd(NUMBER_RE, source, pos));
      } else {
        const op = OPERATORS.find((o) => source.startsWith(o, pos)) ?? c;
        if ('([{'.includes(op)) depth++;
        else if (')]}'.includes(op)) depth = Math.max(0, depth - 1);
        push('+-*/%@&|^~<>()[]{},:;.=!'.includes(op) || op.length > 1 ? 'op' : 'bad', pos + op.length);
      }
    }
    if (tokens.length) lines.push({ tokens, lineStart, lineNumber: lineOf(tokens[0].start), multiline, commentStart: multiline ? null : commentStart });
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Literals: a recursive-descent evaluator with Python's precedence

interface Literal {
  kind: ParamKind;
  value: ParamValue;
  text: string;
  items?: Literal[];
}

class Unsupported extends Error {}

/** The literal `text` holds (a value as written in source), or null when it isn't one. */
function parseLiteralText(text: string): Literal | null {
  const lines = logicalLines(text);
  return lines.length === 1 && !lines[0].multiline ? parseLiteralTokens(text, lines[0].tokens) : null;
}

function parseLiteralTokens(source: string, tokens: Token[]): Literal | null {
  try {
    return new LiteralParser(source, tokens).parseAll();
  } catch (e) {
    if (e instanceof Unsupported) return null;
    throw e;
  }
}

type NumberLiteral = Literal & { kind: 'int' | 'float'; value: number };

class LiteralParser {
  private i = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
  ) {}

  parseAll(): Literal {
    const start = this.i;
    const first = this.expr();
    const literal = this.peek(',') ? this.sequence('tuple', start, first, null) : first;
    if (this.i !== this.tokens.length) throw new Unsupported();
    return literal;
  }

  private peek(op: string): boolean {
    const t = this.tokens[this.i];
    return t !== undefined && t.type === 'op' && t.text === op;
  }

  private take(op: string): boolean {
    if (!this.peek(op)) return false;
    this.i++;
    return true;
  }

  private textFrom(startIndex: number): string {
    return this.source.slice(this.tokens[startIndex].start, this.tokens[this.i - 1].end);
  }

  /** Items after `first`, up to `close` (or the end for a bare tuple); trailing comma allowed. */
  private sequence(kind: 'tuple' | 'list', start: number, first: Literal | null, close: string | null): Literal {
    const items = first ? [first] : [];
    const atEnd = () => (close ? this.peek(close) : this.i === this.tokens.length);
    while (!atEnd()) {
      if (items.length && !this.take(',')) throw new Unsupported();
      if (atEnd()) break;
      items.push(this.expr());
    }
    if (close && !this.take(close)) throw new Unsupported();
    return { kind, value: items.map((x) => x.value), text: this.textFrom(start), items };
  }

  private expr(): Literal {
    const start = this.i;
    let left = this.term();
    while (this.peek('+') || this.peek('-')) {
      const op = this.tokens[this.i++].text;
      left = arithmetic(op, left, this.term(), this.textFrom.bind(this), start);
    }
    return left;
  }

  private term(): Literal {
    const start = this.i;
    let left = this.factor();
    while (['*', '/', '//', '%'].some((op) => this.peek(op))) {
      const op = this.tokens[this.i++].text;
      left = arithmetic(op, left, this.factor(), this.textFrom.bind(this), start);
    }
    return left;
  }

  private factor(): Literal {
    const start = this.i;
    if (this.peek('-') || this.peek('+')) {
      const op = this.tokens[this.i++].text;
      const operand = asNumber(this.factor());
      const value = op === '-' ? -operand.value : operand.value;
      return numberLiteral(operand.kind, value, this.textFrom(start));
    }
    return this.power();
  }

  private power(): Literal {
    const start = this.i;
    const base = this.atom();
    if (!this.take('**')) return base;
    return arithmetic('**', base, this.factor(), this.textFrom.bind(this), start);
  }

  private atom(): Literal {
    const start = this.i;
    const t = this.tokens[this.i];
    if (!t) throw new Unsupported();
    if (t.type === 'number') {
      this.i++;
      const n = parseNumberToken(t.text);
      return numberLiteral(n.kind, n.value, t.text);
    }
    if (t.type === 'string') {
      let value = '';
      while (this.tokens[this.i]?.type === 'string') value += decodeString(this.tokens[this.i++].text);
      return { kind: 'string', value, text: this.textFrom(start) };
    }
    if (t.type === 'name') {
      this.i++;
      if (t.text === 'True' || t.text === 'False') return { kind: 'bool', value: t.text === 'True', text: t.text };
      if (t.text === 'None') return { kind: 'none', value: null, text: t.text };
      throw new Unsupported();
    }
    if (this.take('[')) return this.sequence('list', start, null, ']');
    if (this.take('(')) {
      if (this.take(')')) return { kind: 'tuple', value: [], text: this.textFrom(start), items: [] };
      const inner = this.expr();
      if (this.peek(',')) return this.sequence('tuple', start, inner, ')');
      if (!this.take(')')) throw new Unsupported();
      return { ...inner, text: this.textFrom(start) };
    }
    throw new Unsupported();
  }
}

function numberLiteral(kind: 'int' | 'float', value: number, text: string): NumberLiteral {
  if (!Number.isFinite(value)) throw new Unsupported();
  // Python ints have no negative zero.
  return { kind, value: kind === 'int' && value === 0 ? 0 : value, text };
}

function asNumber(x: Literal): NumberLiteral {
  if (x.kind !== 'int' && x.kind !== 'float') throw new Unsupported();
  return x as NumberLiteral;
}

function arithmetic(op: string, l: Literal, r: Literal, textFrom: (start: number) => string, start: number): Literal {
  const a = asNumber(l);
  const b = asNumber(r);
  const kind = a.kind === 'float' || b.kind === 'float' ? 'float' : 'int';
  const text = textFrom(start);
  if ((op === '/' || op === '//' || op === '%') && b.value === 0) throw new Unsupported();
  switch (op) {
    case '+':
      return numberLiteral(kind, a.value + b.value, text);
    case '-':
      return numberLiteral(kind, a.value - b.value, text);
    case '*':
      return numberLiteral(kind, a.value * b.value, text);
    case '/':
      return numberLiteral('float', a.value / b.value, text);
    case '//':
      return numberLiteral(kind, Math.floor(a.value / b.value), text);
    case '%': {
      const rem = a.value % b.value;
      return numberLiteral(kind, rem !== 0 && rem < 0 !== b.value < 0 ? rem + b.value : rem, text);
    }
    case '**': {
      if (a.value === 0 && b.value < 0) throw new Unsupported();
      if (a.value < 0 && !Number.isInteger(b.value)) throw new Unsupported(); // complex in Python
      return numberLiteral(kind === 'int' && b.value < 0 ? 'float' : kind, a.value ** b.value, text);
    }
  }
  throw new Unsupported();
}

function parseNumberToken(text: string): { kind: 'int' | 'float'; value: number } {
  const t = text.replace(/_/g, '');
  if (/[jJ]$/.test(t)) throw new Unsupported();
  const radix = /^0[xX]/.test(t) ? 16 : /^0[oO]/.test(t) ? 8 : /^0[bB]/.test(t) ? 2 : 10;
  if (radix !== 10) return { kind: 'int', value: parseInt(t.slice(2), radix) };
  const value = Number(t);
  if (Number.isNaN(value)) throw new Unsupported();
  return { kind: /[.eE]/.test(t) ? 'float' : 'int', value };
}

const SIMPLE_ESCAPES: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

function decodeString(token: string): string {
  const prefix = /^[a-zA-Z]*/.exec(token)![0].toLowerCase();
  if (/[bft]/.test(prefix)) throw new Unsupported();
  const rest = token.slice(prefix.length);
  const quoteLen = rest.startsWith(rest[0].repeat(3)) && rest.length >= 6 ? 3 : 1;
  const body = rest.slice(quoteLen, rest.length - quoteLen);
  return prefix.includes('r') ? body : unescape(body);
}

function unescape(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    if (body[i] !== '\\') {
      out += body[i];
      continue;
    }
    const c = body[++i];
    if (c in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[c];
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && body[i + 1] === '\n') i++;
    } else if (/[0-7]/.test(c)) {
      const digits = /^[0-7]{1,3}/.exec(body.slice(i))![0];
      out += String.fromCharCode(parseInt(digits, 8));
      i += digits.length - 1;
    } else if (c === 'x' || c === 'u' || c === 'U') {
      const len = { x: 2, u: 4, U: 8 }[c];
      const hex = body.slice(i + 1, i + 1 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex) || parseInt(hex, 16) > 0x10ffff) throw new Unsupported();
      out += String.fromCodePoint(parseInt(hex, 16));
      i += len;
    } else if (c === 'N') {
      throw new Unsupported();
    } else {
      // Python keeps unknown escapes verbatim.
      out += '\\' + (c ?? '');
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Rendering

function hintOf(param: PythonParam): Literal {
  return parseLiteralText(param.text) ?? { kind: param.kind, value: param.value, text: param.text };
}

function renderWithHint(value: ParamValue, hint: Literal | undefined): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'string') return renderString(value, quoteOf(hint));
  if (typeof value === 'number') return renderNumber(value, hint);
  if (Array.isArray(value)) return renderSequence(value, hint);
  throw new ParamError(`cannot write ${JSON.stringify(value)} as a Python literal`);
}

function renderSequence(values: ParamValue[], hint: Literal | undefined): string {
  const items = hint?.items ?? [];
  const parts = values.map((v, i) => renderWithHint(v, items[i] ?? items[items.length - 1]));
  if (hint?.kind !== 'tuple') return `[${parts.join(', ')}]`;
  return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(', ')})`;
}

function quoteOf(hint: Literal | undefined): '"' | "'" {
  return hint?.kind === 'string' && /^[a-zA-Z]*'/.test(hint.text) ? "'" : '"';
}

function renderString(s: string, quote: '"' | "'"): string {
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\' || ch === quote) out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += '\\x' + code.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + quote;
}

function renderNumber(value: number, hint: Literal | undefined): string {
  if (!Number.isFinite(value)) throw new ParamError(`cannot write ${value} as a Python literal`);
  if (hint?.kind === 'float') return EXPONENT_LITERAL.test(hint.text) ? compactExponent(value, hint.text) : pythonFloat(value);
  if (!Number.isInteger(value)) return pythonFloat(value);
  return hint?.kind === 'int' ? renderIntLike(value, hint.text) : BigInt(value).toString();
}

const EXPONENT_LITERAL = /^[+-]?(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)[eE][+-]?\d+$/;
const POWER_TEXT = /^(\d+)(\s*\*\*\s*)(\d+)$/;

function renderIntLike(value: number, text: string): string {
  const power = POWER_TEXT.exec(text);
  if (power) {
    const base = Number(power[1]);
    const exponent = base >= 2 && value > 1 ? Math.round(Math.log(value) / Math.log(base)) : NaN;
    if (exponent >= 1 && base ** exponent === value) return `${power[1]}${power[2]}${exponent}`;
  }
  const digits = BigInt(Math.abs(value)).toString();
  const sign = value < 0 ? '-' : '';
  if (/^-?0[xX]/.test(text)) {
    const hex = BigInt(Math.abs(value)).toString(16);
    return `${sign}${text.replace(/^-/, '').slice(0, 2)}${/[A-F]/.test(text) ? hex.toUpperCase() : hex}`;
  }
  if (/^-?\d+(_\d+)+$/.test(text)) return sign + digits.replace(/\B(?=(\d{3})+$)/g, '_');
  return sign + digits;
}

/** Shortest round-tripping digits and the decimal exponent of |value|, e.g. 0.00015 -> ['15', -4]. */
function decimalDigits(value: number): [string, number] {
  const [mantissa, exponent] = Math.abs(value).toExponential().split('e');
  return [mantissa.replace('.', ''), Number(exponent)];
}

/** Python's repr() of a float: shortest round-trip digits, exponent form outside 1e-4 <= |x| < 1e16. */
export function pythonFloat(value: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const sign = value < 0 ? '-' : '';
  const [digits, exp] = decimalDigits(value);
  if (exp >= -4 && exp < 16) {
    if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
    const whole = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    return `${sign}${whole}.${digits.slice(exp + 1) || '0'}`;
  }
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** `1.5e-4` style, for values whose original was written with an exponent; near 1 plain repr reads better. */
function compactExponent(value: number, like: string): string {
  if (value === 0) return pythonFloat(value);
  const [digits, exp] = decimalDigits(value);
  if (exp > -2 && exp < 3) return pythonFloat(value);
  const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${value < 0 ? '-' : ''}${mantissa}${like.includes('E') ? 'E' : 'e'}${exp}`;
}

// ---------------------------------------------------------------------------------------------
// Checking proposed values

function checkAgainst(name: string, hint: Literal, value: ParamValue): string | null {
  const wrong = (what: string) => `${name} is ${what}; got ${describe(value)}`;
  switch (hint.kind) {
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) ? null : wrong('an int');
    case 'float':
      return typeof value === 'number' && Number.isFinite(value) ? null : wrong('a float');
    case 'bool':
      return typeof value === 'boolean' ? null : wrong('a bool (true/false)');
    case 'string':
      return typeof value === 'string' ? null : wrong('a string');
    case 'none':
      return isWritable(value) ? null : wrong('None (any literal value may replace it)');
    case 'tuple':
    case 'list': {
      const items = hint.items ?? [];
      const shape = `a ${hint.kind} of ${items.length} item${items.length === 1 ? '' : 's'}`;
      if (!Array.isArray(value) || value.length !== items.length) return wrong(shape);
      for (let i = 0; i < items.length; i++) {
        const reason = checkAgainst(`${name}[${i}]`, items[i], value[i]);
        if (reason) return reason;
      }
      return null;
    }
  }
}

function isWritable(value: unknown): boolean {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  return Array.isArray(value) && value.every(isWritable);
}

function describe(value: unknown): string {
  if (typeof value === 'number') return `${value} (${Number.isInteger(value) ? 'an int' : Number.isFinite(value) ? 'a float' : 'not a finite number'})`;
  if (typeof value === 'string') return `${JSON.stringify(value)} (a string)`;
  if (typeof value === 'boolean') return `${value} (a bool)`;
  if (value === null) return 'null (None)';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `${JSON.stringify(value)} (a list of ${value.length})`;
  return `${JSON.stringify(value)} (an object)`;
}
