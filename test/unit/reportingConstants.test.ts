import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reportingOnlyConstants } from '../../src/core/target/reportingConstants';
import { proposeConfig } from '../../src/core/target/initTarget';

// Shaped like karpathy/autoresearch's train.py: the peak-FLOPs figure only feeds the MFU lines.
const TRAIN = `
H100_BF16_PEAK_FLOPS = 989.5e12
MATRIX_LR = 0.04
TOTAL_BATCH_SIZE = 2**19
LOG_EVERY = 10
UNUSED = 3
TIME_BUDGET = 300
lr = MATRIX_LR * 2
grad_accum = TOTAL_BATCH_SIZE // 1024
opt = make_optimizer(lr, grad_accum)
for step in range(10):
    dt = 0.1
    mfu = 100 * 6e6 * TOTAL_BATCH_SIZE / dt / H100_BF16_PEAK_FLOPS
    if step % LOG_EVERY == 0:
        print(f"step {step} mfu {mfu:.1f}%")
steady_state_mfu = 100 * TOTAL_BATCH_SIZE / H100_BF16_PEAK_FLOPS if dt > 0 else 0
print(f"mfu_percent: {steady_state_mfu:.2f}")
print(f"val_bpb: {lr:.4f}")
`;

test('constants that only feed printed figures are reporting-only; anything with a use in training is not', () => {
  assert.deepEqual(reportingOnlyConstants(TRAIN, ['H100_BF16_PEAK_FLOPS', 'MATRIX_LR', 'TOTAL_BATCH_SIZE', 'LOG_EVERY', 'UNUSED']), ['H100_BF16_PEAK_FLOPS']);
});

test('bilevel init freezes reporting-only constants and says so', () => {
  const dir = mkdtempSync(join(tmpdir(), 'init-reporting-'));
  writeFileSync(join(dir, 'train.py'), TRAIN);
  const { config, notes } = proposeConfig(dir);
  const frozen = (config.parameters as { frozen: string[] }).frozen;
  assert.ok(frozen.includes('H100_BF16_PEAK_FLOPS') && frozen.includes('TIME_BUDGET') && !frozen.includes('MATRIX_LR'), frozen.join());
  assert.ok(notes.some((n) => /only used in printed.*H100_BF16_PEAK_FLOPS/.test(n)), notes.join('\n'));
});
