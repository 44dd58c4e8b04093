import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWorkers } from '../../src/core/executors/createWorkers';
import { ConfigError, parseTargetConfig } from '../../src/core/target/targetConfig';

const base = { editable: ['train.py'], parameters: { file: 'train.py' }, run: { command: 'python3 train.py' }, metric: { name: 'val_bpb' } };
const withWorkers = (workers: unknown[]) => parseTargetConfig({ ...base, workers });

function problems(workers: unknown[]): string {
  try {
    withWorkers(workers);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message;
  }
  assert.fail('expected a ConfigError');
}

test('workers of every kind are read and built with the executor of their kind', () => {
  const config = withWorkers([
    { kind: 'local', gpu: 1 },
    { kind: 'ssh', host: 'gpu-box', remoteDir: '~/repo', gpu: 0, env: { HF_HOME: '/data/hf' } },
    { kind: 'slurm', partition: 'gpu', gpus: 'a100:1', timeLimitMinutes: 30, directives: ['--mem=32G'], maxQueueMinutes: 60 },
  ]);
  const workers = createWorkers(config.workers);
  assert.deepEqual(
    workers.map((w) => w.executor.kind),
    ['local', 'ssh', 'slurm'],
  );
  assert.deepEqual(workers[0].env, { CUDA_VISIBLE_DEVICES: '1' });
  assert.deepEqual(workers[1].env, { HF_HOME: '/data/hf', CUDA_VISIBLE_DEVICES: '0' });
  assert.deepEqual(workers[2].env, {});
  // Remote executors can check their place before a run; the local one has nothing to check.
  assert.equal(typeof workers[1].executor.preflight, 'function');
  assert.equal(typeof workers[2].executor.preflight, 'function');
  assert.equal(workers[0].executor.preflight, undefined);
});

test('the default is one local worker', () => {
  assert.deepEqual(parseTargetConfig(base).workers, [{ kind: 'local' }]);
});

test('an ssh worker needs host and remoteDir', () => {
  const message = problems([{ kind: 'ssh', host: 'gpu-box' }]);
  assert.match(message, /workers\.0\.remoteDir: required field is missing/);
  assert.match(problems([{ kind: 'ssh', host: '-oProxyCommand=x', remoteDir: 'r' }]), /workers\.0\.host/);
});

test('a field of another kind is an error, not silently ignored', () => {
  const message = problems([
    { kind: 'slurm', host: 'gpu-box' },
    { kind: 'local', partition: 'gpu' },
    { kind: 'slurm', gpu: 0 },
  ]);
  assert.match(message, /workers\[0\]\.host: only for kind ssh, not slurm/);
  assert.match(message, /workers\[1\]\.partition: only for kind slurm, not local/);
  assert.match(message, /workers\[2\]\.gpu: only for kind local or ssh, not slurm/);
});

test('two ssh workers on one remote copy are refused; on two copies of one host they are fine', () => {
  const message = problems([
    { kind: 'ssh', host: 'gpu-box', remoteDir: '~/repo', gpu: 0 },
    { kind: 'ssh', host: 'gpu-box', remoteDir: '~/repo/', gpu: 1 },
  ]);
  assert.match(message, /workers\[1\]: same host and remoteDir as workers\[0\]/);
  const ok = withWorkers([
    { kind: 'ssh', host: 'gpu-box', remoteDir: '~/repo-0', gpu: 0 },
    { kind: 'ssh', host: 'gpu-box', remoteDir: '~/repo-1', gpu: 1 },
  ]);
  assert.equal(ok.workers.length, 2);
});

test('slurm settings Slurm would refuse are config errors', () => {
  assert.match(problems([{ kind: 'slurm', timeLimitMinutes: 1.5 }]), /workers\.0\.timeLimitMinutes: must be integer/);
  assert.match(problems([{ kind: 'slurm', directives: ['--mem=1G\n#SBATCH --x'] }]), /workers\[0\]\.directives\[0\]: one option per directive/);
});
