import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanTrainingLine, etaMs, formatDuration, progressNote, statusLine, type ProgressView } from '../../src/cli/progressLine';
import { RunOutput } from '../../src/cli/runOutput';
import type { RunEvent, RunEventBody } from '../../src/shared/trace/events';

const view = (over: Partial<ProgressView> = {}): ProgressView => ({ done: 2, total: 10, n: 3, baseline: false, trainingMs: 12_000, elapsedMs: 65_000, etaMs: 130_000, line: 'step 120 loss 3.2', ...over });

test('durations read as m:ss, and h:mm:ss past an hour', () => {
  assert.equal(formatDuration(0), '0:00');
  assert.equal(formatDuration(7_400), '0:07');
  assert.equal(formatDuration(754_000), '12:34');
  assert.equal(formatDuration(3_723_000), '1:02:03');
});

test('the ETA is the remaining iterations at the pace so far, unknown before one finished', () => {
  assert.equal(etaMs(60_000, 0, 5), null);
  assert.equal(etaMs(60_000, 3, 5), 100_000);
  assert.equal(etaMs(60_000, 3, -1), 0, 'a budget already spent has nothing left');
  assert.equal(etaMs(60_000, 3, 5, 15_000), 85_000, 'the one in progress has taken 15 s of its 20');
  assert.equal(etaMs(60_000, 3, 5, 50_000), 80_000, 'an iteration slower than the pace counts as done at most');
});

test('the status line names the experiment, its place in the budget, times and the latest training line', () => {
  assert.equal(statusLine(view(), 200), '#3 (3/10) · training 0:12 · elapsed 1:05 · ETA 2:10 │ step 120 loss 3.2');
  assert.equal(statusLine(view({ n: 0, baseline: true, done: 0, etaMs: null }), 200), '#0 baseline · training 0:12 · elapsed 1:05 · ETA — │ step 120 loss 3.2');
  assert.equal(statusLine(view({ trainingMs: null, line: null }), 200), '#3 (3/10) · preparing · elapsed 1:05 · ETA 2:10');
  assert.equal(statusLine(view({ n: null, line: null, trainingMs: null }), 200), 'between experiments · elapsed 1:05 · ETA 2:10');
  assert.equal(statusLine(view({ done: 10 }), 200).slice(0, 10), '#3 (10/10)', 'never past the budget');
});

test('the status line never wraps: it is cut to the terminal width', () => {
  const line = statusLine(view({ line: 'x'.repeat(500) }), 80);
  assert.equal([...line].length, 79);
  assert.ok(line.endsWith('…'));
});

test('a training line loses progress-bar frames, colours and control characters', () => {
  assert.equal(cleanTrainingLine('10%|#  |\r50%|### |\r'), '50%|### |');
  assert.equal(cleanTrainingLine('\x1b[32mloss\x1b[0m 1.0\tok'), 'loss 1.0 ok');
});

test('the note after a result says where the budget stands', () => {
  assert.equal(progressNote(view()), '2/10 · elapsed 1:05 · ETA 2:10');
});

/** A short run's events as the loop emits them: baseline, then one experiment that trains and prints. */
function events(): RunEvent[] {
  const bodies: RunEventBody[] = [
    { type: 'run.started', tag: 't', branch: 'autoresearch/t', baseCommit: 'a'.repeat(40), metric: 'val_bpb', goal: 'minimize', proposer: 'heuristic' },
    { type: 'iteration.started', n: 0, baseCommit: 'a'.repeat(40), baseline: true },
    { type: 'training.started', n: 0, commit: 'a'.repeat(40), command: 'python3 train.py', log: 'logs/0.log' },
    { type: 'training.output', n: 0, line: 'step 1 loss 2.0', stream: 'stdout' },
    { type: 'experiment.decided', n: 0, status: 'keep', commit: 'a'.repeat(40), metric: 1.5, previousBest: null, delta: null, description: 'baseline', memoryGb: null },
    { type: 'iteration.finished', n: 0, result: 'keep' },
    { type: 'iteration.started', n: 1, baseCommit: 'a'.repeat(40), baseline: false },
    { type: 'candidate.proposed', n: 1, candidate: { description: 'lower LR', changes: {} } as never, proposer: 'heuristic' },
    { type: 'training.started', n: 1, commit: 'b'.repeat(40), command: 'python3 train.py', log: 'logs/1.log' },
    { type: 'training.output', n: 1, line: 'step 1 loss 1.9', stream: 'stdout' },
    { type: 'training.output', n: 1, line: 'step 2 loss 1.8', stream: 'stdout' },
    { type: 'experiment.decided', n: 1, status: 'keep', commit: 'b'.repeat(40), metric: 1.4, previousBest: 1.5, delta: -0.1, description: 'lower LR', memoryGb: null },
    { type: 'iteration.finished', n: 1, result: 'keep' },
    { type: 'run.stopped', reason: 'completed' },
  ];
  return bodies.map((b, i) => ({ seq: i + 1, at: new Date(0).toISOString(), ...b }) as RunEvent);
}

function play(tty: boolean): string {
  let written = '';
  let now = 0;
  const output = new RunOutput({ total: 2, tty, verbose: false, columns: () => 120, write: (t) => (written += t), stateOnDisk: () => assert.fail('not a resumed run'), now: () => (now += 1000) });
  for (const e of events()) output.onEvent(e);
  output.stop();
  return written;
}

test('not on a terminal: plain lines, each once, never a \\r, results followed by the budget', () => {
  const text = play(false);
  assert.ok(!text.includes('\r'), JSON.stringify(text));
  assert.ok(!text.includes('step 1 loss'), 'training lines are not printed without -v');
  const lines = text.trimEnd().split('\n');
  assert.equal(new Set(lines).size, lines.length, `a line printed twice:\n${text}`);
  assert.match(text, /^#1 {3}keep {4}1\.400000 \(Δ -0\.100000\) {2}· 1\/2 · elapsed 0:\d\d · ETA 0:\d\d$/m);
  assert.match(text, /^#0 {3}keep {4}1\.500000$/m, 'the baseline is not counted in the budget');
  assert.match(text, /^run completed$/m);
});

test('on a terminal: the status line shows the latest training line in place and is cleared at the end', () => {
  const text = play(true);
  assert.match(text, /\r\x1b\[K#1 \(1\/2\) · training 0:\d\d · elapsed 0:\d\d · ETA 0:\d\d │ step 2 loss 1\.8/);
  assert.ok(text.endsWith('\r\x1b[Krun completed\n'), 'the status line is cleared for the last line and not drawn again');
  // What stays on screen: the text after the last \r of every line.
  const screen = text.split('\n').map((l) => l.split('\r').pop()!.replace('\x1b[K', ''));
  assert.deepEqual(screen.filter(Boolean), ['run t on branch autoresearch/t (from aaaaaaa), minimize val_bpb, proposer heuristic', '#0 baseline', '#0   keep    1.500000', '#1 lower LR', screen.find((l) => l.startsWith('#1   keep'))!, 'run completed']);
});
