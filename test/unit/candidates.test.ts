import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Candidate } from '../../src/shared/trace/candidate';
import { applyCandidate, applyCandidateToSources, InvalidCandidateError } from '../../src/core/candidates/applyCandidate';
import { validateCandidate, type CandidateRules } from '../../src/core/candidates/validateCandidate';
import { parseParams } from '../../src/core/target/pythonParams';

const TRAIN_PY = `import torch
from prepare import MAX_SEQ_LEN, TIME_BUDGET

# Model architecture
ASPECT_RATIO = 64       # model_dim = depth * ASPECT_RATIO
WINDOW_PATTERN = "SSSL" # sliding window pattern: L=full, S=half context

# Optimization
TOTAL_BATCH_SIZE = 2**19  # ~524K tokens per optimizer step
EMBEDDING_LR = 0.6      # learning rate for token embeddings (Adam)
WEIGHT_DECAY = 0.2      # cautious weight decay for Muon
ADAM_BETAS = (0.8, 0.95)  # Adam beta1, beta2
SEED = 42
DEPTH = 8               # number of transformer layers

def norm(x):
    return torch.nn.functional.rms_norm(x, (x.size(-1),))

def mlp(x):
    x = torch.relu(x).square()
    return x
`;

const MODEL_PY = `class Block:
    def forward(self, x):
        x = x + self.attn(norm(x))
        return x
`;

const rules = (overrides: Partial<CandidateRules> = {}): CandidateRules => ({
  params: parseParams(TRAIN_PY),
  frozen: ['SEED'],
  editable: ['train.py', 'model.py'],
  paramFile: 'train.py',
  choices: { WINDOW_PATTERN: ['SSSL', 'SSLL', 'L'] },
  ...overrides,
});

const files = () => ({ 'train.py': TRAIN_PY, 'model.py': MODEL_PY });

const candidate = (c: Partial<Candidate>): Candidate => ({ description: 'try it', hypothesis: 'because', ...c });

/** Asserts exactly one reason, and that it contains every fragment. */
function rejectsWith(c: Candidate, fragments: string[], r = rules()) {
  const reasons = validateCandidate(c, r, files());
  assert.equal(reasons.length, 1, `expected one reason, got ${JSON.stringify(reasons)}`);
  for (const f of fragments) assert.ok(reasons[0].includes(f), `${JSON.stringify(reasons[0])} should mention ${JSON.stringify(f)}`);
}

test('a sound candidate with params and edits passes', () => {
  const c = candidate({
    params: { DEPTH: 12, ADAM_BETAS: [0.9, 0.95], WINDOW_PATTERN: 'L', TOTAL_BATCH_SIZE: 2 ** 18 },
    edits: [
      { file: 'train.py', search: 'torch.relu(x).square()', replace: 'torch.nn.functional.gelu(x)' },
      { file: './model.py', search: 'x = x + self.attn(norm(x))', replace: 'x = x + 0.5 * self.attn(norm(x))' },
    ],
  });
  assert.deepEqual(validateCandidate(c, rules(), files()), []);
});

test('rejects an empty candidate and a missing description', () => {
  rejectsWith(candidate({}), ['empty candidate']);
  rejectsWith(candidate({ params: {}, edits: [] }), ['empty candidate']);
  rejectsWith(candidate({ description: '  ', params: { DEPTH: 12 } }), ['missing description']);
});

test('rejects unknown, frozen, wrongly typed, out-of-choice and no-op parameter values', () => {
  rejectsWith(candidate({ params: { NUM_HEADS: 8 } }), ['unknown parameter NUM_HEADS']);
  rejectsWith(candidate({ params: { SEED: 1 } }), ['SEED', 'frozen']);
  rejectsWith(candidate({ params: { DEPTH: 'big' } }), ['DEPTH is an int; got "big" (a string)']);
  rejectsWith(candidate({ params: { DEPTH: 10.5 } }), ['DEPTH is an int']);
  rejectsWith(candidate({ params: { ADAM_BETAS: [0.9] } }), ['ADAM_BETAS is a tuple of 2 items']);
  rejectsWith(candidate({ params: { WINDOW_PATTERN: 'SLSL' } }), ['WINDOW_PATTERN must be one of', '"SSLL"', 'SLSL']);
  rejectsWith(candidate({ params: { WEIGHT_DECAY: 0.2 } }), ['WEIGHT_DECAY', 'same value']);
  rejectsWith(candidate({ params: { TOTAL_BATCH_SIZE: 524288 } }), ['TOTAL_BATCH_SIZE is already 2**19']);
  rejectsWith(candidate({ params: { ADAM_BETAS: [0.8, 0.95] } }), ['ADAM_BETAS', 'same value']);
});

test('each bad parameter gets its own reason', () => {
  const reasons = validateCandidate(candidate({ params: { NUM_HEADS: 8, SEED: 1, DEPTH: 12 } }), rules(), files());
  assert.equal(reasons.length, 2);
  assert.match(reasons[0], /NUM_HEADS/);
  assert.match(reasons[1], /SEED/);
});

test('rejects edit blocks that match zero times or more than once, or search for nothing', () => {
  rejectsWith(candidate({ edits: [{ file: 'train.py', search: 'torch.sigmoid(x)\nmore', replace: 'y' }] }), ['edit 1 on train.py', 'not found', '"torch.sigmoid(x)"']);
  // Fuzzy matches don't count: different whitespace is not found.
  rejectsWith(candidate({ edits: [{ file: 'train.py', search: 'x = torch.relu(x).square( )', replace: 'y' }] }), ['not found']);
  rejectsWith(candidate({ edits: [{ file: 'train.py', search: '(x):\n', replace: '(x, y):\n' }] }), ['matches 2 times', '"(x):"']);
  rejectsWith(candidate({ edits: [{ file: 'train.py', search: '', replace: 'x' }] }), ['edit 1 on train.py', 'empty search']);
});

test('each edit applies to the result of the previous one', () => {
  const first = { file: 'train.py', search: 'torch.relu(x).square()', replace: 'torch.tanh(x)' };
  const ok = candidate({ edits: [first, { file: 'train.py', search: 'torch.tanh(x)', replace: 'torch.tanh(2 * x)' }] });
  assert.deepEqual(validateCandidate(ok, rules(), files()), []);
  // The second block searches for text the first one removed.
  rejectsWith(candidate({ edits: [first, { file: 'train.py', search: 'square()', replace: 'cube()' }] }), ['edit 2 on train.py', 'not found']);
});

test('rejects edits outside the editable files, absolute paths and path traversal', () => {
  rejectsWith(candidate({ edits: [{ file: 'prepare.py', search: 'a', replace: 'b' }] }), ['prepare.py', 'not an editable file']);
  rejectsWith(candidate({ edits: [{ file: '/etc/passwd', search: 'root', replace: 'x' }] }), ['/etc/passwd', 'absolute']);
  rejectsWith(candidate({ edits: [{ file: '../other/train.py', search: 'a', replace: 'b' }] }), ['../other/train.py', '..']);
  rejectsWith(candidate({ edits: [{ file: 'sub/../train.py', search: 'DEPTH = 8', replace: 'DEPTH = 9' }] }), ['..']);
});

test('rejects an edit that changes a frozen parameter', () => {
  rejectsWith(candidate({ edits: [{ file: 'train.py', search: 'SEED = 42', replace: 'SEED = 7' }] }), ['frozen parameter SEED']);
  rejectsWith(candidate({ edits: [{ file: 'train.py', search: 'SEED = 42\n', replace: '' }] }), ['frozen parameter SEED']);
  // Reassigning it further down changes what Python sees just the same.
  rejectsWith(candidate({ edits: [{ file: 'train.py', search: 'def norm(x):', replace: 'SEED = 0\n\ndef norm(x):' }] }), ['frozen parameter SEED']);
  // Touching the frozen line without changing the value is fine.
  assert.deepEqual(validateCandidate(candidate({ edits: [{ file: 'train.py', search: 'SEED = 42', replace: 'SEED = 42  # fixed' }] }), rules(), files()), []);
});

test('rejects an edit that changes a line the candidate also sets via params', () => {
  const edits = [{ file: 'train.py', search: 'DEPTH = 8 ', replace: 'DEPTH = 10' }];
  rejectsWith(candidate({ params: { DEPTH: 12 }, edits }), ['DEPTH', 'also sets']);
  // The same edit alone is a legitimate way to change DEPTH.
  assert.deepEqual(validateCandidate(candidate({ edits }), rules(), files()), []);
  // An edit elsewhere in the param file doesn't conflict.
  const elsewhere = [{ file: 'train.py', search: 'torch.relu(x).square()', replace: 'torch.tanh(x)' }];
  assert.deepEqual(validateCandidate(candidate({ params: { DEPTH: 12 }, edits: elsewhere }), rules(), files()), []);
});

test('applyCandidateToSources applies edits first, then params, and returns only changed files', () => {
  const c = candidate({
    params: { DEPTH: 12, TOTAL_BATCH_SIZE: 2 ** 18, ADAM_BETAS: [0.9, 0.95] },
    edits: [{ file: 'train.py', search: 'torch.relu(x).square()', replace: 'torch.nn.functional.gelu(x)' }],
  });
  const out = applyCandidateToSources(c, rules(), files());
  assert.deepEqual(Object.keys(out), ['train.py']);
  const expected = TRAIN_PY.replace('torch.relu(x).square()', 'torch.nn.functional.gelu(x)')
    .replace('DEPTH = 8 ', 'DEPTH = 12')
    .replace('2**19', '2**18')
    .replace('(0.8, 0.95)', '(0.9, 0.95)');
  assert.equal(out['train.py'], expected);
});

test('applyCandidateToSources throws with the reasons when the candidate is invalid', () => {
  assert.throws(
    () => applyCandidateToSources(candidate({ params: { SEED: 1, DEPTH: 'x' } }), rules(), files()),
    (e: unknown) => e instanceof InvalidCandidateError && e.reasons.length === 2 && /SEED/.test(e.message) && /DEPTH/.test(e.message),
  );
});

test('lowercase parameters listed in the rules are rewritten', () => {
  const source = 'learning_rate = 6e-4 # max learning rate\nbatch_size = 12\n';
  const r = rules({ params: parseParams(source, { names: ['learning_rate', 'batch_size'] }), frozen: [], editable: ['train.py'], choices: {} });
  const out = applyCandidateToSources(candidate({ params: { learning_rate: 3e-4 } }), r, { 'train.py': source });
  assert.equal(out['train.py'], 'learning_rate = 3e-4 # max learning rate\nbatch_size = 12\n');
});

function tempRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'apply-candidate-'));
  writeFileSync(join(dir, 'train.py'), TRAIN_PY);
  writeFileSync(join(dir, 'model.py'), MODEL_PY);
  writeFileSync(join(dir, 'prepare.py'), 'TIME_BUDGET = 300\n');
  return dir;
}

test('applyCandidate writes the changed files in the repo and returns their paths', async () => {
  const dir = tempRepo();
  const c = candidate({
    params: { EMBEDDING_LR: 0.3 },
    edits: [{ file: 'model.py', search: 'x = x + self.attn(norm(x))', replace: 'x = x + 0.5 * self.attn(norm(x))' }],
  });
  const changed = await applyCandidate(dir, c, rules());
  assert.deepEqual(changed.sort(), ['model.py', 'train.py']);
  assert.equal(readFileSync(join(dir, 'train.py'), 'utf8'), TRAIN_PY.replace('EMBEDDING_LR = 0.6', 'EMBEDDING_LR = 0.3'));
  assert.equal(readFileSync(join(dir, 'model.py'), 'utf8'), MODEL_PY.replace('x + self', 'x + 0.5 * self'));
  assert.equal(readFileSync(join(dir, 'prepare.py'), 'utf8'), 'TIME_BUDGET = 300\n');
});

test('applyCandidate writes nothing when the candidate is invalid', async () => {
  const dir = tempRepo();
  const c = candidate({
    params: { DEPTH: 12 },
    edits: [{ file: 'prepare.py', search: 'TIME_BUDGET = 300', replace: 'TIME_BUDGET = 3000' }],
  });
  await assert.rejects(applyCandidate(dir, c, rules()), InvalidCandidateError);
  assert.equal(readFileSync(join(dir, 'train.py'), 'utf8'), TRAIN_PY);
  assert.equal(readFileSync(join(dir, 'prepare.py'), 'utf8'), 'TIME_BUDGET = 300\n');
});

test('applyCandidate reports an editable file that does not exist instead of creating it', async () => {
  const dir = tempRepo();
  const c = candidate({ edits: [{ file: 'extra.py', search: 'a', replace: 'b' }] });
  await assert.rejects(applyCandidate(dir, c, rules({ editable: ['train.py', 'extra.py'] })), /extra\.py.*could not be read/);
  assert.ok(!existsSync(join(dir, 'extra.py')));
});
