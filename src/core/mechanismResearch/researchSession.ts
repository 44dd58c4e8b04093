import { mechanismBranch } from '../git/runRepo';
import { Interrupted } from '../innerLoop/interrupted';
import { isHookName, MECHANISM_INTERFACE_TEXT } from '../mechanisms/mechanism';
import { parseMechanismModule } from '../mechanisms/mechanismModule';
import { notWorse, validateMechanism } from '../mechanisms/validateMechanism';
import type { RunSession } from '../session/runSession';
import { activeMechanisms } from '../../shared/trace/runState';
import { summarizeTrace } from '../strategyReview/strategyReview';
import { mechanismName, ResearchFailed, type MechanismResearcher } from './mechanismResearch';
import { manifest, MECHANISMS_DIR, MECHANISMS_MANIFEST } from './mechanismManifest';

/**
 * One Level 2 session: the researcher proposes a mechanism, it is committed on its own branch,
 * validated by replaying the trace, then reverted, left awaiting review, or handed back to be
 * activated (policy auto). Returns the name to activate, if any: activation moves the run branch and
 * the working tree, so the caller does it at a boundary.
 */
export async function researchMechanism(session: RunSession, researcher: MechanismResearcher): Promise<string | null> {
  const { state, repo, config, signal } = session;
  const sessionNo = state.mechanismSessions + 1;
  const n = state.iterationsDone;
  const params = await session.paramsAtBest();
  const active = await Promise.all(activeMechanisms(state).map(async (m) => ({ name: m.name, description: m.description, source: await repo.requireFileAt(m.commit, m.file) })));
  const earlier = [...state.mechanisms.values()].filter((m) => m.status !== 'active').map((m) => ({ name: m.name, status: m.status, reason: m.reason }));
  let researched;
  try {
    researched = await researcher.research(
      { summary: summarizeTrace(state, params), active, earlier, interfaceText: MECHANISM_INTERFACE_TEXT },
      (s) => session.emit({ type: 'mechanism.research.step', n, session: sessionNo, ...s }),
      signal,
    );
  } catch (e) {
    if (signal?.aborted) throw new Interrupted();
    if (!(e instanceof ResearchFailed)) throw e;
    session.emit({ type: 'mechanism.research.failed', n, session: sessionNo, reason: e.message });
    return null;
  }
  const name = mechanismName(researched.name, new Set(state.mechanisms.keys()));
  const file = `${MECHANISMS_DIR}/${name}.mjs`;
  const branch = mechanismBranch(session.tag, sessionNo, name);
  const commit = await session.exclusive(async () => {
    const c = await repo.commitFilesOnto(
      session.bestCommit(),
      { [file]: researched.source, [MECHANISMS_MANIFEST]: manifest(state, name, researched.description, 'proposed') },
      `mechanism: ${name}\n\n${researched.description}`,
    );
    await repo.setBranch(branch, c);
    return c;
  });
  session.emit({ type: 'mechanism.proposed', n, session: sessionNo, name, description: researched.description, file, branch, commit, hooks: exportedHooks(researched.source) });
  const { callTimeoutMs, memoryMb, policy } = config.levels.mechanisms;
  const validation = await validateMechanism(researched.source, {
    trace: session.events(),
    space: params.map((p) => ({ name: p.name, kind: p.kind, choices: p.choices })),
    configFrozen: config.parameters.frozen,
    limits: { callMs: callTimeoutMs, memoryMb },
  });
  session.emit({ type: 'mechanism.validated', n, name, ok: validation.ok, checks: validation.checks });
  if (!validation.ok) {
    const failed = validation.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
    session.emit({ type: 'mechanism.reverted', n, name, by: 'validation', reason: failed.join('; ') });
    return null;
  }
  if (policy === 'auto' && !notWorse(validation.merit)) {
    const merit = validation.checks.find((c) => c.name === 'replay-merit')!;
    session.emit({ type: 'mechanism.reverted', n, name, by: 'validation', reason: `replay-merit: not activated, worse than the current proposer on the trace so far (${merit.detail})` });
    return null;
  }
  return policy === 'auto' ? name : null;
}

/**
 * On resume: the research session a kill cut short. A mechanism proposed but never validated (or
 * failed without its revert recorded) is reverted, its branch kept for the record; one validated
 * under policy auto but never activated is returned, to be activated at the first boundary as the
 * session would have done.
 */
export function finishInterruptedResearch(session: RunSession): string[] {
  const { state, config } = session;
  const { enabled, policy } = config.levels.mechanisms;
  const toActivate: string[] = [];
  for (const m of [...state.mechanisms.values()]) {
    if (m.status === 'proposed') {
      const failed = m.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
      const reason = m.validated === false ? failed.join('; ') : 'the run stopped before its validation finished';
      session.emit({ type: 'mechanism.reverted', n: session.state.iterationsDone, name: m.name, by: 'validation', reason });
    } else if (m.status === 'awaiting-review' && enabled && policy === 'auto') {
      toActivate.push(m.name);
    }
  }
  return toActivate;
}

/** The hooks a module exports by name (before validation says whether they work). */
function exportedHooks(source: string): string[] {
  const parsed = parseMechanismModule(source);
  return parsed.ok ? parsed.exports.filter(isHookName) : [];
}
