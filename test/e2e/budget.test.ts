import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Candidate } from '../../src/shared/trace/candidate';
import type { RunEvent } from '../../src/shared/trace/events';
import { ResearchRun } from '../../src/core/run/researchRun';
import { ProposalError, type Proposer } from '../../src/core/proposers/proposer';
import { candidate as c, ListProposer } from '../support/listProposer';
import { cliScriptRepo, scriptRepo } from '../support/scriptRepo';
import { cliRun } from '../support/tinyGptRepo';

/**
 * Issue 13.7: the budget is trainings. Failed proposals, cache hits and rejections cost nothing,
 * a bound on iterations in a row that train nothing ends a run that cannot train, and a run that
 * ends without training what it was asked says so and exits non-zero (real git, real training).
 */
const TRAIN = `A = 8            # best at 4
B = 1.0          # best at 0.25
TIME_BUDGET = 1
print("---")
print(f"val_bpb:          {1.0 + abs(A - 4) / 10 + abs(B - 0.25):.6f}")
`;

const ofType = <T extends RunEvent['type']>(events: RunEvent[], t: T) => events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === t);

async function run(proposer: Proposer, iterations: number, overrides: Record<string, unknown> = {}) {
  const { dir, config } = scriptRepo(TRAIN, overrides, 'budget-');
  const events: RunEvent[] = [];
  const summary = await new ResearchRun({ repoDir: dir, config, proposer, iterations, tag: 't', overlap: false, onEvent: (e) => events.push(e) }).run();
  return { events, state: summary.state };
}

test('a cache hit, a rejected iteration and a failed proposal cost no budget: the run trains what it was asked', { timeout: 60_000 }, async () => {
  const proposer = new ListProposer([c({ A: 16 }), c({ A: 16 }, 'same again'), c({ NOPE: 1 }), c({ NOPE: 2 }), c({ NOPE: 3 }), new ProposalError('model said nothing useful'), c({ A: 4 })]);
  const { events, state } = await run(proposer, 2);
  assert.deepEqual(ofType(events, 'iteration.finished').map((e) => e.result), ['keep', 'discard', 'cached', 'rejected', 'proposal-failed', 'keep']);
  assert.equal(state.iterationsDone, 2);
  assert.equal(ofType(events, 'training.started').length, 3, 'the baseline and the two trainings asked for');
  assert.equal(state.stopped, 'completed');
});

class AlwaysInvalid implements Proposer {
  readonly name = 'invalid';
  readonly instant = true;
  calls = 0;
  async propose(): Promise<Candidate> {
    this.calls++;
    return c({ NOPE: this.calls });
  }
}

test('iterations that keep training nothing stop the run after a bound, saying how much was trained', { timeout: 60_000 }, async () => {
  const proposer = new AlwaysInvalid();
  // Without Level 2: with it, research after three idle iterations takes over proposing (next test).
  const { events, state } = await run(proposer, 3, { levels: { mechanisms: { enabled: false } } });
  const finished = ofType(events, 'iteration.finished').filter((e) => e.n > 0);
  assert.equal(finished.length, 10);
  assert.ok(finished.every((e) => e.result === 'rejected'));
  assert.equal(state.stopped, 'error');
  assert.match(state.stopMessage, /^10 iterations in a row trained nothing \(the last: rejected\); 0 of 3 trainings done\./);
  assert.equal(proposer.calls, 30, 'three attempts an iteration');
});

test('bilevel run --iterations 1 with an unreachable endpoint trains nothing: exit 1, says why; running again tries again', { timeout: 120_000 }, async () => {
  const dir = cliScriptRepo(TRAIN, { run: { command: 'python3 train.py', timeBudgetSeconds: 1, hardTimeoutSeconds: 5 }, proposer: { kind: 'llm' }, llm: { model: 'm', maxRetries: 0, timeoutSeconds: 5 } }, 'budget-cli-');
  const env = { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_API_KEY: 'k' };
  const first = await cliRun(dir, ['run', '--iterations', '1'], env);
  assert.equal(first.status, 1, first.stderr + first.stdout);
  assert.match(first.stdout, /proposals in a row failed .*; 0 of 1 trainings done/);
  assert.doesNotMatch(first.stdout, /completed/);
  const again = await cliRun(dir, ['run', '--iterations', '1'], env);
  assert.equal(again.status, 1, again.stderr + again.stdout);
  assert.match(again.stdout, /resumed/);
  assert.match(again.stdout, /proposals in a row failed .*; 0 of 1 trainings done/, 'not "completed" at once');
});

test('with Level 2, a proposer that only proposes invalid candidates is rescued: research after three idle iterations activates a mechanism that proposes, and the run trains what it was asked', { timeout: 60_000 }, async () => {
  const { events, state } = await run(new AlwaysInvalid(), 3);
  const idle = ofType(events, 'iteration.finished').filter((e) => e.n > 0 && e.result === 'rejected').length;
  assert.equal(idle, 3, 'three iterations trained nothing, then research ran');
  assert.ok(ofType(events, 'mechanism.activated').some((e) => ofType(events, 'mechanism.proposed').some((p) => p.name === e.name)), 'a mechanism was activated');
  assert.equal(state.iterationsDone, 3);
  assert.equal(state.stopped, 'completed');
});
