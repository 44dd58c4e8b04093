import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunEvent } from '../../src/shared/trace/events';
import { ExecutorSetupError, type Executor, type TrainingRequest, type TrainingResult } from '../../src/core/executors/executor';
import { LocalExecutor } from '../../src/core/executors/localExecutor';
import { ResearchRun } from '../../src/core/run/researchRun';
import { HeuristicProposer } from '../../src/core/proposers/heuristicProposer';
import { scriptRepo } from '../support/scriptRepo';

/**
 * Issue 13.11: a worker whose executor fails (a host that goes down, a setup error) is taken out of
 * rotation with an event saying so, and the run goes on with the others; it stops only when none is
 * left. Training is real (local Python processes, real git worktrees); the host that goes down is
 * a local executor that answers as the ssh executor does once its host is unreachable.
 */
const TRAIN = `import time
A = 8
B = 1.0
TIME_BUDGET = 1
time.sleep(0.3)
print("---")
print(f"val_bpb:          {1.0 + abs(A - 4) / 10 + abs(B - 0.25):.6f}")
`;

class HostGoesDown implements Executor {
  readonly kind = 'ssh';
  private runs = 0;
  constructor(private readonly goodRuns: number) {}
  async run(req: TrainingRequest): Promise<TrainingResult> {
    if (this.runs++ >= this.goodRuns) throw new ExecutorSetupError('ssh executor: cannot reach gpu-2: Connection refused');
    return new LocalExecutor().run(req);
  }
}

const ofType = <T extends RunEvent['type']>(events: RunEvent[], t: T) => events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === t);

test('a worker whose host goes down is out of rotation, said in the trace; the run finishes on the other', { timeout: 120_000 }, async () => {
  const { dir, config } = scriptRepo(TRAIN, { levels: { strategy: { enabled: false }, mechanisms: { enabled: false } } }, 'workers-');
  const events: RunEvent[] = [];
  const { state } = await new ResearchRun({
    repoDir: dir,
    config,
    proposer: new HeuristicProposer(1),
    iterations: 5,
    tag: 'w',
    workers: [{ executor: new LocalExecutor() }, { executor: new HostGoesDown(1) }],
    onEvent: (e) => events.push(e),
  }).run();
  const removed = ofType(events, 'worker.removed');
  assert.equal(removed.length, 1, 'said once');
  assert.deepEqual([removed[0].worker, removed[0].executor, removed[0].left], [1, 'ssh', 1]);
  assert.match(removed[0].reason, /cannot reach gpu-2/);
  const lost = ofType(events, 'experiment.interrupted').find((x) => x.n === removed[0].n)!;
  assert.match(lost.reason, /^the worker failed: ssh executor: cannot reach gpu-2/, 'the experiment it held is interrupted, not a result');
  assert.equal(state.stopped, 'completed');
  assert.equal(state.iterationsDone, 5, 'the budget is trained on the worker that is left');
  const after = ofType(events, 'training.started').filter((t) => t.seq > removed[0].seq);
  assert.ok(after.length >= 1, 'training goes on after the worker is out');
});

test('with no worker left the run stops on the failure, saying what it was', { timeout: 120_000 }, async () => {
  const { dir, config } = scriptRepo(TRAIN, { levels: { strategy: { enabled: false }, mechanisms: { enabled: false } } }, 'workers-');
  const events: RunEvent[] = [];
  const run = new ResearchRun({ repoDir: dir, config, proposer: new HeuristicProposer(1), iterations: 5, tag: 'w', workers: [{ executor: new HostGoesDown(2) }], onEvent: (e) => events.push(e) });
  await assert.rejects(run.run(), /cannot reach gpu-2/);
  assert.deepEqual(ofType(events, 'worker.removed').map((e) => e.left), [0]);
  const stopped = ofType(events, 'run.stopped')[0];
  assert.equal(stopped.reason, 'error');
  assert.match(stopped.message ?? '', /cannot reach gpu-2/);
  assert.equal(ofType(events, 'experiment.decided').length, 2, 'the two runs before the host went down were judged');
});
