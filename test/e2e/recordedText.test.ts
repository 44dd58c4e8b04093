import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunEvent } from '../../src/shared/trace/events';
import { ResearchRun, type ResearchRunOptions } from '../../src/core/run/researchRun';
import { readTrace } from '../../src/core/store/traceStore';
import { ListProposer } from '../support/listProposer';
import { git } from '../support/tinyGptRepo';
import { scriptRepo } from '../support/scriptRepo';

/** What was trained is what is recorded: any text a model writes, and a person's edit at the gate. */
const TRAIN = `A = 8
BATCH_SIZE = 128
TIME_BUDGET = 1
print(f"val_bpb: {1.0 + abs(A - 4) / 10 + abs(BATCH_SIZE - 32) / 1000:.6f}")
`;

function fastRepo() {
  return scriptRepo(TRAIN, { run: { command: 'python3 train.py', timeBudgetSeconds: 1, hardTimeoutSeconds: 10 }, levels: { strategy: { enabled: false }, mechanisms: { enabled: false } } });
}

const ofType = <T extends RunEvent['type']>(events: readonly RunEvent[], t: T) => events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === t);
const trace = (dir: string) => readTrace(readFileSync(join(dir, '.autoresearch/runs/t/trace.jsonl'))).events;
const results = (dir: string) => readFileSync(join(dir, '.autoresearch/runs/t/results.tsv'), 'utf8').trim().split('\n');

test('a 200 KB hypothesis and NUL bytes are trained; commit and results.tsv show one clean bounded line; the trace keeps them whole; the tree stays clean', { timeout: 60_000 }, async () => {
  const { dir, config } = fastRepo();
  const hypothesis = `${'a long hypothesis '.repeat(12_000)}\0end`;
  const description = 'A to 4\0 with a NUL\nand a second line\u001b[31m';
  const summary = await new ResearchRun({ repoDir: dir, config, proposer: new ListProposer([{ description, hypothesis, params: { A: 4 } }]), iterations: 1, tag: 't' }).run();
  assert.equal(summary.state.stopped, 'completed');
  const events = trace(dir);
  const decided = ofType(events, 'experiment.decided').find((e) => e.n === 1)!;
  assert.equal(decided.status, 'keep', 'it trained');
  assert.equal(ofType(events, 'candidate.proposed')[0].candidate.hypothesis, hypothesis, 'the trace keeps the hypothesis whole, NUL included');
  assert.equal(decided.description, description);

  const subject = git(dir, 'log', '-1', '--format=%s', decided.commit);
  assert.equal(subject, 'A to 4 with a NUL and a second line [31m');
  const body = git(dir, 'log', '-1', '--format=%b', decided.commit);
  assert.ok(body.length < 9 * 1024, `the body is bounded (${body.length})`);
  assert.match(body, /more characters; the whole hypothesis is in the run's trace\)$/);
  const row = results(dir)[2].split('\t');
  assert.equal(row.length, 5, 'one row, five cells');
  assert.equal(row[4], 'A to 4 with a NUL and a second line [31m');
  assert.equal(git(dir, 'status', '--porcelain'), '', 'the tree is clean');
});

test('an edited candidate: its commit, results.tsv and the trace show the change trained, and that you edited it', { timeout: 60_000 }, async () => {
  const { dir, config } = fastRepo();
  const gate: ResearchRunOptions['beforeTraining'] = async (g) => {
    const path = join(g.checkout, 'train.py');
    writeFileSync(path, readFileSync(path, 'utf8').replace(/^BATCH_SIZE = 256$/m, 'BATCH_SIZE = 2**5'));
    return 'run';
  };
  await new ResearchRun({ repoDir: dir, config, proposer: new ListProposer([{ description: 'BATCH_SIZE -> 256', hypothesis: 'bigger batches', params: { BATCH_SIZE: 256 } }]), iterations: 1, tag: 't', beforeTraining: gate }).run();
  const events = trace(dir);
  const edited = ofType(events, 'candidate.edited')[0];
  assert.deepEqual(edited.changed, { BATCH_SIZE: { from: 128, to: 32 } });
  const said = 'BATCH_SIZE 128 -> 32 (edited by you; proposed: BATCH_SIZE -> 256)';
  const decided = ofType(events, 'experiment.decided').find((e) => e.n === 1)!;
  assert.equal(decided.commit, edited.commit);
  assert.equal(decided.description, said);
  assert.equal(git(dir, 'log', '-1', '--format=%s', edited.commit), said);
  assert.equal(git(dir, 'log', '-1', '--format=%b', edited.commit), 'bigger batches');
  assert.equal(results(dir)[2].split('\t')[4], said);
  assert.equal(git(dir, 'status', '--porcelain'), '');
});
