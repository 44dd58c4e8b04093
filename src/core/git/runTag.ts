/**
 * Why `tag` cannot name a run, or null when it can. A tag names the branch `autoresearch/<tag>`, the
 * refs under `refs/autoresearch/<tag>/` and the folder `.autoresearch/runs/<tag>/`, so it is one
 * path component that git accepts as part of a ref name and every file system as a folder name:
 * letters, digits, `.`, `_` and `-`, starting with a letter or digit, without `..` and not ending in
 * `.` or `.lock`. Pure.
 */
export function runTagProblem(tag: string): string | null {
  const allowed = /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(tag) && !tag.includes('..') && !/(\.|\.lock)$/.test(tag) && tag.length <= 100;
  if (allowed) return null;
  const suggestion = tag
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 100)
    .replace(/(\.lock|[._-])+$/, '');
  const example = suggestion ? `, e.g. ${suggestion}` : '';
  return `A run tag names the branch autoresearch/<tag> and the folder .autoresearch/runs/<tag>: up to 100 letters, digits, '.', '_' and '-', starting with a letter or digit${example}`;
}
