import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rewriteParams, type ParamOptions } from '../target/pythonParams';
import { writeFileWhole } from './writeFileWhole';
import type { Candidate } from '../../shared/trace/candidate';
import { applyEdit, normalizeKeys, normalizePath, validateCandidate, type CandidateRules } from './validateCandidate';

export class InvalidCandidateError extends Error {
  override name = 'InvalidCandidateError';
  constructor(readonly reasons: string[]) {
    super(`invalid candidate: ${reasons.join('; ')}`);
  }
}

/**
 * New contents of the files `c` changes, keyed by normalized relative path. Edits go first, in order,
 * each against the previous result; parameter changes then rewrite the parameter file. Throws
 * InvalidCandidateError when validation fails.
 */
export function applyCandidateToSources(c: Candidate, rules: CandidateRules, files: Record<string, string>, opts: ParamOptions = {}): Record<string, string> {
  const reasons = validateCandidate(c, rules, files);
  if (reasons.length) throw new InvalidCandidateError(reasons);
  return applyValidCandidate(c, rules, files, opts);
}

/** applyCandidateToSources for a candidate already validated against these files (the loop's gates did). */
function applyValidCandidate(c: Candidate, rules: CandidateRules, files: Record<string, string>, opts: ParamOptions): Record<string, string> {
  const original = normalizeKeys(files);
  const contents = { ...original };
  for (const edit of c.edits ?? []) {
    const path = normalizePath(edit.file);
    contents[path] = applyEdit(contents[path], edit);
  }
  if (Object.keys(c.params ?? {}).length) {
    const paramFile = normalizePath(rules.paramFile);
    if (contents[paramFile] === undefined) throw new InvalidCandidateError([`cannot set parameters: ${paramFile} was not read`]);
    // Rules may list lowercase parameters; they must stay rewritable even when opts.names is omitted.
    const names = [...new Set([...(opts.names ?? []), ...rules.params.map((p) => p.name)])];
    contents[paramFile] = rewriteParams(contents[paramFile], c.params ?? {}, { names });
  }
  return Object.fromEntries(Object.entries(contents).filter(([path, content]) => content !== original[path]));
}

/** Validates and applies `c` inside `repoDir`; returns the relative paths it wrote. */
export async function applyCandidate(repoDir: string, c: Candidate, rules: CandidateRules, opts: ParamOptions = {}): Promise<string[]> {
  const files = await readFiles(repoDir, filesNeeded(c, rules));
  const changed = applyCandidateToSources(c, rules, files, opts);
  for (const [path, content] of Object.entries(changed)) await writeFileWhole(join(repoDir, path), content);
  return Object.keys(changed);
}

/** applyCandidate for a candidate the caller validated against the files in `repoDir` just now. */
export async function applyValidatedCandidate(repoDir: string, c: Candidate, rules: CandidateRules, opts: ParamOptions = {}): Promise<string[]> {
  const files = await readFiles(repoDir, filesNeeded(c, rules));
  const changed = applyValidCandidate(c, rules, files, opts);
  for (const [path, content] of Object.entries(changed)) await writeFileWhole(join(repoDir, path), content);
  return Object.keys(changed);
}

/** The editable files `c` touches, plus the parameter file when it sets parameters. */
function filesNeeded(c: Candidate, rules: CandidateRules): string[] {
  const editable = new Set(rules.editable.map(normalizePath));
  const edited = (c.edits ?? []).map((e) => (typeof e?.file === 'string' ? normalizePath(e.file) : '')).filter((p) => editable.has(p));
  const setsParams = Object.keys(c.params ?? {}).length > 0;
  return [...new Set(setsParams ? [...edited, normalizePath(rules.paramFile)] : edited)];
}

/** Contents of the files that exist; a missing one is left out and validation reports it. */
async function readFiles(repoDir: string, paths: string[]): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const path of paths) {
    try {
      files[path] = await readFile(join(repoDir, path), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return files;
}
