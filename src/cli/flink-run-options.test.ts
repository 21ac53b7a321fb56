import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRunnerFlags, readRunnerFlag, type RunnerFlags } from './flink-run-options.ts';

const read = (name: string, value: string | boolean): RunnerFlags => {
  const into: RunnerFlags = {};
  readRunnerFlag(name, value, into);
  return into;
};

test('runner flags are read and checked', () => {
  assert.deepEqual(read('runner', 'flink'), { runner: 'flink' });
  assert.deepEqual(read('flink-master', '[local]'), { flinkMaster: '[local]' });
  assert.deepEqual(read('flink-master', 'jm.example:8081'), { flinkMaster: 'jm.example:8081' });
  assert.deepEqual(read('parallelism', '4'), { parallelism: 4 });
  assert.equal(readRunnerFlag('output', 'x', {}), false);
});

test('unknown values are usage errors naming the flag', () => {
  assert.throws(() => read('runner', 'spark'), /--runner takes local or flink \(got 'spark'\)/);
  assert.throws(() => read('runner', true), /--runner takes local or flink/);
  assert.throws(() => read('flink-master', 'local'), /--flink-master takes \[local\], \[auto\] or a JobManager's host:port/);
  assert.throws(() => read('flink-master', 'host:port'), /--flink-master/);
  for (const bad of ['0', '-1', '1.5', 'two', '']) assert.throws(() => read('parallelism', bad), /--parallelism takes a whole number ≥ 1/);
});

test('flags of one runner are refused with the other', () => {
  assert.throws(() => checkRunnerFlags({ parallelism: 2 }), /--parallelism applies to --runner=flink/);
  assert.throws(() => checkRunnerFlags({ runner: 'local', flinkMaster: '[local]', parallelism: 2 }), /--flink-master and --parallelism apply to --runner=flink/);
  assert.throws(() => checkRunnerFlags({ runner: 'flink', workers: 2, checkpointDir: 'ck' }), /--workers, --checkpoint-dir apply to the embedded engine/);
  assert.doesNotThrow(() => checkRunnerFlags({ runner: 'flink', flinkMaster: '[local]', parallelism: 2, json: false }));
  assert.doesNotThrow(() => checkRunnerFlags({ runner: 'local' }));
  // --checkpoint-interval is Flink's checkpointing interval with --runner=flink (a streaming job's checkpoints).
  assert.doesNotThrow(() => checkRunnerFlags({ runner: 'flink', checkpointIntervalMs: 2000 }));
});
