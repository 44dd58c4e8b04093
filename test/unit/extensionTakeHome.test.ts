import { test } from 'node:test';
import assert from 'node:assert/strict';
import { branchNameProblem, finalizedMessage, liveRunQuestion } from '../../src/extension/finalize/finalizeOutcome';
import { userWorkChoices } from '../../src/extension/run/userWorkOffer';

test('adopt offer: Adopt My Commit only for new commits in one place; nothing while edits or another branch need the person', () => {
  assert.deepEqual(userWorkChoices({ foreignCommits: ['abc1234 my fix'], leftAt: 'def5678' }), ['Adopt My Commit', 'New Run']);
  assert.deepEqual(userWorkChoices({ startCommits: ['abc1234 my fix'], startBranch: 'main' }), ['Adopt My Commit', 'New Run']);
  assert.deepEqual(userWorkChoices({ foreignCommits: ['a x'], startCommits: ['b y'], startBranch: 'main' }), ['New Run'], 'both: core adopts only one, merge first');
  assert.deepEqual(userWorkChoices({ modified: ['train.py'], foreignCommits: ['a x'] }), [], 'uncommitted edits: commit or stash first');
  assert.deepEqual(userWorkChoices({ otherBranch: 'main' }), []);
  assert.deepEqual(userWorkChoices({ otherBranch: null }), [], 'a detached HEAD too');
  assert.deepEqual(userWorkChoices({}), []);
});

test('create branch from best: the result line, the live-run question and the branch name check', () => {
  const r = { branch: 'autoresearch/nov23-best', commit: '0123456789abcdef', baseCommit: 'fedcba9876543210', bestN: 4, metricName: 'val_bpb', bestMetric: 1.9, baselineMetric: 2, kept: [{}, {}] as never[], files: ['train.py'] };
  assert.equal(finalizedMessage(r), 'Autoresearch: created autoresearch/nov23-best at 0123456: the best val_bpb 1.900000 (#4, Δ −0.100000 over the baseline), 2 kept changes as one commit on fedcba9 (1 file). Your branches are untouched.');
  assert.match(finalizedMessage({ ...r, baselineMetric: null, kept: [{}] as never[] }), /\(#4\), 1 kept change as one/);
  assert.match(liveRunQuestion('nov23'), /^Autoresearch: run nov23 is going on in this window;.*Pause it/);
  assert.equal(branchNameProblem('autoresearch/nov23-best'), undefined);
  for (const bad of ['', '  ', 'has space', 'a..b', 'x.lock', '-x', 'a/', 'a~1', 'a:b']) assert.ok(branchNameProblem(bad), bad);
});
