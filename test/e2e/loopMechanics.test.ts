import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunEvent } from '../../src/shared/trace/events';
import { ResearchRun } from '../../src/core/run/researchRun';
import type { Proposer } from '../../src/core/proposers/proposer';
import { ProposalError } from '../../src/core/proposers/proposer';
import { candidate, ListProposer } from '../support/listProposer';
import type { TargetConfig } from '../../src/core/target/targetConfig';
import { git } from '../support/tinyGptRepo';
import { scriptRepo } from '../support/scriptRepo';

/**
 * The loop's mechanics on a fast, torch-free training script (a real Python process, real git):
 * the metric is a simple function of the constants, SLEEP makes a run slow, CRASH makes it fail.
 */
const TRAIN = `import time, sys
A = 8            # the knob; best at 4
SLEEP = 0.0
CRASH = False
TIME_BUDGET = 1
time.sleep(SLEEP)
if CRASH:
    sys.exit("boom: CRASH was set")
print("step 1 loss 2.0", flush=True)
print("---")
print(f"val_bpb:          {1.0 + abs(A - 4) / 10:.6f}")
print("peak_vram_mb:     512.0")
`;

function fastRepo(): { dir: string; config: TargetConfig } {
  return scriptRepo(TRAIN, { run: { command: 'python3 train.py', timeBudgetSeconds: 1, hardTimeoutSeconds: 3 }, metric: { name: 'val_bpb', secondary: [{ name: 'peak_vram_mb' }], memory: { name: 'peak_vram_mb' } } });
}

const c = candidate;

async function run(dir: string, config: TargetConfig, proposer: Proposer, iterations: number, extra: Partial<ConstructorParameters<typeof ResearchRun>[0]> = {}) {
  const events: RunEvent[] = [];
  const onEvent = (e: RunEvent) => {
    events.push(e);
    extra.onEvent?.(e);
  };
  const summary = await new ResearchRun({ repoDir: dir, config, proposer, iterations, tag: 't', ...extra, onEvent }).run();
  return { events, summary };
}

const ofType = <T extends RunEvent['type']>(events: RunEvent[], t: T) => events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === t);

test('a configuration evaluated before is not trained again; its result is reused and recorded', async () => {
  const { dir, config } = fastRepo();
  const { events } = await run(dir, config, new ListProposer([c({ A: 16 }), c({ A: 16 }, 'same again')]), 2);
  const cached = ofType(events, 'candidate.cached');
  assert.equal(cached.length, 1);
  assert.equal(cached[0].sameAs, 1);
  assert.equal(cached[0].status, 'discard');
  assert.equal(ofType(events, 'training.started').length, 2, 'baseline and #1 only');
  assert.equal(git(dir, 'status', '--porcelain'), '');
  assert.match(readFileSync(join(dir, 'train.py'), 'utf8'), /^A = 8 /m);
});

test('invalid candidates are rejected before training with reasons the proposer sees next', async () => {
  const { dir, config } = fastRepo();
  const proposer = new ListProposer([c({ NOPE: 1 }), c({ TIME_BUDGET: 5 }), c({ A: 4 })]);
  const { events } = await run(dir, config, proposer, 1);
  const rejected = ofType(events, 'candidate.rejected');
  assert.equal(rejected.length, 2);
  assert.match(rejected[0].reason, /NOPE/);
  assert.match(rejected[1].reason, /TIME_BUDGET/);
  assert.ok(proposer.seen[2].guidance.some((g) => g.includes('TIME_BUDGET')), 'the third attempt is told why the second was rejected');
  assert.equal(ofType(events, 'experiment.decided')[1].status, 'keep');
});

test('an iteration whose attempts are all rejected ends without training, and costs no budget: the next one trains', async () => {
  const { dir, config } = fastRepo();
  const { events, summary } = await run(dir, config, new ListProposer([c({ NOPE: 1 }), c({ NOPE: 2 }), c({ NOPE: 3 }), c({ A: 4 })]), 1);
  assert.deepEqual(ofType(events, 'iteration.finished').map((e) => e.result), ['keep', 'rejected', 'keep']);
  assert.equal(summary.state.iterationsDone, 1);
  assert.equal(summary.state.stopped, 'completed');
});

test('crash and timeout are recorded, reset to the best commit, and the tried commit kept', async () => {
  const { dir, config } = fastRepo();
  const { events } = await run(dir, config, new ListProposer([c({ A: 4 }), c({ CRASH: true }), c({ SLEEP: 30 })]), 3);
  const finished = ofType(events, 'training.finished');
  assert.deepEqual(finished.map((f) => f.outcome), ['ok', 'ok', 'crash', 'timeout']);
  assert.match(finished[2].reason!, /boom: CRASH was set/);
  const decided = ofType(events, 'experiment.decided');
  assert.deepEqual(decided.map((d) => d.status), ['keep', 'keep', 'crash', 'crash']);
  assert.equal(git(dir, 'rev-parse', 'HEAD'), decided[1].commit);
  assert.equal(git(dir, 'rev-parse', 'refs/autoresearch/t/tried/3'), decided[3].commit);
  assert.ok(finished[3].seconds < 10, 'the hung run was killed at the hard timeout');
  assert.equal(decided[0].memoryGb, 0.5);
});

test('a proposal failure is recorded and the run goes on', async () => {
  const { dir, config } = fastRepo();
  const { events } = await run(dir, config, new ListProposer([new ProposalError('model said nothing useful'), c({ A: 4 })]), 2);
  assert.equal(ofType(events, 'proposal.failed')[0].reason, 'model said nothing useful');
  assert.equal(ofType(events, 'experiment.decided').length, 2);
});

test('a baseline that crashes stops the run with what to fix', async () => {
  const { dir, config } = fastRepo();
  config.run.command = 'python3 no_such_file.py';
  const { summary, events } = await run(dir, config, new ListProposer([]), 3);
  assert.equal(summary.state.stopped, 'error');
  assert.match(ofType(events, 'run.stopped')[0].message!, /baseline run failed/);
});

test('Stop mid-training: interrupted, not a result, working tree back on best; running again continues', async () => {
  const { dir, config } = fastRepo();
  const controller = new AbortController();
  const onEvent = (e: RunEvent) => {
    if (e.type === 'training.started' && e.n === 1) setTimeout(() => controller.abort(), 300);
  };
  const first = await run(dir, config, new ListProposer([c({ SLEEP: 2.5 })]), 2, { signal: controller.signal, onEvent });
  assert.equal(first.summary.state.stopped, 'interrupted');
  assert.equal(ofType(first.events, 'experiment.interrupted')[0].n, 1);
  assert.match(readFileSync(join(dir, 'train.py'), 'utf8'), /^SLEEP = 0\.0/m, 'the candidate was reset away');

  const second = await run(dir, config, new ListProposer([c({ A: 4 }), c({ A: 2 })]), 2);
  assert.equal(second.summary.state.stopped, 'completed');
  assert.equal(second.summary.state.iterationsDone, 2);
  const all = readFileSync(join(dir, '.autoresearch/runs/t/trace.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RunEvent);
  assert.deepEqual(all.map((e) => e.seq), all.map((_, i) => i + 1));
  assert.deepEqual(ofType(all, 'experiment.decided').map((d) => d.n), [0, 2, 3]);
});

test('resume after a kill between applying and committing drops only the loop’s own change', async () => {
  const { dir, config } = fastRepo();
  await run(dir, config, new ListProposer([]), 0);
  // Simulate the process dying right after it rewrote train.py for experiment #1.
  const trace = join(dir, '.autoresearch/runs/t/trace.jsonl');
  const last = JSON.parse(readFileSync(trace, 'utf8').trim().split('\n').pop()!) as RunEvent;
  appendFileSync(trace, JSON.stringify({ seq: last.seq + 1, at: new Date().toISOString(), type: 'iteration.started', n: 1, baseCommit: git(dir, 'rev-parse', 'HEAD'), baseline: false }) + '\n');
  writeFileSync(join(dir, 'train.py'), TRAIN.replace('A = 8 ', 'A = 5 '));
  const { events } = await run(dir, config, new ListProposer([c({ A: 4 })]), 1);
  assert.equal(ofType(events, 'experiment.interrupted')[0].n, 1);
  assert.deepEqual(ofType(events, 'experiment.decided').map((d) => [d.n, d.status]), [[2, 'keep']]);

  // A change outside the run's files is the user's: resume refuses rather than discard it.
  writeFileSync(join(dir, 'README.md'), 'x');
  git(dir, 'add', 'README.md');
  await assert.rejects(run(dir, config, new ListProposer([c({ A: 2 })]), 5), /uncommitted changes \(README\.md\)/);
  assert.equal(readFileSync(join(dir, 'README.md'), 'utf8'), 'x');
});
