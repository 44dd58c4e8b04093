import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closestName, editDistance } from '../../src/core/target/closestName';
import { firstErrorOffset, jsonSyntaxError } from '../../src/core/target/jsonSyntaxError';
import { runTagProblem } from '../../src/core/git/runTag';

test('edit distance counts a swap of neighbours as one edit', () => {
  assert.equal(editDistance('trian.py', 'train.py'), 1);
  assert.equal(editDistance('TIME_BUDGT', 'TIME_BUDGET'), 1);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('kitten', 'sitting'), 3);
});

test('the closest name is suggested only when it is close, ignoring case', () => {
  assert.equal(closestName('TIME_BUDGT', ['A', 'TIME_BUDGET', 'BATCH_SIZE']), 'TIME_BUDGET');
  assert.equal(closestName('activation', ['ACTIVATION', 'ACTIVATE_X']), 'ACTIVATION');
  assert.equal(closestName('LR', ['WD', 'BATCH_SIZE']), undefined, 'two edits in a two-letter name is another name');
  assert.equal(closestName('SEED', []), undefined);
  assert.equal(closestName('SEEDS', ['SEED', 'SEEDZ']), 'SEED', 'ties go to the first');
});

test('a JSON syntax error names the file, line and column, and shows the line', () => {
  for (const [text, line, column] of [
    ['{\n  "editable": ["train.py"]\n  "x": 1\n}\n', 3, 3],
    ['{\n  "editable": [tru]\n}\n', 2, 16],
    ['{\n  "a": 1,\n}', 3, 1],
    ['{\n  "a": 1', 2, 9],
  ] as const) {
    let message = '';
    try {
      JSON.parse(text);
    } catch (e) {
      message = (e as Error).message;
    }
    const out = jsonSyntaxError('/repo/autoresearch.config.json', text, message);
    const [head, source, caret] = out.split('\n');
    assert.ok(head.startsWith(`/repo/autoresearch.config.json:${line}:${column}: not valid JSON: `), out);
    assert.ok(!/position|is not valid JSON/.test(head), `V8's position and quote are replaced: ${head}`);
    assert.equal(source.trim(), text.split('\n')[line - 1].trim());
    assert.equal(caret.indexOf('^') - 4, column - 1, out);
  }
});

test('the scanner finds where strict JSON first goes wrong, and nothing in valid JSON', () => {
  assert.equal(firstErrorOffset('{"a": [1, -2.5e3, "x\\n", true, null, {}]}'), null);
  assert.equal(firstErrorOffset('{"a": tru}'), 6);
  assert.equal(firstErrorOffset('[1,2,,3]'), 5);
  assert.equal(firstErrorOffset('{"a": 01}'), 7);
  assert.equal(firstErrorOffset('{"a": "\\q"}'), 7);
  assert.equal(firstErrorOffset('{"a": 1} x'), 9);
  assert.equal(firstErrorOffset(''), 0);
  assert.equal(firstErrorOffset('{"a": 1 // c\n}'), 8);
});

test('a run tag is one safe ref component and folder name', () => {
  for (const ok of ['dec2', 'dec2-2', 'ablation_A.1', 'X']) assert.equal(runTagProblem(ok), null, ok);
  for (const bad of ['my tag', '', '-x', '.x', 'a..b', 'a.lock', 'a.', 'a/b', 'a~1', 'a:b', 'x'.repeat(101), 'tag\n']) assert.ok(runTagProblem(bad), JSON.stringify(bad));
  assert.match(runTagProblem('my tag')!, /e\.g\. my-tag$/);
  assert.match(runTagProblem('../../etc')!, /e\.g\. etc$/);
  assert.doesNotMatch(runTagProblem('!!!')!, /e\.g\./);
});
