import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ParamValue } from '../../src/shared/trace/candidate';
import { checkValue, ParamError, parseParams, renderValue, rewriteParams, type PythonParam } from '../../src/core/target/pythonParams';

// Shaped like karpathy/autoresearch's train.py, plus the awkward cases the parser must get right.
const TRAIN_PY = `"""
Single-GPU pretraining script. Edit the hyperparameters below.
NOT_A_PARAM = 1
"""
import os
import torch
from dataclasses import dataclass

DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
LOG_EVERY = foo(3)

@dataclass
class GPTConfig:
    SEQUENCE_LEN: int = 2048
    n_layer: int = 12

# ---------------------------------------------------------------------------
# Hyperparameters (edit these directly, no CLI flags needed)
# ---------------------------------------------------------------------------

# Model architecture
ASPECT_RATIO = 64       # model_dim = depth * ASPECT_RATIO
HEAD_DIM = 128          # target head dimension for attention
WINDOW_PATTERN = "SSSL" # sliding window pattern: L=full, S=half context

# Optimization
TOTAL_BATCH_SIZE = 2**19  # ~524K tokens per optimizer step
EMBEDDING_LR = 0.6      # learning rate for token embeddings (Adam)
UNEMBEDDING_LR = 0.004  # learning rate for lm_head (Adam)
MATRIX_LR: float = 3e-4 # learning rate for matrix parameters (Muon)
SCALAR_LR = .5          # learning rate for per-layer scalars (Adam)
WEIGHT_DECAY = 0.2      # cautious weight decay for Muon
ADAM_BETAS = (0.8, 0.95)  # Adam beta1, beta2
WARMDOWN_RATIO = 0.5    # fraction of time budget for LR warmdown
MAX_STEPS = 1_000
GRAD_CLIP = None        # no clipping

# Model size + memory
DEPTH = 8               # number of transformer layers
DEVICE_BATCH_SIZE = 2**7 * 1  # per-device batch size (reduce if OOM)
USE_COMPILE = True
LAYER_SIZES = [[64, 128], (256, 0.5)]
RUN_NAME = 'it\\'s "quoted"\\tname'
SINGLE = (3,)
TIME_BUDGET = 300

def train():
    DEPTH = 99
    LOCAL = 1
    return DEPTH


SCHEDULE = [1, 2,
    3]
OPTIMIZER_KWARGS = dict(
WARMUP = 0.1,
)
CONTINUED = 1 + \\
    2
EXTRA = """
DEPTH = 3
"""

if __name__ == "__main__":
    train()
`;

const EXPECTED: Record<string, { value: ParamValue; kind: PythonParam['kind']; text: string }> = {
  ASPECT_RATIO: { value: 64, kind: 'int', text: '64' },
  HEAD_DIM: { value: 128, kind: 'int', text: '128' },
  WINDOW_PATTERN: { value: 'SSSL', kind: 'string', text: '"SSSL"' },
  TOTAL_BATCH_SIZE: { value: 524288, kind: 'int', text: '2**19' },
  EMBEDDING_LR: { value: 0.6, kind: 'float', text: '0.6' },
  UNEMBEDDING_LR: { value: 0.004, kind: 'float', text: '0.004' },
  MATRIX_LR: { value: 3e-4, kind: 'float', text: '3e-4' },
  SCALAR_LR: { value: 0.5, kind: 'float', text: '.5' },
  WEIGHT_DECAY: { value: 0.2, kind: 'float', text: '0.2' },
  ADAM_BETAS: { value: [0.8, 0.95], kind: 'tuple', text: '(0.8, 0.95)' },
  WARMDOWN_RATIO: { value: 0.5, kind: 'float', text: '0.5' },
  MAX_STEPS: { value: 1000, kind: 'int', text: '1_000' },
  GRAD_CLIP: { value: null, kind: 'none', text: 'None' },
  DEPTH: { value: 8, kind: 'int', text: '8' },
  DEVICE_BATCH_SIZE: { value: 128, kind: 'int', text: '2**7 * 1' },
  USE_COMPILE: { value: true, kind: 'bool', text: 'True' },
  LAYER_SIZES: { value: [[64, 128], [256, 0.5]], kind: 'list', text: '[[64, 128], (256, 0.5)]' },
  RUN_NAME: { value: 'it\'s "quoted"\tname', kind: 'string', text: `'it\\'s "quoted"\\tname'` },
  SINGLE: { value: [3], kind: 'tuple', text: '(3,)' },
  TIME_BUDGET: { value: 300, kind: 'int', text: '300' },
};

const byName = (params: PythonParam[]) => new Map(params.map((p) => [p.name, p]));
const lineOf = (source: string, name: string) => source.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}:`))!;

/** Indexes of the lines that differ; asserts the line count is unchanged. */
function changedLines(before: string, after: string): number[] {
  const a = before.split('\n');
  const b = after.split('\n');
  assert.equal(b.length, a.length, 'line count changed');
  return a.flatMap((line, i) => (line === b[i] ? [] : [i]));
}

test('parses the hyperparameter block: values, kinds, source text and lines', () => {
  const params = parseParams(TRAIN_PY);
  assert.deepEqual(
    params.map((p) => p.name),
    Object.keys(EXPECTED),
  );
  for (const p of params) {
    const want = EXPECTED[p.name];
    assert.deepEqual({ value: p.value, kind: p.kind, text: p.text }, want, p.name);
    assert.ok(TRAIN_PY.split('\n')[p.line - 1].startsWith(`${p.name}`), `${p.name} is on line ${p.line}`);
  }
});

test('ignores docstrings, indented code, continuation lines, multi-line values and non-literals', () => {
  const names = new Set(parseParams(TRAIN_PY).map((p) => p.name));
  for (const name of ['NOT_A_PARAM', 'SEQUENCE_LEN', 'LOCAL', 'DEVICE', 'LOG_EVERY', 'SCHEDULE', 'OPTIMIZER_KWARGS', 'WARMUP', 'CONTINUED', 'EXTRA']) {
    assert.ok(!names.has(name), `${name} should not be a parameter`);
  }
  // DEPTH = 99 inside train() and DEPTH = 3 inside a string must not shadow the module-level DEPTH = 8.
  assert.equal(byName(parseParams(TRAIN_PY)).get('DEPTH')!.value, 8);
});

test('unsupported expressions are skipped, never thrown', () => {
  const source = ['A = foo(3)', 'B = x + 1', 'C = f"{A}"', "D = b'raw'", 'E = {"a": 1}', 'F = 1j', 'G = 1 / 0', 'H = "a" * 3', 'I = 1;', 'K = "open', 'OK = 1'].join('\n');
  assert.deepEqual(
    parseParams(source).map((p) => p.name),
    ['OK'],
  );
});

test('rewriting every parameter with its own value leaves the file byte-identical', () => {
  const params = parseParams(TRAIN_PY);
  const same = Object.fromEntries(params.map((p) => [p.name, p.value]));
  assert.equal(rewriteParams(TRAIN_PY, same), TRAIN_PY);
});

const CHANGES: { name: string; value: ParamValue; line: string }[] = [
  { name: 'TOTAL_BATCH_SIZE', value: 2 ** 17, line: 'TOTAL_BATCH_SIZE = 2**17  # ~524K tokens per optimizer step' },
  { name: 'DEVICE_BATCH_SIZE', value: 64, line: 'DEVICE_BATCH_SIZE = 64        # per-device batch size (reduce if OOM)' },
  { name: 'MATRIX_LR', value: 1.5e-4, line: 'MATRIX_LR: float = 1.5e-4 # learning rate for matrix parameters (Muon)' },
  { name: 'SCALAR_LR', value: 0.25, line: 'SCALAR_LR = 0.25        # learning rate for per-layer scalars (Adam)' },
  { name: 'EMBEDDING_LR', value: 1, line: 'EMBEDDING_LR = 1.0      # learning rate for token embeddings (Adam)' },
  { name: 'WEIGHT_DECAY', value: 0.3, line: 'WEIGHT_DECAY = 0.3      # cautious weight decay for Muon' },
  { name: 'ADAM_BETAS', value: [0.9, 1], line: 'ADAM_BETAS = (0.9, 1.0)   # Adam beta1, beta2' },
  { name: 'LAYER_SIZES', value: [[32, 64, 96], [512, 1]], line: 'LAYER_SIZES = [[32, 64, 96], (512, 1.0)]' },
  { name: 'WINDOW_PATTERN', value: 'SSSSSSL', line: 'WINDOW_PATTERN = "SSSSSSL" # sliding window pattern: L=full, S=half context' },
  { name: 'RUN_NAME', value: 'a\'b"c\\d\n', line: `RUN_NAME = 'a\\'b"c\\\\d\\n'` },
  { name: 'USE_COMPILE', value: false, line: 'USE_COMPILE = False' },
  { name: 'GRAD_CLIP', value: 1, line: 'GRAD_CLIP = 1           # no clipping' },
  { name: 'DEPTH', value: 12, line: 'DEPTH = 12              # number of transformer layers' },
  { name: 'MAX_STEPS', value: 2500, line: 'MAX_STEPS = 2_500' },
  { name: 'SINGLE', value: [4], line: 'SINGLE = (4,)' },
  { name: 'UNEMBEDDING_LR', value: 123456.5, line: 'UNEMBEDDING_LR = 123456.5  # learning rate for lm_head (Adam)' },
];

for (const change of CHANGES) {
  test(`rewriting ${change.name} changes only its line, keeps the comment, and re-parses`, () => {
    const after = rewriteParams(TRAIN_PY, { [change.name]: change.value });
    const changed = changedLines(TRAIN_PY, after);
    const param = byName(parseParams(TRAIN_PY)).get(change.name)!;
    assert.deepEqual(changed, [param.line - 1]);
    assert.equal(lineOf(after, change.name), change.line);
    const reparsed = byName(parseParams(after)).get(change.name)!;
    assert.deepEqual(reparsed.value, change.value);
    assert.equal(reparsed.kind, param.kind === 'none' ? 'int' : param.kind);
  });
}

test('an aligned comment keeps its column; one space stays one, two (PEP 8) never shrink', () => {
  const source = 'LR = 0.6      # aligned\nWD = 0.2 # tight\nBS = 64  # pep8\nN = 1000  # shrinks';
  const after = rewriteParams(source, { LR: 0.0625, WD: 0.125, BS: 128, N: 2 });
  assert.equal(after, 'LR = 0.0625   # aligned\nWD = 0.125 # tight\nBS = 128  # pep8\nN = 2     # shrinks');
  const longer = rewriteParams(source, { LR: 0.123456789012 });
  assert.equal(longer.split('\n')[0], 'LR = 0.123456789012  # aligned');
});

test('several changes at once land on the right lines', () => {
  const after = rewriteParams(TRAIN_PY, { DEPTH: 4, ADAM_BETAS: [0.85, 0.95], WINDOW_PATTERN: 'L' });
  const p = byName(parseParams(after));
  assert.equal(p.get('DEPTH')!.value, 4);
  assert.deepEqual(p.get('ADAM_BETAS')!.value, [0.85, 0.95]);
  assert.equal(p.get('WINDOW_PATTERN')!.value, 'L');
  assert.equal(changedLines(TRAIN_PY, after).length, 3);
});

test('lowercase nanoGPT-style names count only when listed in opts.names', () => {
  const source = [
    "out_dir = 'out'",
    'learning_rate = 6e-4 # max learning rate',
    'batch_size: int = 12',
    'def f():',
    '    learning_rate = 1',
    'MAX_ITERS = 600000',
  ].join('\n');
  assert.deepEqual(
    parseParams(source).map((p) => p.name),
    ['MAX_ITERS'],
  );
  const names = ['learning_rate', 'batch_size', 'out_dir'];
  assert.deepEqual(
    parseParams(source, { names }).map((p) => [p.name, p.value]),
    [
      ['out_dir', 'out'],
      ['learning_rate', 6e-4],
      ['batch_size', 12],
      ['MAX_ITERS', 600000],
    ],
  );
  const after = rewriteParams(source, { learning_rate: 3e-4, batch_size: 24, out_dir: 'runs' }, { names });
  assert.equal(after, source.replace('6e-4', '3e-4').replace('= 12', '= 24').replace("'out'", "'runs'"));
  assert.throws(() => rewriteParams(source, { learning_rate: 3e-4 }), ParamError);
});

test('CRLF line endings and a missing final newline survive a rewrite', () => {
  const source = 'import torch\r\nDEPTH = 8  # layers\r\nLR = 0.1\r\nX = torch.zeros(1)\r\nWD = 0.2';
  const params = byName(parseParams(source));
  assert.equal(params.get('LR')!.line, 3);
  assert.equal(params.get('WD')!.line, 5);
  const after = rewriteParams(source, { DEPTH: 12, WD: 0.3 });
  assert.equal(after, 'import torch\r\nDEPTH = 12  # layers\r\nLR = 0.1\r\nX = torch.zeros(1)\r\nWD = 0.3');
  assert.equal(rewriteParams(source, { LR: 0.1 }), source);
  assert.equal(rewriteParams('\uFEFFDEPTH = 8\n', { DEPTH: 9 }), '\uFEFFDEPTH = 9\n');
});

test('a name assigned twice: the last assignment wins, and is the one rewritten', () => {
  const source = 'DEPTH = 8\nWIDTH = 1\nDEPTH = 12  # override\n';
  const depth = byName(parseParams(source)).get('DEPTH')!;
  assert.deepEqual([depth.value, depth.line], [12, 3]);
  assert.equal(rewriteParams(source, { DEPTH: 16 }), 'DEPTH = 8\nWIDTH = 1\nDEPTH = 16  # override\n');
});

test('a later non-literal, augmented or chained assignment means the name is not a parameter', () => {
  const source = 'A = 1\nA = compute()\nB = 2\nB *= 2\nC = D = 3\nE = 4\nE[0] = 5\nF = 6\nF.x = 7\nG = 8\n';
  assert.deepEqual(
    parseParams(source).map((p) => p.name),
    ['G'],
  );
  assert.throws(() => rewriteParams(source, { A: 2 }), /A/);
});

test('an unknown name is a ParamError that names it', () => {
  assert.throws(
    () => rewriteParams(TRAIN_PY, { DEPTH: 4, NUM_HEADS: 8 }),
    (e: unknown) => e instanceof ParamError && e.message.includes('NUM_HEADS'),
  );
  assert.throws(() => rewriteParams(TRAIN_PY, { DEVICE: 'cpu' }), /DEVICE/);
});

test('arithmetic follows Python precedence and number semantics', () => {
  const cases: [string, number, 'int' | 'float'][] = [
    ['2**19', 524288, 'int'],
    ['64*4', 256, 'int'],
    ['2**10 * 3', 3072, 'int'],
    ['(1 + 2) * 4', 12, 'int'],
    ['1 + 2 * 4', 9, 'int'],
    ['1/3', 1 / 3, 'float'],
    ['4/2', 2, 'float'],
    ['7//2', 3, 'int'],
    ['-7//2', -4, 'int'],
    ['7.0//2', 3, 'float'],
    ['-2**2', -4, 'int'],
    ['(-2)**2', 4, 'int'],
    ['2**-1', 0.5, 'float'],
    ['2**3**2', 512, 'int'],
    ['-7 % 3', 2, 'int'],
    ['7 % -3', -2, 'int'],
    ['10 - 2 - 3', 5, 'int'],
    ['2 * 3 % 4', 2, 'int'],
    ['--3', 3, 'int'],
    ['1e5', 100000, 'float'],
    ['1E5', 100000, 'float'],
    ['-2.5e-3', -0.0025, 'float'],
    ['0x10', 16, 'int'],
    ['1_000 * 2', 2000, 'int'],
    ['0.1 * 3', 0.1 * 3, 'float'],
  ];
  for (const [expr, value, kind] of cases) {
    const [p] = parseParams(`X = ${expr}  # note`);
    assert.ok(p, `${expr} should parse`);
    assert.deepEqual([p.value, p.kind, p.text], [value, kind, expr], expr);
  }
});

test('renderValue writes Python literals', () => {
  const like = (text: string): PythonParam => parseParams(`X = ${text}`)[0];
  assert.equal(renderValue(0.3), '0.3');
  assert.equal(renderValue(0.001), '0.001');
  assert.equal(renderValue(1e-5), '1e-05');
  assert.equal(renderValue(1.5e16, like('0.5')), '1.5e+16');
  assert.equal(renderValue(1.5e16), '15000000000000000');
  assert.equal(renderValue(12), '12');
  assert.equal(renderValue(2, like('0.5')), '2.0');
  assert.equal(renderValue(-0.5, like('0.5')), '-0.5');
  assert.equal(renderValue(0.00015, like('3e-4')), '1.5e-4');
  assert.equal(renderValue(2e-5, like('1E-3')), '2E-5');
  assert.equal(renderValue(0.5, like('3e-4')), '0.5');
  assert.equal(renderValue(1024, like('2**19')), '2**10');
  assert.equal(renderValue(1000, like('2**19')), '1000');
  assert.equal(renderValue(10 ** 6, like('10 ** 3')), '10 ** 6');
  assert.equal(renderValue(3.5, like('8')), '3.5');
  assert.equal(renderValue(true), 'True');
  assert.equal(renderValue(null), 'None');
  assert.equal(renderValue('a"b'), '"a\\"b"');
  assert.equal(renderValue("it's", like("'x'")), "'it\\'s'");
  assert.equal(renderValue([1, 2]), '[1, 2]');
  assert.equal(renderValue([1, 2], like('(0.9, 0.95)')), '(1.0, 2.0)');
  assert.equal(renderValue([7], like('(3,)')), '(7,)');
  assert.equal(renderValue([], like('(3,)')), '()');
  assert.throws(() => renderValue(Number.NaN), ParamError);
});

test('checkValue accepts compatible values and explains the rest', () => {
  const p = byName(parseParams(TRAIN_PY));
  const ok: [string, ParamValue][] = [
    ['DEPTH', 12],
    ['EMBEDDING_LR', 1],
    ['EMBEDDING_LR', 0.3],
    ['USE_COMPILE', false],
    ['WINDOW_PATTERN', 'L'],
    ['GRAD_CLIP', 1.0],
    ['GRAD_CLIP', 'anything'],
    ['ADAM_BETAS', [0.9, 0.99]],
    ['LAYER_SIZES', [[1, 2], [3, 4]]],
  ];
  for (const [name, value] of ok) assert.equal(checkValue(p.get(name)!, value), null, `${name} = ${JSON.stringify(value)}`);

  assert.equal(checkValue(p.get('DEPTH')!, 'big'), 'DEPTH is an int; got "big" (a string)');
  assert.equal(checkValue(p.get('DEPTH')!, 8.5), 'DEPTH is an int; got 8.5 (a float)');
  assert.match(checkValue(p.get('EMBEDDING_LR')!, Number.POSITIVE_INFINITY)!, /EMBEDDING_LR is a float/);
  assert.match(checkValue(p.get('USE_COMPILE')!, 1)!, /USE_COMPILE is a bool/);
  assert.match(checkValue(p.get('WINDOW_PATTERN')!, 4)!, /WINDOW_PATTERN is a string; got 4/);
  assert.match(checkValue(p.get('ADAM_BETAS')!, [0.9, 0.95, 0.99])!, /ADAM_BETAS is a tuple of 2 items/);
  assert.match(checkValue(p.get('ADAM_BETAS')!, 0.9)!, /ADAM_BETAS is a tuple/);
  assert.equal(checkValue(p.get('ADAM_BETAS')!, [0.9, 'x']), 'ADAM_BETAS[1] is a float; got "x" (a string)');
  assert.match(checkValue(p.get('LAYER_SIZES')!, [[1.5, 2], [3, 4]])!, /LAYER_SIZES\[0\]\[0\] is an int/);
  assert.match(checkValue(p.get('LAYER_SIZES')!, [[1, 2, 3], [3, 4]])!, /LAYER_SIZES\[0\] is a list of 2 items/);
});
