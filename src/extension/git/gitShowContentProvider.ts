import { fileAt } from '../../core';
import * as vscode from 'vscode';
import { GIT_SHOW_SCHEME, gitShowUriParts, parseGitShowUri, type GitShowTarget } from './gitShowUri';

export function gitShowUri(target: GitShowTarget): vscode.Uri {
  return vscode.Uri.from(gitShowUriParts(target));
}

/**
 * Serves `git show <ref>:<path>` as read-only documents for `autoresearch-git:` URIs (the two sides
 * of an experiment's diff). A file absent at that revision reads as empty, so added and deleted
 * files diff too; a repository that cannot be read is an error, never an empty side. Contents at a commit never change, so nothing needs invalidating.
 */
export class GitShowContentProvider implements vscode.TextDocumentContentProvider {
  static readonly scheme = GIT_SHOW_SCHEME;

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const { repo, ref, path } = parseGitShowUri(uri.path, uri.query);
    return (await fileAt(repo, ref, path)) ?? '';
  }
}
