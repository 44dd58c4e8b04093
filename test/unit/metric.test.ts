import { test } from 'node:test';
import assert from 'node:assert/strict';
import { metricPattern, parseMetricValue, readMetrics, type MetricSpec } from '../../src/core/target/metric';

const valBpb: MetricSpec = { name: 'val_bpb', goal: 'minimize' };

const autoresearchSummary = [
  'step 00952 (100.0%) | loss: 3.012345 | lrm: 0.00 | dt: 310ms | tok/sec: 1,690,000 | mfu: 40.1% | epoch: 1 | remaining: 0s',
  '---',
  'val_bpb:          0.997900',
  'training_seconds: 300.1',
  'total_seconds:    325.9',
  'peak_vram_mb:     45060.2',
  'mfu_percent:      39.80',
  'total_tokens_M:   499.6',
  'num_steps:        953',
  'num_params_M:     50.3',
  'depth:            8',
];

test("autoresearch's summary block parses", () => {
  const reading = readMetrics(autoresearchSummary, valBpb);
  assert.equal(reading.metric, 0.9979);
  assert.deepEqual(reading.secondary, {});
  assert.equal(reading.invalidMetric, undefined);
});

test('no metric line gives null', () => {
  assert.equal(readMetrics(['training...', 'done'], valBpb).metric, null);
  assert.equal(readMetrics([], valBpb).metric, null);
});

test('the last value wins over intermediate ones', () => {
  const lines = ['val_bpb: 1.5', 'step 100', 'val_bpb = 1.2', 'step 200', '  val_bpb:0.9'];
  assert.equal(readMetrics(lines, valBpb).metric, 0.9);
});

test('numbers with sign and exponent parse; the name must be at the start of the line and match exactly', () => {
  assert.equal(readMetrics(['val_bpb: 1.5e-3'], valBpb).metric, 0.0015);
  assert.equal(readMetrics(['val_bpb: -2'], valBpb).metric, -2);
  assert.equal(readMetrics(['val_bpb: +.5'], valBpb).metric, 0.5);
  assert.equal(readMetrics(['val_bpb: 3. (best so far)'], valBpb).metric, 3);
  assert.equal(readMetrics(['val_bpb_ema: 0.5'], valBpb).metric, null);
  assert.equal(readMetrics(['ema_val_bpb: 0.5'], valBpb).metric, null);
  assert.equal(readMetrics(['log: val_bpb: 0.5'], valBpb).metric, null);
  assert.equal(readMetrics(['val_bpb: 0.5e'], valBpb).metric, null);
  assert.equal(readMetrics(['val_bpb: abc'], valBpb).metric, null);
});

test('metric names with regex characters are matched literally', () => {
  const spec: MetricSpec = { name: 'val/loss(x)', goal: 'minimize' };
  assert.equal(readMetrics(['val/loss(x): 2.5'], spec).metric, 2.5);
  assert.equal(readMetrics(['valAloss(x): 2.5'], spec).metric, null);
});

test('secondary metrics are read, last value wins, missing ones are absent', () => {
  const spec: MetricSpec = {
    ...valBpb,
    secondary: [{ name: 'peak_vram_mb' }, { name: 'num_steps' }, { name: 'mfu', regex: String.raw`mfu: ([\d.]+)%` }, { name: 'absent' }],
  };
  const reading = readMetrics([...autoresearchSummary, 'num_steps: 960'], spec);
  assert.equal(reading.metric, 0.9979);
  assert.deepEqual(reading.secondary, { peak_vram_mb: 45060.2, num_steps: 960, mfu: 40.1 });
});

test('a custom regex takes the number from its capture group', () => {
  const spec: MetricSpec = { name: 'acc', regex: String.raw`Accuracy on test set = ([\d.]+)%`, goal: 'maximize' };
  assert.equal(readMetrics(['epoch 1', 'Accuracy on test set = 91.25%', 'Accuracy on test set = 92.5%'], spec).metric, 92.5);
  assert.equal(readMetrics(['accuracy on test set = 91.25%'], spec).metric, null);
});

test('a custom regex that does not compile is an error naming metric.regex', () => {
  assert.throws(() => metricPattern('val_bpb', 'val_bpb: ([0-9.]+'), (e: Error) => /metric\.regex/.test(e.message) && /does not compile/.test(e.message));
});

test('a custom regex needs exactly one capture group', () => {
  assert.throws(() => metricPattern('val_bpb', String.raw`val_bpb: [\d.]+`), (e: Error) => /metric\.regex/.test(e.message) && /has 0/.test(e.message));
  assert.throws(() => metricPattern('val_bpb', String.raw`(val|test)_bpb: ([\d.]+)`), (e: Error) => /metric\.regex/.test(e.message) && /has 2/.test(e.message));
  assert.throws(() => metricPattern('val_bpb', ''), /metric\.regex/);
  assert.doesNotThrow(() => metricPattern('val_bpb', String.raw`(?:val|test)_bpb: ([\d.]+)`));
  assert.throws(() => readMetrics(['x'], { name: 'val_bpb', regex: 'no group', goal: 'minimize' }), /metric\.regex/);
});

test('nan and inf are not metrics, and a final nan overrides an earlier finite value', () => {
  for (const bad of ['nan', 'NaN', 'inf', '-inf', 'Infinity', '1e999']) {
    const reading = readMetrics(['val_bpb: 1.1', `val_bpb: ${bad}`], valBpb);
    assert.equal(reading.metric, null, bad);
    assert.equal(reading.invalidMetric, bad, bad);
  }
  assert.equal(readMetrics(['val_bpb: nan', 'val_bpb: 1.1'], valBpb).metric, 1.1);
  assert.equal(readMetrics(['val_bpb: nan', 'val_bpb: 1.1'], valBpb).invalidMetric, undefined);
  const custom: MetricSpec = { name: 'loss', regex: 'loss=(\\S+)', goal: 'minimize' };
  assert.equal(readMetrics(['loss=0.5', 'loss=nan'], custom).metric, null);
  const secondary: MetricSpec = { ...valBpb, secondary: [{ name: 'loss' }] };
  assert.deepEqual(readMetrics(['loss: 2', 'loss: nan'], secondary).secondary, {});
});

test('parseMetricValue accepts finite decimals only', () => {
  assert.equal(parseMetricValue(' 0.25 '), 0.25);
  assert.equal(parseMetricValue('1E3'), 1000);
  assert.equal(parseMetricValue(''), null);
  assert.equal(parseMetricValue('0x10'), null);
  assert.equal(parseMetricValue('tensor(0.5)'), null);
  assert.equal(parseMetricValue('nan'), null);
});

test('the goal does not affect parsing', () => {
  const lines = ['val_bpb: 2', 'val_bpb: 1'];
  assert.deepEqual(readMetrics(lines, { ...valBpb, goal: 'maximize' }), readMetrics(lines, valBpb));
  assert.equal(readMetrics(lines, { ...valBpb, goal: 'maximize' }).metric, 1);
});

test('lines with a trailing carriage return still parse', () => {
  assert.equal(readMetrics(['val_bpb: 0.75\r'], valBpb).metric, 0.75);
});
