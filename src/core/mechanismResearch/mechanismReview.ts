import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RunRepo, runBranch } from '../git/runRepo';
import { applyEvent, deriveRunState, type MechanismRecord, type RunState } from '../../shared/trace/runState';
import { TraceStore } from '../store/traceStore';
import type { TargetConfig } from '../target/targetConfig';
import { activateMechanism, rejectMechanism, type LevelsHost } from '../run/outerLevels';
import { liveRunPid, runsDir } from '../run/researchRun';

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
  const { store } = TraceStore.open(tracePath);
  let state: RunState = deriveRunState(store.events());
  try {
    const host: LevelsHost = {
      tag,
      repo,
      config,
      state: () => state,
      events: () => store.events(),
      emit: (body) => {
        state = applyEvent(state, store.append(body));
      },
      bestCommit: () => state.incumbent?.commit ?? state.startCommit,
      moveRunBranch: async (commit) => {
        if ((await repo.currentBranch()) === runBranch(tag)) {
          await repo.assertClean();
          await repo.resetTo(tag, commit);
        } else {
          await repo.setBranch(runBranch(tag), commit);
        }
      },
      exclusive: (f) => f(),
    };
    // No sandbox here: the mechanism starts with the next `bilevel run`.
    if (verdict === 'accept') await activateMechanism(host, name, 'user');
    else rejectMechanism(host, name, reason);
    return state.mechanisms.get(name)!;
  } finally {
    store.close();
  }
}
