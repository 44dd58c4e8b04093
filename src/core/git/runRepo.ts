import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { simpleGit, type SimpleGit } from 'simple-git';

const execFileAsync = promisify(execFile);

export class GitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitError';
  }
}

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
 * The training repo as the run sees it. Every write is confined to the run's own branch and refs:
 * anything that moves HEAD first checks that the run branch is what is checked out.
 */
export class RunRepo {
  private identity: string[] | undefined;

  private constructor(
    readonly dir: string,
    private readonly git: SimpleGit,
    /** Absolute path of the git directory, where HEAD is read from. */
    private readonly gitDir: string,
  ) {}

  static async open(dir: string): Promise<RunRepo> {
    if (!existsSync(dir)) throw new GitError(`${dir} does not exist`);
    const git = simpleGit({ baseDir: dir, maxConcurrentProcesses: 1 });
    let top: string;
    let gitDir: string;
    try {
      [top, gitDir] = (await git.revparse(['--show-toplevel', '--absolute-git-dir'])).trim().split('\n');
    } catch {
      throw new GitError(`${dir} is not a git repository. Run \`git init && git add -A && git commit -m init\` there first.`);
    }
    try {
      await git.revparse(['--verify', 'HEAD']);
    } catch {
      throw new GitError(`${top} has no commits yet. Commit your training code first (\`git add -A && git commit -m init\`).`);
    }
    return new RunRepo(top, git, gitDir);
  }

  /** The root of the work tree `dir` is in (so commands work from a subdirectory); null outside git. */
  static async topLevel(dir: string): Promise<string | null> {
    try {
      return (await execFileAsync('git', ['rev-parse', '--show-toplevel'], { cwd: dir })).stdout.trim() || null;
    } catch {
      return null;
    }
  }

  /** Keeps run state out of git without touching the user's .gitignore. */
  async excludeRunState(): Promise<void> {
    let excludePath = (await this.git.revparse(['--git-path', 'info/exclude'])).trim();
    if (!isAbsolute(excludePath)) excludePath = join(this.dir, excludePath);
    const line = `/${RUN_STATE_DIR}/`;
    const current = existsSync(excludePath) ? readFileSync(excludePath, 'utf8') : '';
    if (current.split('\n').includes(line)) return;
    mkdirSync(dirname(excludePath), { recursive: true });
    appendFileSync(excludePath, `${current && !current.endsWith('\n') ? '\n' : ''}${line}\n`);
  }

  /** Tracked files with uncommitted changes (staged or not). Untracked files are left alone. */
  /** Tracked files with changes, in the main checkout or in a worker's worktree. */
  async dirtyPaths(checkout = this.dir): Promise<string[]> {
    const out = await this.quiet(['-C', checkout, 'status', '--porcelain', '--untracked-files=no']);
    return out
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(3).replace(/^.* -> /, ''));
  }

  /** Folds what is staged in `checkout` into its HEAD commit (same parent); returns the new commit. */
  async amend(checkout: string): Promise<string> {
    const identity = await this.commitIdentity();
    await this.quiet([...identity, '-C', checkout, 'commit', '-q', '--amend', '--no-edit', '--no-verify']);
    return (await this.quiet(['-C', checkout, 'rev-parse', 'HEAD'])).trim();
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

  async head(): Promise<string> {
    return (await this.git.revparse(['HEAD'])).trim();
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
    return (await this.git.raw(['branch', '--list', branch])).trim() !== '';
  }

  /** Creates the run branch at HEAD and checks it out. */
  async createRunBranch(tag: string): Promise<{ branch: string; baseCommit: string }> {
    const branch = runBranch(tag);
    if (await this.branchExists(branch)) throw new GitError(`Branch ${branch} already exists; pick another tag or resume that run.`);
    const baseCommit = await this.head();
    await this.git.raw(['checkout', '-q', '-b', branch]);
    return { branch, baseCommit };
  }

  async checkoutRunBranch(tag: string): Promise<void> {
    const branch = runBranch(tag);
    if ((await this.currentBranch()) === branch) return;
    if (!(await this.branchExists(branch))) throw new GitError(`The run's branch ${branch} no longer exists; start a new run.`);
    await this.git.raw(['checkout', '-q', branch]);
  }

  /** Checks out a branch or commit (the ablation goes back to where it started between runs). */
  async checkoutRef(ref: string): Promise<void> {
    await this.quiet(['checkout', '-q', ref]);
  }

  private async assertOnRunBranch(tag: string): Promise<void> {
    const current = await this.currentBranch();
    if (current !== runBranch(tag)) {
      throw new GitError(`Refusing to move ${current ?? 'a detached HEAD'}: the run only ever rewrites ${runBranch(tag)}.`);
    }
  }

  /** Stages exactly these paths (in `checkout`, default the main one) and returns their tree, without committing. */
  async stageTree(paths: string[], checkout = this.dir): Promise<string> {
    if (paths.length) await this.quiet(['-C', checkout, 'add', '--', ...paths]);
    return (await this.quiet(['-C', checkout, 'write-tree'])).trim();
  }

  /**
   * A detached worktree at `commit`, for a worker that trains beside the main checkout (parallel
   * runs never share a working copy). Reused and reset when it already exists.
   */
  async prepareWorktree(path: string, commit: string): Promise<void> {
    if (existsSync(join(path, '.git'))) {
      await this.quiet(['-C', path, 'checkout', '-q', '--detach', '-f', commit]);
      return;
    }
    mkdirSync(dirname(path), { recursive: true });
    await this.quiet(['worktree', 'add', '-q', '--detach', '-f', path, commit]);
  }

  async removeWorktree(path: string): Promise<void> {
    if (existsSync(path)) await this.quiet(['worktree', 'remove', '--force', path]);
  }

  /** Commits what is staged in a worktree on its detached HEAD; the run branch moves only on keep. */
  async commitDetached(checkout: string, message: string): Promise<string> {
    const identity = await this.commitIdentity();
    await this.quiet([...identity, '-C', checkout, 'commit', '-q', '--no-verify', '-m', message]);
    return (await this.quiet(['-C', checkout, 'rev-parse', 'HEAD'])).trim();
  }

  async commitStaged(tag: string, message: string): Promise<string> {
    await this.assertOnRunBranch(tag);
    const identity = await this.commitIdentity();
    await this.quiet([...identity, 'commit', '-q', '--no-verify', '-m', message]);
    return this.head();
  }

  /** Moves the run branch (and working tree) back to `commit`. */
  async resetTo(tag: string, commit: string): Promise<void> {
    await this.assertOnRunBranch(tag);
    await this.quiet(['reset', '-q', '--hard', commit]);
  }

  async recordTried(tag: string, n: number, commit: string): Promise<void> {
    await this.quiet(['update-ref', triedRef(tag, n), commit]);
  }

  /**
   * A commit of `files` (path → content) on top of `base`, built with a private index: neither the
   * working tree, the index nor any branch is touched. Mechanism modules are committed this way.
   */
  async commitFilesOnto(base: string, files: Record<string, string>, message: string): Promise<string> {
    const index = join(tmpdir(), `bilevel-index-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`);
    const env = { ...process.env, GIT_INDEX_FILE: index };
    try {
      await execFileAsync('git', ['read-tree', base], { cwd: this.dir, env });
      for (const [path, content] of Object.entries(files)) {
        const blob = (await this.gitWithInput(['hash-object', '-w', '--stdin'], content)).trim();
        await execFileAsync('git', ['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], { cwd: this.dir, env });
      }
      const tree = (await execFileAsync('git', ['write-tree'], { cwd: this.dir, env })).stdout.trim();
      const identity = await this.commitIdentity();
      return (await execFileAsync('git', [...identity, 'commit-tree', tree, '-p', base, '-m', message], { cwd: this.dir, env })).stdout.trim();
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new GitError(`committing ${Object.keys(files).join(', ')} onto ${base.slice(0, 7)} failed: ${(err.stderr || err.message).trim()}`);
    } finally {
      rmSync(index, { force: true });
    }
  }

  /** Creates or moves a branch other than the one checked out (mechanism branches). */
  async setBranch(branch: string, commit: string): Promise<void> {
    if ((await this.currentBranch()) === branch) throw new GitError(`Refusing to move ${branch}: it is checked out.`);
    await this.quiet(['update-ref', `refs/heads/${branch}`, commit]);
  }

  /** A file's content at a commit, or null when it is not there. */
  async readFileAt(commit: string, path: string): Promise<string | null> {
    try {
      return (await execFileAsync('git', ['show', `${commit}:${path}`], { cwd: this.dir, maxBuffer: 16 << 20 })).stdout;
    } catch {
      return null;
    }
  }

  /** The tree of an experiment without the loop's own files (.autoresearch/): what the cache compares. */
  async experimentTree(tree: string): Promise<string> {
    const all = (await this.quiet(['ls-tree', tree])).split('\n').filter(Boolean);
    const entries = all.filter((l) => !l.endsWith('\t.autoresearch'));
    if (entries.length === all.length) return tree;
    return (await this.gitWithInput(['mktree'], entries.join('\n') + '\n')).trim();
  }

  private gitWithInput(args: string[], input: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile('git', args, { cwd: this.dir, maxBuffer: 16 << 20 }, (err, stdout, stderr) => (err ? reject(new GitError(`git ${args[0]} failed: ${stderr || err.message}`)) : resolve(stdout)));
      child.stdin!.end(input);
    });
  }

  /** Unified diff of a commit against its parent, for review. */
  async showCommit(commit: string): Promise<string> {
    return this.git.raw(['show', '--format=%H%n%s%n', commit]);
  }

  /**
   * Runs a git command that prints nothing. simple-git waits a fixed 50 ms after any command with
   * no output (its completion plugin), which was most of the loop's overhead: these four calls per
   * iteration go straight to git instead.
   */
  private async quiet(args: string[]): Promise<string> {
    try {
      return (await execFileAsync('git', args, { cwd: this.dir })).stdout;
    } catch (e) {
      const err = e as { stderr?: string; message: string };
      throw new GitError(`git ${args.filter((a) => !a.startsWith('user.')).join(' ')} failed: ${(err.stderr || err.message).trim()}`);
    }
  }

  private async commitIdentity(): Promise<string[]> {
    if (this.identity) return this.identity;
    const email = (await this.git.raw(['config', 'user.email']).catch(() => '')).trim();
    this.identity = email ? [] : FALLBACK_IDENTITY;
    return this.identity;
  }
}
