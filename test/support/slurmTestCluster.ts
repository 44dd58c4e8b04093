import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * The one-node Slurm cluster of the slurm tests (scripts/test-hosts/slurm.sh: Debian's slurm-wlm and
 * munge, slurmctld and slurmd on this machine, no slurmdbd, so final states come from scontrol).
 * Needs root.
 */

const SETUP = resolve(__dirname, '../../scripts/test-hosts/slurm.sh');

/** Starts (or finds) the cluster; returns the environment Slurm's client commands need (SLURM_CONF). */
export function startSlurmTestCluster(): Record<string, string> {
  if (process.getuid?.() !== 0) {
    throw new Error('the Slurm tests need root: scripts/test-hosts/slurm.sh installs slurm-wlm and munge and runs slurmctld and slurmd as root');
  }
  const out = execFileSync('bash', [SETUP, 'start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 });
  const conf = /^SLURM_CONF=(.+)$/m.exec(out)?.[1];
  if (!conf) throw new Error(`slurm.sh start printed no SLURM_CONF: ${out}`);
  return { SLURM_CONF: conf };
}

/** `scontrol show job` as a record of its fields (JobState, JobName, TimeLimit, ...). */
export function slurmJob(env: Record<string, string>, id: number): Record<string, string> {
  const text = execFileSync('scontrol', ['show', 'job', '-o', String(id)], { encoding: 'utf8', env: { ...process.env, ...env } });
  return Object.fromEntries(text.trim().split(/\s+/).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

/** True while squeue lists the job (pending, running or completing). */
export function inSlurmQueue(env: Record<string, string>, id: number): boolean {
  const out = execFileSync('squeue', ['-h', '-o', '%i', '-j', String(id)], { encoding: 'utf8', env: { ...process.env, ...env } });
  return out.split('\n').some((l) => l.trim() === String(id));
}
