import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayBlock, displayLine } from '../../src/shared/text/displayLine';
import { BODY_MAX, experimentCommitMessage, SUBJECT_MAX } from '../../src/core/git/commitMessage';
import { describeEdit } from '../../src/core/candidates/describeEdit';

test('displayLine: one line, no control characters, bounded', () => {
  assert.equal(displayLine('a\0b\tc\r\nd\u001b[31m  e\u2028f'), 'a b c d [31m e f');
  assert.equal(displayLine('x'.repeat(300), 10), `${'x'.repeat(9)}…`);
  assert.equal(displayLine('  \n '), '');
});

test('displayBlock keeps lines and tabs, replaces NUL and other controls, and says what it cut', () => {
  assert.equal(displayBlock('a\tb\r\nc\0d\u0007', 100), 'a\tb\nc\uFFFDd\uFFFD');
  assert.equal(displayBlock('abcdef', 3, 'see the trace'), 'abc\n… (3 more characters; see the trace)');
});

test('an experiment commit message: a bounded one-line subject, a bounded body without NUL', () => {
  const m = experimentCommitMessage('raise LR\nand more\0', 'h'.repeat(200_000) + '\0');
  const [subject, blank, ...body] = m.split('\n');
  assert.equal(subject, 'raise LR and more');
  assert.equal(blank, '');
  assert.ok(!m.includes('\0'));
  assert.ok(m.length < BODY_MAX + SUBJECT_MAX + 200, `bounded: ${m.length}`);
  assert.match(body.join('\n'), /… \(191\d{3} more characters; the whole hypothesis is in the run's trace\)/);
  assert.equal(experimentCommitMessage('x'.repeat(500), '').split('\n')[0].length, SUBJECT_MAX);
  assert.equal(experimentCommitMessage('', ''), '(no description)\n');
});

test('describeEdit says what was actually trained and that the user edited it', () => {
  assert.equal(describeEdit('BATCH_SIZE -> 256', { BATCH_SIZE: { from: 128, to: 32 } }), 'BATCH_SIZE 128 -> 32 (edited by you; proposed: BATCH_SIZE -> 256)');
  assert.equal(describeEdit('swap', { ACT: { from: 'gelu', to: 'relu' }, LR: { from: 0.1, to: 0.2 } }, ['model.py']), 'ACT "gelu" -> "relu", LR 0.1 -> 0.2, model.py edited (edited by you; proposed: swap)');
  assert.equal(describeEdit('A -> 4', {}), 'no change to the parameters (edited by you; proposed: A -> 4)');
});
