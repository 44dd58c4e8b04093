import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { git, GitError, type GitOptions } from './git';
import { fileAt } from './revisionFiles';
import { parseStatus, shownCommit, unexpectedChanges, UserWorkFound, type NamedCommit, type CheckoutStatus, type FoundWork, type LeftState } from './userWork';

/** Paths under the repo that hold run state and must never be committed. */
export const RUN_STATE_DIR = '.autoresearch/runs';

export const runBranch = (tag: string) => `autoresearch/${tag}`;
export const triedRef = (tag: string, n: number) => `refs/autoresearch/${tag}/tried/${n}`;
/**
 * Not `autoresearch/<tag>/mechanism/…` as first designed: git cannot hold a branch `autoresearch/<tag>`
 * and branches below `autoresearch/<tag>/` at once (refs are files and folders).
 */
export const mechanismBranch = (tag: string, session: number, name: string) => `autoresearch/${tag}-mechanisms/${session}-${name}`;

/** Commits made by the loop carry this identity when the user has none configured. */
const FALLBACK_IDENTITY = ['-c', 'user.name=Bilevel Autoresearch', '-c', 'user.email=autoresearch@localhost'];

/**
 * A commit message as git takes it on stdin: git refuses a NUL byte in a message, so each becomes
 * U+FFFD; everything else is kept as written.
 */
const commitMessage = (message: string) => message.replace(/\0/g, '\uFFFD');

/** What resume knows from the trace about the commits on the run branch (see loopCommits). */
export interface LoopCommits {
  /** Every commit the trace names. */
  known: ReadonlySet<string>;
  /** Trees (and commit subjects) of commits the loop may have made and been killed before recording. */
  unrecordedTrees: ReadonlySet<string>;
  unrecordedSubjects: ReadonlySet<string>;
}

/**
 * The training repo as the run sees it. Every write is confined to the run's own branch and refs:
 * anything that commits to or resets the run branch first checks that the run branch is checked
 * out, at the commit the loop left it at, with the tracked files as the loop left them; anything
 * else is the user's work, and UserWorkFound is thrown before anything moves.
 */
export class RunRepo {
  private identity: string[] | undefined;
  /** How the loop left the main checkout; null until this process created or took up the run branch. */
  private left: LeftState | null = null;

  private constructor(
    readonly dir: string,
    /** Absolute path of the git directory, where HEAD is read from. */
    private readonly gitDir: string,
  ) {}

  static async open(dir: string): Promise<RunRepo> {
    if (!existsSync(dir)) throw new GitError(`${dir} does not exist`);
    let top: string;
    let gitDir: string;
    try {
      [top, gitDir] = (await git(['rev-parse', '--show-toplevel', '--absolute-git-dir'], { cwd: dir })).trim().split('\n');
    } catch (e) {
      if (e instanceof GitError && /not a git repository/i.test(e.stderr)) {
        throw new GitError(`${dir} is not a git repository. Run \`git init && git add -A && git commit -m init\` there first.`, e.exitCode, e.stderr);
      }
      throw e;
    }
    try {
      await git(['rev-parse', '--verify', '--quiet', 'HEAD'], { cwd: top });
    } catch (e) {
      // --quiet: exit status 1 with nothing said is "HEAD names no commit yet".
      if (e instanceof GitError && e.exitCode === 1 && !e.stderr.trim()) {
        throw new GitError(`${top} has no commits yet. Commit your training code first (\`git add -A && git commit -m init\`).`, e.exitCode, e.stderr);
      }
      throw e;
    }
    return new RunRepo(top, gitDir);
  }

  /** The root of the work tree `dir` is in (so commands work from a subdirectory); null outside a work tree. */
  static async topLevel(dir: string): Promise<string | null> {
    try {
      return (await git(['rev-parse', '--show-toplevel'], { cwd: dir })).trim() || null;
    } catch (e) {
      if (e instanceof GitError) return null;
      throw e;
    }
  }

  /** Keeps run state out of git without touching the user's .gitignore. */
  async excludeRunState(): Promise<void> {
    let excludePath = (await this.git(['rev-parse', '--git-path', 'info/exclude'])).trim();
    if (!isAbsolute(excludePath)) excludePath = join(this.dir, excludePath);
    const line = `/${RUN_STATE_DIR}/`;
    const current = existsSync(excludePath) ? readFileSync(excludePath, 'utf8') : '';
    if (current.split('\n').includes(line)) return;
    mkdirSync(dirname(excludePath), { recursive: true });
    appendFileSync(excludePath, `${current && !current.endsWith('\n') ? '\n' : ''}${line}\n`);
  }

  /** Tracked files with changes (staged or not), in the main checkout or in a worker's worktree. Untracked files are left alone. */
  async dirtyPaths(checkout = this.dir): Promise<string[]> {
    const out = await this.git(['-C', checkout, 'status', '--porcelain', '--untracked-files=no']);
    return out
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(3).replace(/^.* -> /, ''));
  }

  /**
   * Folds what is staged in `checkout` into its HEAD commit (same parent); returns the new commit. In
   * the main checkout that is the run branch's tip, so it is checked as a commit is (`tag`).
   */
  async amend(checkout: string, tag: string, message?: string): Promise<string> {
    if (checkout === this.dir) await this.assertAsLeft(tag, `amending ${runBranch(tag)}`);
    const identity = await this.commitIdentity();
    const how = message === undefined ? ['--no-edit'] : ['-F', '-'];
    await this.git([...identity, '-C', checkout, 'commit', '-q', '--amend', ...how, '--no-verify'], message === undefined ? {} : { input: commitMessage(message) });
    const head = (await this.git(['-C', checkout, 'rev-parse', 'HEAD'])).trim();
    if (checkout === this.dir) this.left = { head, staged: new Set(), loose: new Set() };
    return head;
  }

  async assertClean(): Promise<void> {
    const dirty = await this.dirtyPaths();
    if (dirty.length) {
      const shown = dirty.slice(0, 8).join(', ') + (dirty.length > 8 ? ` and ${dirty.length - 8} more` : '');
      throw new GitError(
        `The working tree has uncommitted changes (${shown}). The run commits each experiment, so it starts from a clean tree: commit them (git commit -am "…") or stash them (git stash), then run again.`,
      );
    }
  }

  /**
   * Refuses files the run will edit that HEAD does not hold: the proposer would see them empty, and
   * the first reset after they were committed would delete the user's copy.
   */
  async assertCommitted(paths: string[]): Promise<void> {
    const out = await this.git(['ls-tree', '-z', '--name-only', '--full-tree', 'HEAD', '--', ...paths]);
    const committed = new Set(out.split('\0'));
    const missing = paths.filter((p) => !committed.has(p));
    if (missing.length) {
      throw new GitError(`${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not committed. The run edits and resets committed files only: commit ${missing.length > 1 ? 'them' : 'it'} first (git add ${missing.join(' ')} && git commit), then run again.`);
    }
  }

  async head(): Promise<string> {
    return (await this.git(['rev-parse', 'HEAD'])).trim();
  }

  /**
   * The checked-out branch, read from HEAD itself: the loop asks before every commit and reset, and
   * a git process for it cost ~6 ms of the loop's ~70 ms per iteration (bench/loopOverhead.ts).
   */
  async currentBranch(): Promise<string | null> {
    const head = readFileSync(join(this.gitDir, 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return null;
    return head.slice('ref: '.length).replace(/^refs\/heads\//, '');
  }

  async branchExists(branch: string): Promise<boolean> {
    return (await this.git(['branch', '--list', branch])).trim() !== '';
  }

  /** Creates the run branch at HEAD and checks it out. */
  /** Refuses a tag whose branch exists already (before the run records anything). */
  async assertRunBranchFree(tag: string): Promise<void> {
    const branch = runBranch(tag);
    if (await this.branchExists(branch)) throw new GitError(`Branch ${branch} already exists; pick another tag or resume that run.`);
  }

  /** Creates the run branch at `at` (default: HEAD) and checks it out. */
  async createRunBranch(tag: string, at?: string): Promise<{ branch: string; baseCommit: string }> {
    await this.assertRunBranchFree(tag);
    const branch = runBranch(tag);
    const baseCommit = at ?? (await this.head());
    await this.git(['checkout', '-q', '-b', branch, baseCommit]);
    this.left = { head: baseCommit, staged: new Set(), loose: new Set() };
    return { branch, baseCommit };
  }

  /**
   * Resume: takes the run branch up where a previous process left it. The commits on it since the
   * best must all be the loop's (named in the trace, or the one a kill kept out of it); `leftovers`
   * are paths a killed iteration may have left changed. Throws UserWorkFound for anything else,
   * except with `adopt`: commits the user made on it (and nothing else found) are taken up with the
   * branch and returned, newest first, for the run to adopt.
   */
  async takeUpRunBranch(tag: string, best: string, loop: LoopCommits, leftovers: readonly string[], adopt = false): Promise<NamedCommit[]> {
    const branch = runBranch(tag);
    const status = await this.status();
    const left: LeftState = { head: status.head, staged: new Set(), loose: new Set(leftovers) };
    const found = unexpectedChanges(status, branch, left) ?? {};
    const foreign: NamedCommit[] = [];
    if (found.otherBranch === undefined) {
      const commits = await this.commitsSince(best);
      for (const [i, c] of commits.entries()) {
        if (loop.known.has(c.sha)) continue;
        // Newest first: only the tip can be the loop's unrecorded commit, and only on a known parent.
        const onKnown = c.parents.length === 1 && (loop.known.has(c.parents[0]) || c.parents[0] === best);
        if (i === 0 && onKnown && (loop.unrecordedSubjects.has(c.subject) || loop.unrecordedTrees.has(await this.experimentTree(c.tree)))) continue;
        foreign.push({ commit: c.sha, subject: c.subject });
      }
      if (foreign.length) Object.assign(found, { foreignCommits: foreign.map(shownCommit), leftAt: best });
    }
    const onlyForeign = found.foreignCommits !== undefined && Object.keys(found).every((k) => k === 'foreignCommits' || k === 'leftAt');
    if (Object.keys(found).length && !(adopt && onlyForeign)) throw new UserWorkFound(branch, found, `resuming run ${tag}`);
    this.left = left;
    return foreign;
  }

  /**
   * Commits on the branch `branch` that neither `since` nor the run's branch holds (merged into it),
   * newest first; empty when either branch is gone. Reads refs only: HEAD may be anywhere.
   */
  async newCommitsOn(branch: string, since: string, tag: string): Promise<NamedCommit[]> {
    if (!(await this.branchExists(branch)) || !(await this.branchExists(runBranch(tag)))) return [];
    const out = await this.git(['log', '--format=%H%x1f%s%x1e', `refs/heads/${branch}`, '--not', since, `refs/heads/${runBranch(tag)}`]);
    return out
      .split('\x1e')
      .map((r) => r.trim())
      .filter(Boolean)
      .map((r) => {
        const [commit, subject] = r.split('\x1f');
        return { commit, subject };
      });
  }

  async checkoutRunBranch(tag: string): Promise<void> {
    const branch = runBranch(tag);
    if ((await this.currentBranch()) === branch) return;
    if (!(await this.branchExists(branch))) throw new GitError(`The run's branch ${branch} no longer exists; start a new run.`);
    await this.git(['checkout', '-q', branch]);
  }

  /** Checks out a branch or commit (the ablation goes back to where it started between runs). */
  async checkoutRef(ref: string): Promise<void> {
    await this.git(['checkout', '-q', ref]);
  }

  /**
   * Before the loop commits to or resets the run branch: HEAD must be on it, at the commit the loop
   * left it at, with no tracked change the loop did not make. Returns nothing; throws UserWorkFound.
   */
  private async assertAsLeft(tag: string, doing: string): Promise<void> {
    const branch = runBranch(tag);
    const status = await this.status();
    const left = this.left ?? { head: null, staged: new Set<string>(), loose: new Set<string>() };
    const found: FoundWork = unexpectedChanges(status, branch, left) ?? {};
    if (found.otherBranch === undefined && left.head !== null && status.head !== left.head) {
      const commits = await this.commitsSince(left.head);
      // A branch moved back (or elsewhere) holds no new commit: still not where the loop left it.
      found.foreignCommits = commits.length ? commits.map((c) => `${c.sha.slice(0, 7)} "${c.subject}"`) : [`${branch} was moved to ${status.head?.slice(0, 7)} (the loop left it at ${left.head.slice(0, 7)})`];
      found.leftAt = left.head;
    }
    if (Object.keys(found).length) throw new UserWorkFound(branch, found, doing);
  }

  private async status(): Promise<CheckoutStatus> {
    return parseStatus(await this.git(['status', '--porcelain=v2', '--branch', '-z', '--untracked-files=no']));
  }

  /** Commits reachable from HEAD and not from `base`, newest first. */
  private async commitsSince(base: string): Promise<{ sha: string; tree: string; parents: string[]; subject: string }[]> {
    const out = await this.git(['log', '--format=%H%x1f%T%x1f%P%x1f%s%x1e', `${base}..HEAD`]);
    return out
      .split('\x1e')
      .map((r) => r.trim())
      .filter(Boolean)
      .map((r) => {
        const [sha, tree, parents, subject] = r.split('\x1f');
        return { sha, tree, parents: parents.split(' ').filter(Boolean), subject };
      });
  }

  /**
   * The tree HEAD would have with these paths as they are in the main checkout, built in a private
   * index: neither the index nor the working tree is touched. What resume compares with the tree a
   * killed iteration recorded, to tell its leftovers from the user's edits.
   */
  async worktreeTree(paths: readonly string[]): Promise<string> {
    const index = join(tmpdir(), `bilevel-index-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    const env = { GIT_INDEX_FILE: index };
    try {
      await this.git(['read-tree', 'HEAD'], { env });
      if (paths.length) await this.git(['add', '--', ...paths], { env });
      return (await this.git(['write-tree'], { env })).trim();
    } finally {
      rmSync(index, { force: true });
    }
  }

  /** Stages exactly these paths (in `checkout`, default the main one) and returns their tree, without committing. */
  async stageTree(paths: string[], checkout = this.dir): Promise<string> {
    if (paths.length) await this.git(['-C', checkout, 'add', '--', ...paths]);
    if (checkout === this.dir) {
      const left = this.left ?? { head: null, staged: new Set<string>(), loose: new Set<string>() };
      this.left = { ...left, staged: new Set([...left.staged, ...paths]) };
    }
    return (await this.git(['-C', checkout, 'write-tree'])).trim();
  }

  /**
   * A detached worktree at `commit`, for a worker that trains beside the main checkout (parallel
   * runs never share a working copy). Reused and reset when it already exists.
   */
  async prepareWorktree(path: string, commit: string): Promise<void> {
    if (existsSync(join(path, '.git'))) {
      await this.git(['-C', path, 'checkout', '-q', '--detach', '-f', commit]);
      return;
    }
    mkdirSync(dirname(path), { recursive: true });
    await this.git(['worktree', 'add', '-q', '--detach', '-f', path, commit]);
  }

  async removeWorktree(path: string): Promise<void> {
    if (existsSync(path)) await this.git(['worktree', 'remove', '--force', path]);
  }

  /** Commits what is staged in a worktree on its detached HEAD; the run branch moves only on keep. */
  async commitDetached(checkout: string, message: string): Promise<string> {
    const identity = await this.commitIdentity();
    await this.git([...identity, '-C', checkout, 'commit', '-q', '--no-verify', '-F', '-'], { input: commitMessage(message) });
    return (await this.git(['-C', checkout, 'rev-parse', 'HEAD'])).trim();
  }

  async commitStaged(tag: string, message: string): Promise<string> {
    await this.assertAsLeft(tag, `committing to ${runBranch(tag)}`);
    const identity = await this.commitIdentity();
    await this.git([...identity, 'commit', '-q', '--no-verify', '-F', '-'], { input: commitMessage(message) });
    const head = await this.head();
    this.left = { head, staged: new Set(), loose: new Set() };
    return head;
  }

  /** Moves the run branch (and working tree) back to `commit`. */
  async resetTo(tag: string, commit: string): Promise<void> {
    await this.assertAsLeft(tag, `resetting ${runBranch(tag)} to ${commit.slice(0, 7)}`);
    await this.git(['reset', '-q', '--hard', commit]);
    // The loop names commits by their full id: no git call to learn where HEAD now is.
    const head = /^[0-9a-f]{40}$/.test(commit) ? commit : await this.head();
    this.left = { head, staged: new Set(), loose: new Set() };
  }

  async recordTried(tag: string, n: number, commit: string): Promise<void> {
    await this.git(['update-ref', triedRef(tag, n), commit]);
  }

  /**
   * A commit of `files` (path → content) on top of `base`, built with a private index: neither the
   * working tree, the index nor any branch is touched. Mechanism modules are committed this way.
   */
  async commitFilesOnto(base: string, files: Record<string, string>, message: string): Promise<string> {
    const index = join(tmpdir(), `bilevel-index-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    const env = { GIT_INDEX_FILE: index };
    try {
      await this.git(['read-tree', base], { env });
      for (const [path, content] of Object.entries(files)) {
        const blob = (await this.git(['hash-object', '-w', '--stdin'], { input: content })).trim();
        await this.git(['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], { env });
      }
      const tree = (await this.git(['write-tree'], { env })).trim();
      const identity = await this.commitIdentity();
      return (await this.git([...identity, 'commit-tree', tree, '-p', base, '-F', '-'], { env, input: commitMessage(message) })).trim();
    } catch (e) {
      if (!(e instanceof GitError)) throw e;
      throw new GitError(`committing ${Object.keys(files).join(', ')} onto ${base.slice(0, 7)} failed: ${e.stderr.trim() || e.message}`, e.exitCode, e.stderr);
    } finally {
      rmSync(index, { force: true });
    }
  }

  /** A commit of `tree` on `parent`, made with plumbing: no index, working tree or branch is touched. */
  async commitTree(tree: string, parent: string, message: string): Promise<string> {
    const identity = await this.commitIdentity();
    return (await this.git([...identity, 'commit-tree', tree, '-p', parent, '-F', '-'], { input: commitMessage(message) })).trim();
  }

  /** Creates or moves a branch other than the one checked out (mechanism branches). */
  async setBranch(branch: string, commit: string): Promise<void> {
    if ((await this.currentBranch()) === branch) throw new GitError(`Refusing to move ${branch}: it is checked out.`);
    await this.git(['update-ref', `refs/heads/${branch}`, commit]);
  }

  /**
   * A file's content at a commit, or null only when it is not there (see fileAt); a repository that
   * cannot be read throws a GitError with git's message.
   */
  readFileAt(commit: string, path: string): Promise<string | null> {
    return fileAt(this.dir, commit, path);
  }

  /** The names at the top of a commit's tree (for "did you mean" in a config read from it). */
  async topFilesAt(commit: string): Promise<string[]> {
    return (await this.git(['ls-tree', '-z', '--name-only', commit])).split('\0').filter(Boolean);
  }

  /** A file the run needs at a commit (an editable file, a mechanism's module): absent is an error too. */
  async requireFileAt(commit: string, path: string): Promise<string> {
    const content = await this.readFileAt(commit, path);
    if (content === null) throw new GitError(`${path} is missing from commit ${commit.slice(0, 7)} in ${this.dir}`);
    return content;
  }

  /** The tree of an experiment without the loop's own files (.autoresearch/): what the cache compares. */
  async experimentTree(tree: string): Promise<string> {
    const all = (await this.git(['ls-tree', tree])).split('\n').filter(Boolean);
    const entries = all.filter((l) => !l.endsWith('\t.autoresearch'));
    if (entries.length === all.length) return tree;
    return (await this.git(['mktree'], { input: entries.join('\n') + '\n' })).trim();
  }

  /** Unified diff of a commit against its parent, for review. */
  async showCommit(commit: string): Promise<string> {
    return this.git(['show', '--format=%H%n%s%n', commit]);
  }

  private git(args: string[], options: Omit<GitOptions, 'cwd'> = {}): Promise<string> {
    return git(args, { cwd: this.dir, ...options });
  }

  private async commitIdentity(): Promise<string[]> {
    if (this.identity) return this.identity;
    let email = '';
    try {
      email = (await this.git(['config', 'user.email'])).trim();
    } catch (e) {
      // Exit status 1 is git config's "not set"; any other failure is the repo's and is reported.
      if (!(e instanceof GitError) || e.exitCode !== 1) throw e;
    }
    this.identity = email ? [] : FALLBACK_IDENTITY;
    return this.identity;
  }
}
