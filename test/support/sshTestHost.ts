import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { shellQuote } from '../../src/core/executors/shell';

/**
 * The "remote" training host of the ssh tests: a real sshd on loopback (scripts/test-hosts/sshd.sh),
 * logged into as the user arssh through the Host alias below, so a test can also look at the remote
 * processes directly. Needs root (the script installs openssh-server and creates the user).
 */

export const SSH_HOST = 'bilevel-test';
/** The remote user: its processes are the remote run's. */
export const SSH_USER = 'arssh';
const SSHD_SCRIPT = resolve(__dirname, '../../scripts/test-hosts/sshd.sh');

/** Starts (or finds) the test sshd; returns the ssh client config that names SSH_HOST. */
export function startSshTestHost(): string {
  if (process.getuid?.() !== 0) {
    throw new Error('the ssh tests must run as root: scripts/test-hosts/sshd.sh installs openssh-server, creates the user arssh and runs sshd');
  }
  const out = execFileSync('bash', [SSHD_SCRIPT, 'start'], { encoding: 'utf8', timeout: 600_000, stdio: ['ignore', 'pipe', 'inherit'] });
  const config = out.trim().split('\n').pop()!;
  if (!existsSync(config)) throw new Error(`sshd.sh printed ${JSON.stringify(out)}, not a config file`);
  return config;
}

/** Runs a shell command on the test host as arssh; its stdout, trimmed. */
export function onHost(sshConfig: string, command: string): string {
  return execFileSync('ssh', ['-F', sshConfig, '-o', 'BatchMode=yes', SSH_HOST, command], { encoding: 'utf8', timeout: 60_000 }).trim();
}

/** A fresh empty directory under arssh's home. */
export function hostTempDir(sshConfig: string): string {
  return onHost(sshConfig, 'mktemp -d "$HOME/bilevel-e2e-XXXXXX"');
}

/** Clones a local repo (root's) into `remoteDir` on the host, as a user would set up the remote copy. */
export function cloneOnHost(sshConfig: string, localRepo: string, remoteDir: string): void {
  chmodSync(localRepo, 0o755);
  // git refuses to read another user's repository unless told it is safe, and a plain-path clone reads
  // it in-process, where only the -u upload-pack of a file:// URL takes that setting.
  onHost(sshConfig, `git -c safe.directory='*' clone -q -u 'git -c safe.directory=* upload-pack' ${shellQuote(`file://${localRepo}`)} ${shellQuote(remoteDir)}`);
}

/** Pids of arssh's live processes whose command line contains `pattern` (read from /proc: no procps needed). */
export function hostProcesses(pattern: string): number[] {
  const uid = Number(execFileSync('id', ['-u', SSH_USER], { encoding: 'utf8' }).trim());
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, 'utf8');
      if (Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]) !== uid || /^State:\s+Z/m.test(status)) continue;
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(pattern)) pids.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}
