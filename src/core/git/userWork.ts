import { CONFIG_FILE } from '../target/targetConfig';
import { GitError } from './git';

/**
 * The user's work found where the loop was about to write: the loop stops without touching anything.
 * A GitError, so that every front presents it as one message (no stack).
 */
export interface FoundWork {
  /** HEAD is not on the run branch: the branch checked out instead (null: a detached HEAD). */
  otherBranch?: string | null;
  /** Tracked files changed in the working tree or the index that the loop did not change. */
  modified?: string[];
  /** Commits on the run branch that the loop did not make (newest first): `<sha> <subject>`. */
  foreignCommits?: string[];
  /** Where the loop left the run branch (with foreignCommits): where to move it back to, to go on without them. */
  leftAt?: string;
  /** New commits on the branch the run started from (newest first): `<sha> <subject>`. */
  startCommits?: string[];
  /** That branch (with startCommits). */
  startBranch?: string;
}

export class UserWorkFound extends GitError {
  constructor(
    readonly branch: string,
    readonly found: FoundWork,
    /** What the loop was about to do, e.g. "reset autoresearch/t to 1a2b3c4". */
    readonly doing: string,
    /** What to do instead of the choices each finding lists (work found in two places). */
    advice?: string,
  ) {
    super(userWorkMessage(branch, found, doing) + (advice ? ` Since ${advice}.` : ''));
    this.name = 'UserWorkFound';
  }
}

const list = (xs: string[], max = 5) => xs.slice(0, max).join(', ') + (xs.length > max ? ` and ${xs.length - max} more` : '');

export function userWorkMessage(branch: string, found: FoundWork, doing: string): string {
  const parts: string[] = [];
  if (found.otherBranch !== undefined) {
    parts.push(`${found.otherBranch === null ? 'HEAD is detached' : `${found.otherBranch} is checked out`}, not the run's branch ${branch} (the run only ever rewrites ${branch}); go back to it (git checkout ${branch}) and run again to resume`);
  }
  if (found.modified?.length) {
    parts.push(`tracked files were changed outside the loop (${list(found.modified)}); commit them on a branch of your own or stash them (git stash), then run again`);
  }
  if (found.foreignCommits?.length) {
    const n = found.foreignCommits.length;
    const them = n > 1 ? 'them' : 'it';
    parts.push(
      `${branch} has ${n} commit${n > 1 ? 's' : ''} the loop did not make (${list(found.foreignCommits, 3)}); ${n > 1 ? 'they are' : 'it is'} kept. To build on ${them}, run \`bilevel run --adopt\`: the run trains ${found.foreignCommits[0].slice(0, 7)} as its new baseline and continues from it (its ${CONFIG_FILE} too); or start a new run from ${them} (git checkout -b my-work ${branch} && bilevel run --new); to let this run go on without ${them}, move ${branch} back yourself (git checkout ${branch} && git reset --keep ${found.leftAt?.slice(0, 7) ?? 'HEAD~1'}) and run again`,
    );
  }
  if (found.startCommits?.length) {
    const n = found.startCommits.length;
    parts.push(
      `${found.startBranch}, the branch the run started from, has ${n} new commit${n > 1 ? 's' : ''} (${list(found.startCommits, 3)}). To build on ${found.startCommits[0].slice(0, 7)}, run \`bilevel run --adopt\`: the run moves ${branch} to it, trains it as its new baseline and continues from it (its ${CONFIG_FILE} too); or start a fresh run from it (git checkout ${found.startBranch} && bilevel run --new)`,
    );
  }
  return `Stopped before ${doing}, and nothing was touched: ${parts.join('; ')}.`;
}

/** One tracked path in `git status --porcelain=v2`: its index and working-tree states ('.' unchanged). */
export interface StatusEntry {
  path: string;
  index: string;
  worktree: string;
}

export interface CheckoutStatus {
  /** The checked-out branch (short name), null when detached. */
  branch: string | null;
  /** HEAD's commit, null before the first commit. */
  head: string | null;
  entries: StatusEntry[];
}

/** Parses `git status --porcelain=v2 --branch -z --untracked-files=no`. Pure. */
export function parseStatus(out: string): CheckoutStatus {
  const status: CheckoutStatus = { branch: null, head: null, entries: [] };
  const fields = out.split('\0');
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (f.startsWith('# branch.oid ')) {
      const oid = f.slice('# branch.oid '.length);
      status.head = oid === '(initial)' ? null : oid;
    } else if (f.startsWith('# branch.head ')) {
      const head = f.slice('# branch.head '.length);
      status.branch = head === '(detached)' ? null : head;
    } else if (f.startsWith('1 ') || f.startsWith('u ')) {
      // 1 XY sub mH mI mW hH hI path; u XY sub m1 m2 m3 mW h1 h2 h3 path
      const parts = f.split(' ');
      const path = parts.slice(f.startsWith('1 ') ? 8 : 10).join(' ');
      status.entries.push({ path, index: parts[1][0], worktree: parts[1][1] });
    } else if (f.startsWith('2 ')) {
      // 2 XY sub mH mI mW hH hI score path, then the original path as the next field
      const parts = f.split(' ');
      status.entries.push({ path: parts.slice(9).join(' '), index: parts[1][0], worktree: parts[1][1] });
      status.entries.push({ path: fields[++i], index: 'D', worktree: '.' });
    }
  }
  return status;
}

/** How the loop left the run branch's checkout, as far as it knows. */
export interface LeftState {
  /** The commit the run branch was left at; null when not known (a process that did not write it). */
  head: string | null;
  /** Paths the loop staged since (its candidate, applied and staged, not yet committed). */
  staged: ReadonlySet<string>;
  /** Paths the loop may have changed in any way (left behind by a run killed mid-iteration). */
  loose: ReadonlySet<string>;
}

/**
 * What in the checkout is not as the loop left it, or null when all is. Pure. A staged path must not
 * have changed in the working tree since; any other change is the user's. A different HEAD commit is
 * reported by the caller (it needs git to list the commits).
 */
export function unexpectedChanges(status: CheckoutStatus, branch: string, left: LeftState): FoundWork | null {
  const found: FoundWork = {};
  if (status.branch !== branch) found.otherBranch = status.branch;
  const modified = status.entries.filter((e) => !left.loose.has(e.path) && !(left.staged.has(e.path) && e.worktree === '.')).map((e) => e.path);
  if (modified.length) found.modified = modified;
  return Object.keys(found).length ? found : null;
}

/** A commit as the trace records it. */
export interface NamedCommit {
  commit: string;
  subject: string;
}

/** What `--adopt` takes: the commits (newest first; the first is the new starting point) and where they are. */
export interface Adoption {
  from: 'run-branch' | 'start-branch';
  branch: string;
  commits: NamedCommit[];
}

/** A commit as messages list it: `<sha7> "<subject>"`. */
export const shownCommit = (c: NamedCommit) => `${c.commit.slice(0, 7)} "${c.subject}"`;

/**
 * On resume: the user's work to adopt, or null when there is none. Pure. Without `adopt`, work found
 * (new commits on the start branch; the run branch's are found before this) is a UserWorkFound that
 * stops the resume untouched; work on both branches is too, since only one can be the starting point.
 */
export function adoptionOf(a: {
  tag: string;
  runBranch: string;
  /** Commits on the run branch the loop did not make (takeUpRunBranch lets them through only with adopt). */
  onRunBranch: NamedCommit[];
  startBranch: string | null;
  onStartBranch: NamedCommit[];
  adopt: boolean;
  /** Where the loop left the run branch. */
  leftAt: string;
}): Adoption | null {
  const doing = `resuming run ${a.tag}`;
  if (a.onRunBranch.length && a.onStartBranch.length) {
    const found: FoundWork = { foreignCommits: a.onRunBranch.map(shownCommit), leftAt: a.leftAt, startCommits: a.onStartBranch.map(shownCommit), startBranch: a.startBranch ?? undefined };
    throw new UserWorkFound(a.runBranch, found, doing, `both have new commits and only one can be the run's new starting point: merge one into the other first (git checkout ${a.runBranch} && git merge ${a.startBranch}), then \`bilevel run --adopt\``);
  }
  if (a.onRunBranch.length) return { from: 'run-branch', branch: a.runBranch, commits: a.onRunBranch };
  if (!a.onStartBranch.length || !a.startBranch) return null;
  if (!a.adopt) throw startBranchWork(a.tag, a.runBranch, a.startBranch, a.onStartBranch);
  return { from: 'start-branch', branch: a.startBranch, commits: a.onStartBranch };
}

/** New commits on the branch the run started from, as the error that stops a resume without --adopt. */
export function startBranchWork(tag: string, runBranch: string, startBranch: string, commits: NamedCommit[]): UserWorkFound {
  return new UserWorkFound(runBranch, { startCommits: commits.map(shownCommit), startBranch }, `resuming run ${tag}`);
}
