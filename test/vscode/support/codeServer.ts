import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { signalGroup } from '../../../src/core/process/processGroup';

export const ROOT = resolve(__dirname, '../../..');

/**
 * The code-server launcher: $CODE_SERVER when set, else what scripts/test-hosts/code-server.sh
 * installs (or finds installed) and prints.
 */
export function codeServerBinary(): string {
  if (process.env.CODE_SERVER) return process.env.CODE_SERVER;
  const out = execFileSync('bash', [join(ROOT, 'scripts/test-hosts/code-server.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 1_800_000 });
  const path = out.trim().split('\n').pop();
  if (!path) throw new Error('scripts/test-hosts/code-server.sh printed no path');
  return path;
}

/** User settings for a test profile: no trust prompt, no welcome page, no AI panels, DOM terminal renderer. */
export const TEST_PROFILE_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'security.workspace.trust.startupPrompt': 'never',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.openRepositoryInParentFolders': 'never',
  // The DOM renderer puts the terminal's text in the page, where the test can read it.
  'terminal.integrated.gpuAcceleration': 'off',
  'window.commandCenter': false,
  // A port opened on the machine (another test's sshd) must not pop a notification over the UI.
  'remote.autoForwardPorts': false,
};

export interface CodeServerProfile {
  userDataDir: string;
  extensionsDir: string;
  /** XDG dirs so that code-server writes nothing under ~. */
  env: NodeJS.ProcessEnv;
}

export function createProfile(dir: string, settings: Record<string, unknown>): CodeServerProfile {
  const userDataDir = join(dir, 'user-data');
  const extensionsDir = join(dir, 'extensions');
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  mkdirSync(extensionsDir, { recursive: true });
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...TEST_PROFILE_SETTINGS, ...settings }, null, 2));
  const env = { ...process.env, XDG_CONFIG_HOME: join(dir, 'xdg-config'), XDG_DATA_HOME: join(dir, 'xdg-data'), XDG_CACHE_HOME: join(dir, 'xdg-cache') };
  return { userDataDir, extensionsDir, env };
}

const profileArgs = (p: CodeServerProfile) => ['--user-data-dir', p.userDataDir, '--extensions-dir', p.extensionsDir];

export function installExtension(bin: string, profile: CodeServerProfile, vsix: string): string {
  return execFileSync(bin, [...profileArgs(profile), '--install-extension', vsix, '--force'], { env: profile.env, encoding: 'utf8', timeout: 120_000 });
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

export interface RunningCodeServer {
  url: string;
  process: ChildProcess;
  /** Everything code-server printed so far. */
  output: () => string;
  stop: () => Promise<void>;
}

/** Starts code-server on 127.0.0.1 without auth and resolves once it listens. */
export async function startCodeServer(bin: string, profile: CodeServerProfile): Promise<RunningCodeServer> {
  const port = await freePort();
  const child = spawn(
    bin,
    [
      ...profileArgs(profile),
      '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
    ],
    { env: profile.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 60_000;
  while (!/HTTP server listening/.test(output)) {
    if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode}):\n${output}`);
    if (Date.now() > until) throw new Error(`code-server did not start in 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    signalGroup(child.pid!, 'SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null) {
      signalGroup(child.pid!, 'SIGKILL');
    }
  };
  return { url, process: child, output: () => output, stop };
}
