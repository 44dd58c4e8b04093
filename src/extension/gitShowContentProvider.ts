import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import { GIT_SHOW_SCHEME, gitShowUriParts, parseGitShowUri, type GitShowTarget } from './gitShowUri';

const execFileAsync = promisify(execFile);

export function gitShowUri(target: GitShowTarget): vscode.Uri {
  return vscode.Uri.from(gitShowUriParts(target));
}

/**
 * Serves `git show <ref>:<path>` as read-only documents for `autoresearch-git:` URIs (the two sides
 * of an experiment's diff). A file absent at that revision reads as empty, so added and deleted
 * files diff too. Contents at a commit never change, so nothing needs invalidating.
 */
export class GitShowContentProvider implements vscode.TextDocumentContentProvider {
  static readonly scheme = GIT_SHOW_SCHEME;

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const { repo, ref, path } = parseGitShowUri(uri.path, uri.query);
    try {
      const { stdout } = await execFileAsync('git', ['-C', repo, 'show', `${ref}:${path}`], { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' });
      return stdout;
    } catch (e) {
      const stderr = String((e as { stderr?: string }).stderr ?? '');
      if (/does not exist in|exists on disk, but not in/.test(stderr)) return '';
      throw new Error(`git show ${ref}:${path} failed: ${stderr.trim() || (e as Error).message}`);
    }
  }
}
