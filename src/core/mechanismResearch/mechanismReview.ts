import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RunRepo } from '../git/runRepo';
import type { MechanismRecord, MechanismStatus } from '../../shared/trace/runState';
import { TraceStore } from '../store/traceStore';
import { RepoLock } from '../session/repoLock';
import type { TargetConfig } from '../target/targetConfig';
import { liveRunPid, runsDir } from '../session/runDirectory';
import { RunSession } from '../session/runSession';
import { manifest, MECHANISMS_MANIFEST } from './mechanismManifest';

/**
 * A person's verdict on a mechanism while no run is going (`bilevel mechanisms accept|reject`).
 * During a run the verdict goes through ResearchRun.reviewMechanism instead, so that one process
 * writes the trace.
 */
export async function reviewMechanism(repoDir: string, config: TargetConfig, tag: string, name: string, verdict: 'accept' | 'reject', reason = ''): Promise<MechanismRecord> {
  const runDir = join(runsDir(repoDir), tag);
  const tracePath = join(runDir, 'trace.jsonl');
  if (!existsSync(tracePath)) throw new Error(`no run ${tag} in ${repoDir}`);
  const pid = liveRunPid(runDir);
  if (pid) throw new Error(`run ${tag} is going (pid ${pid}); accept or reject from the process that runs it (the editor's Mechanisms view), or stop it first`);
  const repo = await RunRepo.open(repoDir);
  // One writer per repository: refused while any run (of any tag) writes here.
  const writer = await RepoLock.take(repo.dir, { tag });
  let session: RunSession;
  try {
    const { store } = TraceStore.open(tracePath);
    session = new RunSession({ tag, runDir, repo, config, store, offline: true });
  } catch (e) {
    writer.release();
    throw e;
  }
  try {
    // No sandbox here: the mechanism starts with the next `bilevel run`.
    if (verdict === 'accept') await activateMechanism(session, name, 'user');
    else rejectMechanism(session, name, reason);
    return session.state.mechanisms.get(name)!;
  } finally {
    session.close();
    writer.release();
  }
}

/**
 * Brings a validated mechanism onto the run branch: a commit on the best that adds its module and the
 * manifest. The best result stays; its commit moves to this one. Returns the module's source.
 */
export async function activateMechanism(session: RunSession, name: string, by: 'policy' | 'user'): Promise<string> {
  const m = session.state.mechanisms.get(name);
  if (!m) throw new Error(`no mechanism named ${name} in run ${session.tag}`);
  if (m.status !== 'awaiting-review') throw new Error(`mechanism ${name} is ${m.status}, not awaiting review`);
  const source = await session.repo.readFileAt(m.commit, m.file);
  if (source === null) throw new Error(`mechanism ${name}: ${m.file} is missing from ${m.commit.slice(0, 7)}`);
  const commit = await session.exclusive(async () => {
    const c = await session.repo.commitFilesOnto(session.bestCommit(), { [m.file]: source, [MECHANISMS_MANIFEST]: manifest(session.state, name, m.description, 'active') }, `mechanism: activate ${name}`);
    await session.moveRunBranch(c);
    return c;
  });
  session.emit({ type: 'mechanism.activated', n: session.state.iterationsDone, name, by, commit });
  return source;
}

/** A person's rejection of a mechanism awaiting review or active; returns the status it had. */
export function rejectMechanism(session: RunSession, name: string, reason: string): MechanismStatus {
  const m = session.state.mechanisms.get(name);
  if (!m) throw new Error(`no mechanism named ${name} in run ${session.tag}`);
  if (m.status !== 'awaiting-review' && m.status !== 'active') throw new Error(`mechanism ${name} is ${m.status}: nothing to reject`);
  const was = m.status;
  session.emit({ type: 'mechanism.reverted', n: session.state.iterationsDone, name, by: 'user', reason: reason || 'rejected in review' });
  return was;
}
