/**
 * What training somewhere else costs per experiment, beyond the training itself: the same fast,
 * torch-free command (test/fixtures/scripts/emit.js printing a metric) run through the local, ssh
 * and slurm executors, a new commit each time as in the loop. ssh: push the commit, check it out,
 * start and stream over a fresh connection (the test sshd on loopback, so no network latency is in
 * it). slurm: sbatch, scheduling, the job's start on the node, following its output file, reading
 * the final state (the one-node test cluster, default poll settings). Needs root (the test hosts).
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Executor, TrainingRequest } from '../src/core/executors/executor';
import { LocalExecutor } from '../src/core/executors/localExecutor';
import { SlurmExecutor } from '../src/core/executors/slurmExecutor';
import { shellQuote } from '../src/core/executors/shell';
import { SshExecutor } from '../src/core/executors/sshExecutor';
import { startSlurmTestCluster } from '../test/support/slurmTestCluster';
import { cloneOnHost, hostTempDir, onHost, SSH_HOST, startSshTestHost } from '../test/support/sshTestHost';
import { git } from '../test/support/tinyGptRepo';
import { median, round } from './loopTiming';

const EMIT = join(__dirname, '../test/fixtures/scripts/emit.js');

function scratchRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bench-remote-'));
  mkdirSync(join(dir, 'scripts'));
  copyFileSync(EMIT, join(dir, 'scripts/emit.js'));
  writeFileSync(join(dir, 'train.txt'), 'n = 0\n');
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-q', '-m', 'init');
  return dir;
}

/** Runs `runs` experiments through `executor`, each on a new commit; wall ms of each run() call. */
async function timeRuns(executor: Executor, dir: string, runs: number): Promise<number[]> {
  const logs = mkdtempSync(join(tmpdir(), 'bench-remote-logs-'));
  const times: number[] = [];
  for (let n = 1; n <= runs; n++) {
    writeFileSync(join(dir, 'train.txt'), `n = ${n}\n`);
    git(dir, '-c', 'user.name=b', '-c', 'user.email=b@b', 'commit', '-q', '-am', `experiment ${n}`);
    const req: TrainingRequest = {
      n,
      cwd: dir,
      commit: git(dir, 'rev-parse', 'HEAD'),
      command: 'node scripts/emit.js',
      env: { STEPS: JSON.stringify([['out', 'val_bpb: 0.95\n']]) },
      timeoutSeconds: 120,
      logPath: join(logs, `${n}.log`),
      metric: { name: 'val_bpb', goal: 'minimize' },
    };
    const t0 = performance.now();
    const result = await executor.run(req);
    times.push(performance.now() - t0);
    if (result.outcome !== 'ok') throw new Error(`${executor.kind} run ${n}: ${result.outcome} (${result.reason})`);
  }
  rmSync(logs, { recursive: true, force: true });
  return times;
}

export async function remoteOverheadBench(opts: { runs: number }) {
  const summary = (ms: number[]) => ({ medianMs: round(median(ms)), minMs: round(Math.min(...ms)), maxMs: round(Math.max(...ms)) });

  const localDir = scratchRepo();
  const local = await timeRuns(new LocalExecutor(), localDir, opts.runs);

  const sshConfig = startSshTestHost();
  const sshDir = scratchRepo();
  const root = hostTempDir(sshConfig);
  cloneOnHost(sshConfig, sshDir, `${root}/repo`);
  const ssh = new SshExecutor({ host: SSH_HOST, remoteDir: `${root}/repo`, sshConfigFile: sshConfig });
  await ssh.preflight(); // once per run of the loop, not per experiment
  const sshTimes = await timeRuns(ssh, sshDir, opts.runs);
  onHost(sshConfig, `rm -rf ${shellQuote(root)}`);

  const slurmEnv = startSlurmTestCluster();
  const slurm = new SlurmExecutor({ env: slurmEnv });
  await slurm.preflight();
  const slurmDir = scratchRepo();
  const slurmTimes = await timeRuns(slurm, slurmDir, opts.runs);

  for (const dir of [localDir, sshDir, slurmDir]) rmSync(dir, { recursive: true, force: true });
  const l = median(local);
  return {
    runs: opts.runs,
    command: 'node scripts/emit.js (prints one metric line)',
    local: summary(local),
    ssh: summary(sshTimes),
    slurm: summary(slurmTimes),
    // Per experiment, on top of what the same command costs locally.
    overheadVsLocalMs: { ssh: round(median(sshTimes) - l), slurm: round(median(slurmTimes) - l) },
  };
}
