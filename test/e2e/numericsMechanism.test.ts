import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunEvent } from '../../src/shared/trace/events';
import { ResearchRun } from '../../src/core/run/researchRun';
import { ResearchFailed, type MechanismResearcher } from '../../src/core/mechanismResearch/mechanismResearch';
import { HeuristicProposer } from '../../src/core/proposers/heuristicProposer';
import { libraryMechanism } from '../../src/core/mechanisms/library';
import { scriptRepo } from '../support/scriptRepo';

/**
 * A run whose mechanism does model-based search with the sandbox's numerical library (numerics.tpe,
 * no imports): real Python training processes, real git, the real sandbox process.
 */
const TRAIN = `A = 8            # best at 2
B = 1.0          # best at 0.25
C = 3            # best at 3
TIME_BUDGET = 1
import math
print("---")
print(f"val_bpb:          {1.0 + abs(math.log2(A / 2)) / 10 + abs(math.log2(B / 0.25)) / 8 + abs(C - 3) / 5:.6f}")
`;

/** Hands over parzen-search at the first research session, then has nothing more. */
class ParzenResearcher implements MechanismResearcher {
  readonly name = 'scripted';
  private given = false;
  async research(_input: unknown, onStep: (s: { step: 'generate'; prompt: string; response: string; ok: boolean }) => void) {
    if (this.given) throw new ResearchFailed('nothing more to offer');
    this.given = true;
    const m = libraryMechanism('parzen-search');
    onStep({ step: 'generate', prompt: 'scripted', response: m.source, ok: true });
    return { name: m.name, source: m.source, description: m.description };
  }
}

test('a mechanism built on the sandbox numerics library proposes in a real run, sharing proposing with the proposer', { timeout: 240_000 }, async () => {
  const { dir, config } = scriptRepo(TRAIN, { levels: { strategy: { enabled: false }, mechanisms: { every: 1 } } }, 'numerics-');
  const events: RunEvent[] = [];
  const summary = await new ResearchRun({ repoDir: dir, config, proposer: new HeuristicProposer(3), iterations: 16, tag: 't', overlap: false, mechanismResearcher: new ParzenResearcher(), onEvent: (e) => events.push(e) }).run();
  assert.equal(summary.state.stopped, 'completed');
  const activated = events.find((e): e is Extract<RunEvent, { type: 'mechanism.activated' }> => e.type === 'mechanism.activated' && e.name === 'parzen-search');
  assert.ok(activated, 'parzen-search passed validation (its replay calls numerics too) and was activated');
  const proposals = events.filter((e): e is Extract<RunEvent, { type: 'candidate.proposed' }> => e.type === 'candidate.proposed' && e.n > activated.n);
  const byModel = proposals.filter((p) => p.proposer === 'mechanism:parzen-search');
  assert.ok(byModel.length >= 1, `the model proposed: ${proposals.map((p) => p.proposer).join(', ')}`);
  assert.match(byModel[0].candidate.hypothesis, /Parzen model of \d+ experiments/);
  assert.ok(proposals.some((p) => p.proposer === 'heuristic'), 'the proposer proposes when the mechanism passes (before it has five observations)');
  const failed = events.filter((e) => e.type === 'mechanism.deactivated');
  assert.deepEqual(failed, [], 'no hook failed');
});
