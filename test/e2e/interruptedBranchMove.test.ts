import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunEvent } from '../../src/shared/trace/events';
import { ResearchRun } from '../../src/core/run/researchRun';
import { ResearchFailed, type MechanismResearcher } from '../../src/core/mechanismResearch/mechanismResearch';
import { HeuristicProposer } from '../../src/core/proposers/heuristicProposer';
import { git } from '../support/tinyGptRepo';
import { scriptRepo } from '../support/scriptRepo';

/**
 * A kill inside the `git reset --hard` that moves the run branch onto a mechanism's activation
 * commit (found by the chaos test, seed 6): the index and the tree already hold the mechanism's
 * files, HEAD has not moved. The files are the loop's: resume drops them and finishes the activation.
 * Real git, real training and sandbox processes; the kill is the trace stopping after
 * mechanism.validated, the half-done reset made by checking the files out of the mechanism's commit.
 */
const TRAIN = `A = 8            # best at 4
TIME_BUDGET = 1
print(f"val_bpb: {1.0 + abs(A - 4) / 10:.6f}")
`;

const COUNTER = 'export function afterResult(ctx, result) { return { state: { seen: ((ctx.state && ctx.state.seen) || 0) + 1 } }; }\n';

class OneModule implements MechanismResearcher {
  readonly name = 'scripted';
  readonly instant = true;
  private given = false;
  async research(_input: unknown, onStep: (s: { step: 'generate'; prompt: string; response: string; ok: boolean }) => void) {
    if (this.given) throw new ResearchFailed('one module only');
    this.given = true;
    onStep({ step: 'generate', prompt: 'scripted', response: COUNTER, ok: true });
    return { name: 'counter', description: 'counts results', source: COUNTER };
  }
}

test('a kill inside the branch move onto a mechanism activation (files staged, HEAD unmoved) is finished on resume', { timeout: 120_000 }, async () => {
  const { dir, config } = scriptRepo(TRAIN, { levels: { strategy: { enabled: false, every: 1 }, mechanisms: { every: 1 } } }, 'branch-move-');
  let proposed: Extract<RunEvent, { type: 'mechanism.proposed' }> | undefined;
  const killed = new ResearchRun({
    repoDir: dir,
    config,
    proposer: new HeuristicProposer(1),
    iterations: 4,
    tag: 't',
    mechanismResearcher: new OneModule(),
    onEvent: (e) => {
      if (e.type === 'mechanism.proposed') proposed = e;
      if (e.type === 'mechanism.validated') throw new Error('killed after mechanism.validated');
    },
  });
  await assert.rejects(killed.run(), /killed after mechanism.validated/);
  const head = git(dir, 'rev-parse', 'HEAD');
  git(dir, 'checkout', proposed!.commit, '--', '.autoresearch/mechanisms.json', proposed!.file);
  assert.notEqual(git(dir, 'status', '--porcelain', '--untracked-files=no'), '', 'the half-done reset: mechanism files staged');

  const events: RunEvent[] = [];
  const { state } = await new ResearchRun({ repoDir: dir, config, proposer: new HeuristicProposer(2), iterations: 4, tag: 't', mechanismResearcher: new OneModule(), onEvent: (e) => events.push(e) }).run();
  assert.equal(state.stopped, 'completed');
  const activated = events.find((e): e is Extract<RunEvent, { type: 'mechanism.activated' }> => e.type === 'mechanism.activated');
  assert.equal(activated?.name, 'counter');
  assert.equal(git(dir, 'rev-parse', `${activated!.commit}^`), head, 'activated on the commit the branch was at');
  assert.equal(state.mechanisms.get('counter')!.status, 'active');
  assert.equal(git(dir, 'status', '--porcelain'), '');
});
