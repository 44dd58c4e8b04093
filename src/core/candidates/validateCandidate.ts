import { checkValue, parseParams, sameValue, type PythonParam } from '../target/pythonParams';
import type { Candidate, EditBlock, ParamValue } from '../../shared/trace/candidate';

export interface CandidateRules {
  params: PythonParam[];
  frozen: string[];
  editable: string[];
  paramFile: string;
  choices?: Record<string, ParamValue[]>;
}

/**
 * Why `c` can't be applied to `files` (path -> current content of the editable files), or [] when it
 * can. Each reason names the parameter or file it is about, so the proposer can fix it.
 */
export function validateCandidate(c: Candidate, rules: CandidateRules, files: Record<string, string>): string[] {
  const params = c.params ?? {};
  const edits = c.edits ?? [];
  const reasons: string[] = [];
  if (typeof c.description !== 'string' || !c.description.trim()) reasons.push('missing description');
  if (!Object.keys(params).length && !edits.length) reasons.push('empty candidate: no parameter changes and no edits');
  for (const [name, value] of Object.entries(params)) {
    const reason = paramReason(name, value, rules);
    if (reason) reasons.push(reason);
  }
  const current = normalizeKeys(files);
  const edited = applyEditsChecked(edits, rules, current, reasons);
  const paramFile = normalizePath(rules.paramFile);
  if (edited && edited[paramFile] !== undefined && edited[paramFile] !== current[paramFile]) {
    reasons.push(...paramFileEditReasons(current[paramFile], edited[paramFile], c, rules));
  }
  return reasons;
}

/** `path` as the editable list spells it (forward slashes, no leading `./`). */
export function normalizePath(path: string): string {
  return path.replace(/\\/g, '/').replace(/^(\.\/)+/, '');
}

export function normalizeKeys(files: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(files).map(([path, content]) => [normalizePath(path), content]));
}

/** Content after applying `edit` once; callers have checked it matches exactly once. */
export function applyEdit(content: string, edit: EditBlock): string {
  const at = content.indexOf(edit.search);
  return content.slice(0, at) + edit.replace + content.slice(at + edit.search.length);
}

function paramReason(name: string, value: ParamValue, rules: CandidateRules): string | null {
  const param = rules.params.find((p) => p.name === name);
  if (!param) return `unknown parameter ${name}`;
  if (rules.frozen.includes(name)) return `${name} is frozen and must not change`;
  const wrongKind = checkValue(param, value);
  if (wrongKind) return wrongKind;
  const choices = rules.choices?.[name];
  if (choices && !choices.some((choice) => sameValue(choice, value))) {
    return `${name} must be one of ${choices.map((x) => JSON.stringify(x)).join(', ')}; got ${JSON.stringify(value)}`;
  }
  if (sameValue(value, param.value)) return `${name} is already ${param.text}; setting it to the same value changes nothing`;
  return null;
}

function pathReason(file: unknown, editable: Set<string>): string | null {
  if (typeof file !== 'string' || !file) return 'an edit names no file';
  const path = normalizePath(file);
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path)) return `edit on ${file}: absolute paths are not allowed`;
  if (path.split('/').includes('..')) return `edit on ${file}: paths must not contain ..`;
  if (!editable.has(path)) return `edit on ${file}: not an editable file (editable: ${[...editable].join(', ') || 'none'})`;
  return null;
}

/** Number of (possibly overlapping) places `search` occurs in `content`. */
function occurrences(content: string, search: string): number {
  let count = 0;
  for (let at = content.indexOf(search); at >= 0; at = content.indexOf(search, at + 1)) count++;
  return count;
}

function firstLine(text: string): string {
  const line = text.split(/\r?\n/).find((l) => l.trim()) ?? text.split(/\r?\n/)[0];
  return JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}…` : line);
}

/**
 * Applies the edits in order, each against the previous result, pushing a reason for each one that
 * can't apply. Returns the edited contents, or null when any edit failed.
 */
function applyEditsChecked(edits: EditBlock[], rules: CandidateRules, current: Record<string, string>, reasons: string[]): Record<string, string> | null {
  const editable = new Set(rules.editable.map(normalizePath));
  const contents: Record<string, string> = { ...current };
  let ok = true;
  edits.forEach((edit, i) => {
    const fail = (reason: string) => {
      reasons.push(reason);
      ok = false;
    };
    if (!edit || typeof edit !== 'object') return fail(`edit ${i + 1} is not a {file, search, replace} block`);
    const where = `edit ${i + 1} on ${edit.file}`;
    const badPath = pathReason(edit.file, editable);
    if (badPath) return fail(badPath);
    const path = normalizePath(edit.file);
    if (typeof edit.search !== 'string' || edit.search === '') return fail(`${where}: empty search text`);
    if (typeof edit.replace !== 'string') return fail(`${where}: replace must be a string`);
    if (edit.search === edit.replace) return fail(`${where}: search and replace are identical, so it changes nothing`);
    const content = contents[path];
    if (content === undefined) return fail(`${where}: the file could not be read`);
    const count = occurrences(content, edit.search);
    if (count === 0) return fail(`${where}: search text not found (exact match required; it starts with ${firstLine(edit.search)})`);
    if (count > 1) return fail(`${where}: search text matches ${count} times; it must match exactly once, so include more context (it starts with ${firstLine(edit.search)})`);
    contents[path] = applyEdit(content, edit);
  });
  return ok ? contents : null;
}

/** Edits to the parameter file must not touch frozen parameters or lines the candidate also sets. */
function paramFileEditReasons(before: string, after: string, c: Candidate, rules: CandidateRules): string[] {
  const setByParams = Object.keys(c.params ?? {});
  const names = [...new Set([...rules.params.map((p) => p.name), ...rules.frozen, ...setByParams])];
  const old = byName(parseParams(before, { names }));
  const now = byName(parseParams(after, { names }));
  const reasons: string[] = [];
  for (const name of rules.frozen) {
    const a = old.get(name);
    const b = now.get(name);
    if (a && (!b || !sameValue(a.value, b.value))) reasons.push(`an edit changes frozen parameter ${name}`);
  }
  const beforeLines = before.split(/\r?\n|\r/);
  const afterLines = after.split(/\r?\n|\r/);
  for (const name of setByParams) {
    const a = old.get(name);
    const b = now.get(name);
    if (!a) continue;
    if (!b || beforeLines[a.line - 1] !== afterLines[b.line - 1]) {
      reasons.push(`an edit changes the line that assigns ${name}, which the candidate also sets in params; change it in one place only`);
    }
  }
  return reasons;
}

function byName(params: PythonParam[]): Map<string, PythonParam> {
  return new Map(params.map((p) => [p.name, p]));
}
