import type { FoundWork } from '../../core';

/** What the person can answer when a resume stopped on their work (core's UserWorkFound). */
export type UserWorkChoice = 'Adopt My Commit' | 'New Run';

/**
 * The buttons for the work found. Plain data, no `vscode` import. Adopt takes one commit as the
 * run's new starting point, so it is offered for new commits in one place only (the run branch or
 * the branch the run started from: core refuses both at once); a checked-out other branch or
 * uncommitted edits need the person's hand first (checkout, commit or stash), so nothing is offered.
 */
export function userWorkChoices(found: FoundWork): UserWorkChoice[] {
  if (found.otherBranch !== undefined || found.modified?.length) return [];
  const onRunBranch = !!found.foreignCommits?.length;
  const onStartBranch = !!found.startCommits?.length;
  if (!onRunBranch && !onStartBranch) return [];
  return onRunBranch !== onStartBranch ? ['Adopt My Commit', 'New Run'] : ['New Run'];
}
