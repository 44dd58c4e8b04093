/**
 * `autoresearch-git:` URIs name a file as it is in one commit of a repo: the path is the file's
 * path in the repo (so the editor picks the language from its extension), the query says which
 * repo and which revision, and for a mechanism's change which mechanism it is (so the editor can
 * offer Accept / Reject on it). Pure: building the vscode.Uri is the caller's business.
 */
export const GIT_SHOW_SCHEME = 'autoresearch-git';

export interface GitShowTarget {
  /** Absolute path of the repository. */
  repo: string;
  /** Any revision git understands: a commit, `<commit>^`, a ref. */
  ref: string;
  /** Path inside the repo, forward slashes, no leading slash. */
  path: string;
  /** The mechanism whose proposed change this side belongs to. */
  mechanism?: { tag: string; name: string };
}

/** The components of the URI for a target: `autoresearch-git:/train.py?{"repo":…,"ref":…}`. */
export function gitShowUriParts(t: GitShowTarget): { scheme: string; path: string; query: string } {
  return {
    scheme: GIT_SHOW_SCHEME,
    path: `/${t.path.replace(/^\/+/, '')}`,
    query: JSON.stringify({ repo: t.repo, ref: t.ref, ...(t.mechanism ? { mechanism: t.mechanism } : {}) }),
  };
}

/** Reads a target back from a URI's path and query; throws on anything else. */
export function parseGitShowUri(path: string, query: string): GitShowTarget {
  let q: unknown;
  try {
    q = JSON.parse(query);
  } catch {
    throw new Error(`not an ${GIT_SHOW_SCHEME} URI query: ${query}`);
  }
  const { repo, ref, mechanism } = (q ?? {}) as Record<string, unknown>;
  if (typeof repo !== 'string' || typeof ref !== 'string' || !repo || !ref) throw new Error(`not an ${GIT_SHOW_SCHEME} URI query: ${query}`);
  // A ref starting with '-' would be read by git as an option.
  if (ref.startsWith('-')) throw new Error(`invalid revision: ${ref}`);
  const file = path.replace(/^\/+/, '');
  if (!file) throw new Error(`no file path in ${GIT_SHOW_SCHEME} URI`);
  const m = mechanism as { tag?: unknown; name?: unknown } | undefined;
  const isMechanism = typeof m === 'object' && m !== null && typeof m.tag === 'string' && typeof m.name === 'string';
  return { repo, ref, path: file, ...(isMechanism ? { mechanism: { tag: m.tag as string, name: m.name as string } } : {}) };
}
