import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { RunEvent } from '../../src/shared/trace/events';
import { ResearchRun, type ResearchRunOptions } from '../../src/core/run/researchRun';
import { ResearchFailed, type MechanismResearcher } from '../../src/core/mechanismResearch/mechanismResearch';
import type { Proposer } from '../../src/core/proposers/proposer';
import { HeuristicProposer } from '../../src/core/proposers/heuristicProposer';
import type { TargetConfig } from '../../src/core/target/targetConfig';
import { scriptRepo } from '../support/scriptRepo';

/**
 * What a kill between two steps leaves behind is finished or undone on resume (issue 13.12, the
 * loop's part). The kill is the trace stopping right after one event: the listener throws there,
 * so nothing after it is written, as with kill -9 (real git, real training and sandbox processes).
 */
const TRAIN = `A = 8            # best at 4
B = 1.0          # best at 0.25
TIME_BUDGET = 1
print("---")
print(f"val_bpb:          {1.0 + abs(A - 4) / 10 + abs(B - 0.25):.6f}")
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

function repo(): { dir: string; config: TargetConfig } {
  return scriptRepo(TRAIN, { levels: { strategy: { enabled: false, every: 1 }, mechanisms: { every: 1 } } }, 'interrupted-');
}

async function run(dir: string, config: TargetConfig, proposer: Proposer, iterations: number, extra: Partial<ResearchRunOptions> = {}) {
  const events: RunEvent[] = [];
  const summary = await new ResearchRun({ repoDir: dir, config, proposer, iterations, tag: 't', mechanismResearcher: new OneModule(), ...extra, onEvent: (e) => events.push(e) }).run();
  return { events, summary };
}

/** Runs until `type` is written, then stops the trace there (the process "dies"). */
async function killAfter(dir: string, config: TargetConfig, type: RunEvent['type']): Promise<void> {
  let killed = false;
  const run = new ResearchRun({
    repoDir: dir,
    config,
    proposer: new HeuristicProposer(1),
    iterations: 4,
    tag: 't',
    mechanismResearcher: new OneModule(),
    onEvent: (e) => {
      if (killed || e.type !== type) return;
      killed = true;
      throw new Error(`killed after ${type}`);
    },
  });
  await assert.rejects(run.run(), new RegExp(`killed after ${type}`));
}

const ofType = <T extends RunEvent['type']>(events: RunEvent[], t: T) => events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === t);

test('a mechanism left between mechanism.proposed and mechanism.validated by a kill is reverted on resume', { timeout: 120_000 }, async () => {
  const { dir, config } = repo();
  await killAfter(dir, config, 'mechanism.proposed');
  const { events, summary } = await run(dir, config, new HeuristicProposer(2), 4);
  const reverted = ofType(events, 'mechanism.reverted');
  assert.equal(reverted.length, 1);
  assert.deepEqual([reverted[0].name, reverted[0].by, reverted[0].reason], ['counter', 'validation', 'the run stopped before its validation finished']);
  assert.ok(reverted[0].seq < ofType(events, 'iteration.started')[0].seq, 'before the first iteration of the resumed run');
  assert.equal(summary.state.mechanisms.get('counter')!.status, 'reverted');
  assert.equal(summary.state.stopped, 'completed');
});

test('a mechanism validated (policy auto) but not activated when the run was killed is activated at the first boundary of the resumed run', { timeout: 120_000 }, async () => {
  const { dir, config } = repo();
  await killAfter(dir, config, 'mechanism.validated');
  const { events, summary } = await run(dir, config, new HeuristicProposer(2), 4);
  const activated = ofType(events, 'mechanism.activated');
  assert.deepEqual([activated[0].name, activated[0].by], ['counter', 'policy']);
  assert.ok(activated[0].seq < ofType(events, 'iteration.started')[0].seq, 'before the first iteration of the resumed run');
  assert.equal(summary.state.mechanisms.get('counter')!.status, 'active');
  assert.ok(ofType(events, 'mechanism.hooks').some((h) => h.ran.some((r) => r.mechanism === 'counter' && r.hook === 'afterResult')), 'its hooks run from then on');
});

test('under policy review, a validated mechanism stays awaiting review on resume', { timeout: 120_000 }, async () => {
  const { dir, config } = repo();
  config.levels.mechanisms.policy = 'review';
  await killAfter(dir, config, 'mechanism.validated');
  const { events, summary } = await run(dir, config, new HeuristicProposer(2), 4);
  assert.equal(ofType(events, 'mechanism.activated').length, 0);
  assert.equal(summary.state.mechanisms.get('counter')!.status, 'awaiting-review');
});

test('the tried ref is written before experiment.decided is recorded', { timeout: 120_000 }, async () => {
  const { dir, config } = repo();
  config.levels.mechanisms.enabled = false;
  const missing: number[] = [];
  const decided: number[] = [];
  const r = new ResearchRun({
    repoDir: dir,
    config,
    proposer: new HeuristicProposer(1),
    iterations: 3,
    tag: 't',
    onEvent: (e) => {
      if (e.type !== 'experiment.decided' || e.n === 0) return;
      decided.push(e.n);
      try {
        execFileSync('git', ['rev-parse', '--verify', '-q', `refs/autoresearch/t/tried/${e.n}`], { cwd: dir, stdio: 'pipe' });
      } catch {
        missing.push(e.n);
      }
    },
  });
  await r.run();
  assert.ok(decided.length >= 2, `experiments were decided: ${decided.join(', ')}`);
  assert.deepEqual(missing, [], 'a tried ref was missing when its decision was recorded');
});
