import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { RunEvent } from '../../src/shared/trace/events';
import { deriveRunState, usesBudget } from '../../src/shared/trace/runState';
import { renderResultsTable } from '../../src/core/store/resultsTable';
import { cliScriptRepo } from '../support/scriptRepo';
import { seededRandom } from '../support/seededRandom';
import { CLI, git } from '../support/tinyGptRepo';
import { TraceTail } from '../support/traceTail';

/**
 * The chaos test (issue 13): a CLI run of 40 instant iterations, with strategy review and mechanism
 * research (policy auto, the offline library), killed with SIGKILL (mostly its whole process group,
 * sometimes the CLI alone) at 20 random moments and resumed each time until the 40 are done. Each
 * fix it led to has its own test, replaying the moment exactly. The moments come from a seeded RNG
 * (CHAOS_SEED replays the draws; the timing is the machine's): some right after training.started,
 * some right after mechanism.proposed or mechanism.validated (an activation under way), some inside
 * the git commit after candidate.applied or the reset after experiment.decided, some at any time.
 * Then the invariants.
 */
const TRAIN = `A = 1            # better the larger
B = 1.0          # best at 0.25
C = 3            # best at 3
D = 16           # better the larger
TIME_BUDGET = 1
print("---")
print(f"val_bpb:          {1.0 + 10 / (1 + A) + 10 / (1 + D) + abs(B - 0.25) + abs(C - 3) / 5:.6f}")
`;

const ITERATIONS = 40;
const KILLS = 20;
const MIN_TRAINING_KILLS = 3;
const TAG = 'chaos';

type Moment = 'training' | 'mechanism' | 'git' | 'anytime';

function env(): NodeJS.ProcessEnv {
  const e = { ...process.env };
  delete e.OPENAI_API_KEY;
  delete e.OPENAI_BASE_URL;
  return e;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const eventType = (line: string) => /"type":"([a-z.]+)"/.exec(line)?.[1];

function alive(id: number): boolean {
  try {
    process.kill(id, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Processes (not zombies) whose working directory is inside `dir`: training runs, sandboxes, a CLI. */
function processesIn(dir: string): string[] {
  if (!existsSync('/proc')) return [];
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (/\) Z /.test(stat)) continue;
      if (cwd === dir || cwd.startsWith(`${dir}/`)) found.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')}`);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

class Cli {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  done = false;

  constructor(dir: string) {
    // Its own process group, so that one SIGKILL takes the CLI and everything in its group at once.
    this.child = spawn(process.execPath, [CLI, 'run', '--tag', TAG, '--iterations', String(ITERATIONS)], { cwd: dir, env: env(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d) => (this.output += d));
    this.child.stderr!.on('data', (d) => (this.output += d));
    this.exited = new Promise((resolve) =>
      this.child.once('close', (code, signal) => {
        this.done = true;
        resolve({ code, signal });
      }),
    );
  }

  /** SIGKILL to the CLI's process group (everything it started there dies with it), or to the CLI alone. */
  kill(group: boolean): void {
    try {
      process.kill(group ? -this.child.pid! : this.child.pid!, 'SIGKILL');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }
}

/**
 * Waits for the moment to kill: a line of one of `types` appended to the trace (then a random few
 * milliseconds more), or a random delay for 'anytime'. Resolves with what was hit, or null when the
 * CLI ended first.
 */
async function waitForMoment(cli: Cli, tail: TraceTail, moment: Moment, random: () => number): Promise<string | null> {
  if (moment === 'anytime') {
    const until = Date.now() + 200 + random() * 1000;
    while (Date.now() < until && !cli.done) await sleep(5);
    return cli.done ? null : 'anytime';
  }
  const types =
    moment === 'training' ? ['training.started']
    : moment === 'git' ? [random() < 0.5 ? 'candidate.applied' : 'experiment.decided']
    : [random() < 0.5 ? 'mechanism.proposed' : 'mechanism.validated'];
  // A training kill lands on the first or the second training of this process.
  let skip = moment === 'training' && random() < 0.3 ? 1 : 0;
  const giveUp = Date.now() + 5000;
  let finished = 0;
  for (;;) {
    const seen = tail.newLines().map(eventType);
    finished += seen.filter((t) => t === 'iteration.finished').length;
    let hit = seen.find((t) => t && types.includes(t));
    if (hit && skip-- > 0) hit = undefined;
    if (hit) {
      // Training lasts ~50 ms, a git commit or reset some tens: the kill lands inside it or just after.
      const extra = random() * (moment === 'mechanism' ? 30 : 60);
      if (extra > 1) await sleep(extra);
      return cli.done ? null : hit;
    }
    if (cli.done) return null;
    // Not there within four iterations or in time (the library spent, a slow machine): kill anyway, so
    // that the 40 iterations are not spent before the 20 kills.
    if (finished >= 4 || Date.now() > giveUp) return 'late';
    await sleep(3);
  }
}

test('chaos: kill -9 at 20 random moments, resumed each time; the trace, results.tsv, git and processes stay consistent', { timeout: 300_000 }, async (t) => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  const seed = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : Math.floor(Math.random() * 2 ** 31);
  console.log(`chaos seed ${seed} (replay: CHAOS_SEED=${seed})`);
  t.diagnostic(`chaos seed ${seed}`);
  const random = seededRandom(seed);

  const dir = cliScriptRepo(
    TRAIN,
    {
      run: { command: 'python3 train.py', timeBudgetSeconds: 1, hardTimeoutSeconds: 20 },
      proposer: { kind: 'heuristic' },
      levels: { strategy: { every: 2, reviewer: 'rules' }, mechanisms: { every: 1, research: 'offline', policy: 'auto' } },
    },
    'chaos-',
  );
  const userBranch = git(dir, 'rev-parse', 'main');
  const tracePath = join(dir, '.autoresearch/runs', TAG, 'trace.jsonl');
  const cliPids: number[] = [];
  const hits: string[] = [];

  let last: Cli | null = null;
  // Mechanism moments until two in a row found none (the offline library is spent).
  let mechanismMisses = 0;
  for (let kill = 0; kill < KILLS; kill++) {
    const tail = new TraceTail(tracePath);
    const cli = new Cli(dir);
    cliPids.push(cli.child.pid!);
    const draw = random();
    // The library holds a handful of mechanisms, researched every second iteration: the first kills go
    // there. The last ones go to training if too few landed there.
    const libraryLeft = mechanismMisses < 2;
    const early = libraryLeft && hits.filter((h) => h.startsWith('mechanism.')).length < 2;
    const lastChance = KILLS - kill <= MIN_TRAINING_KILLS - hits.filter((h) => h.startsWith('training.started')).length;
    const moment: Moment = lastChance ? 'training' : early || (draw < 0.35 && libraryLeft) ? 'mechanism' : draw < 0.6 ? 'training' : draw < 0.85 ? 'git' : 'anytime';
    const hit = await waitForMoment(cli, tail, moment, random);
    if (hit === null) {
      last = cli;
      break;
    }
    // Mostly the process group; sometimes the CLI alone, whose orphans (a git command, a sandbox
    // child, the training) must end or be ended by the resumed run.
    const group = random() < 0.75;
    cli.kill(group);
    const exit = await cli.exited;
    assert.equal(exit.signal, 'SIGKILL', `kill ${kill} (${hit}): the CLI ended on its own first:\n${cli.output}`);
    if (moment === 'mechanism') mechanismMisses = hit === 'late' ? mechanismMisses + 1 : 0;
    hits.push(group ? hit : `${hit} (pid)`);
  }
  // The run after the last kill finishes the 40 (or the one that ended by itself before a kill).
  const final = last ?? new Cli(dir);
  if (!last) cliPids.push(final.child.pid!);
  const end = await final.exited;
  t.diagnostic(`kills: ${hits.join(', ')}`);
  console.log(`kills (${hits.length}): ${hits.join(', ')}`);
  assert.equal(end.code, 0, `the final run failed (seed ${seed}):\n${final.output}`);
  assert.equal(hits.length, KILLS, `the run ended before the ${KILLS} kills: ${hits.join(', ')}`);
  assert.ok(hits.filter((h) => h.startsWith('training.started')).length >= MIN_TRAINING_KILLS, `kills during training: ${hits.join(', ')}`);
  assert.ok(hits.filter((h) => h.startsWith('mechanism.')).length >= 2, `kills during a mechanism activation: ${hits.join(', ')}`);

  // The trace parses line by line, with contiguous seq numbers.
  const lines = readFileSync(tracePath, 'utf8').split('\n');
  assert.equal(lines.pop(), '', 'the trace ends with a newline');
  const events = lines.map((l, i) => {
    try {
      return JSON.parse(l) as RunEvent;
    } catch (e) {
      throw new Error(`trace line ${i + 1} does not parse (seed ${seed}): ${(e as Error).message}: ${l.slice(0, 200)}`);
    }
  });
  events.forEach((e, i) => assert.equal(e.seq, i + 1, `seq at line ${i + 1} (seed ${seed})`));
  const state = deriveRunState(events);
  assert.equal(state.stopped, 'completed');
  assert.equal(state.iterationsDone, ITERATIONS);

  // Every experiment counted once: started once, finished once, decided or interrupted once if it trained.
  const count = (type: RunEvent['type'], n: number) => events.filter((e) => e.type === type && 'n' in e && e.n === n).length;
  const started = events.filter((e): e is Extract<RunEvent, { type: 'iteration.started' }> => e.type === 'iteration.started').map((e) => e.n);
  assert.deepEqual(started, [...started.keys()], `iterations started once each, in order (seed ${seed})`);
  for (const n of started) {
    const where = `#${n} (seed ${seed})`;
    assert.equal(count('iteration.finished', n), 1, `${where} finished once`);
    assert.ok(count('experiment.decided', n) <= 1, `${where} decided at most once`);
    assert.ok(count('experiment.decided', n) + count('experiment.interrupted', n) <= 1, `${where} not both decided and interrupted`);
    if (count('training.started', n) > 0) assert.equal(count('experiment.decided', n) + count('experiment.interrupted', n), 1, `${where} trained: decided or interrupted`);
  }
  const isBaseline = (n: number) => state.experiments.find((x) => x.n === n)?.baseline === true;
  // The budget counts trainings (usesBudget): rejections by the gates and cache hits are recorded, not counted.
  const spent = events.filter((e): e is Extract<RunEvent, { type: 'iteration.finished' }> => e.type === 'iteration.finished' && !isBaseline(e.n)).filter((e) => usesBudget(state.experiments.find((x) => x.n === e.n)!, e.result));
  assert.equal(spent.length, ITERATIONS, 'the 40 trainings the budget asked for');

  // results.tsv is the trace's decisions, row for row.
  assert.equal(readFileSync(join(dir, '.autoresearch/runs', TAG, 'results.tsv'), 'utf8'), renderResultsTable(events, 'val_bpb'));

  // Git: the run branch at what the search continues from, every tried commit kept by a ref, the tree clean, main untouched.
  const best = state.incumbent?.commit ?? state.startCommit;
  assert.equal(git(dir, 'rev-parse', `autoresearch/${TAG}`), best, `the run branch is at the incumbent (seed ${seed})`);
  const kept = events.filter((e) => e.type === 'experiment.decided' && e.status === 'keep').map((e) => (e as Extract<RunEvent, { type: 'experiment.decided' }>).commit);
  const activations = events.filter((e): e is Extract<RunEvent, { type: 'mechanism.activated' }> => e.type === 'mechanism.activated').map((e) => e.commit);
  assert.ok(kept.includes(best) || activations.includes(best), 'the branch is at a kept commit or a mechanism activation on one');
  for (const e of events) {
    if ((e.type === 'experiment.decided' || e.type === 'experiment.interrupted') && e.commit && !isBaseline(e.n)) {
      assert.equal(git(dir, 'rev-parse', `refs/autoresearch/${TAG}/tried/${e.n}`), e.commit, `tried ref of #${e.n} (seed ${seed})`);
    }
  }
  assert.equal(git(dir, 'status', '--porcelain'), '', 'the working tree is clean');
  assert.equal(git(dir, 'rev-parse', 'main'), userBranch, "the user's branch is untouched");

  // No process of the run is left: no CLI group, no training (by pid and group from the trace), nothing working in the repo.
  await sleep(200);
  for (const pid of cliPids) assert.ok(!alive(-pid), `the process group of CLI ${pid} is gone (seed ${seed})`);
  const left = new Set(processesIn(dir).map((p) => Number(p.split(' ')[0])));
  for (const e of events) if (e.type === 'training.started' && e.pid) assert.ok(!alive(-e.pid) && !left.has(e.pid), `training #${e.n} (pid ${e.pid}) is gone (seed ${seed})`);
  assert.deepEqual(processesIn(dir), [], `no process left in the repo (seed ${seed})`);
});
