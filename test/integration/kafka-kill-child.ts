// The pipeline kafka-kill.test.ts SIGKILLs: Kafka topic `in` → a slow map → Kafka topic `out` with exactly-once
// transactions, checkpointed every 150 ms, resumed from the newest checkpoint when RESUME=1.
//   node --import tsx test/integration/kafka-kill-child.ts <brokers> <in> <out> <checkpoint dir> <resume 0|1>
// KILL_AT_LEAST_ONCE=1 writes with the idempotent producer instead (the control: the test then counts duplicates).
import { Pipeline } from '../../src/index.ts';
import * as kafka from '../../src/io/kafka/index.ts';

const [brokers, input, output, checkpointDir, resume] = process.argv.slice(2);
if (!brokers || !input || !output || !checkpointDir) throw new Error('usage: kafka-kill-child.ts <brokers> <in> <out> <checkpoint dir> <resume>');
const pause = new Int32Array(new SharedArrayBuffer(4));

const p = Pipeline.create();
p.apply(kafka.read<{ i: number }>(input, { brokers: [brokers], stopAt: 'latest', maxBytesPerPartition: 2048 }))
  .map((m) => {
    if (m.value!.i % 50 === 0) Atomics.wait(pause, 0, 0, 25);
    return { i: m.value!.i, from: `${m.partition}:${m.offset}` };
  })
  .apply(kafka.write<{ i: number; from: string }>(output, { brokers: [brokers], exactlyOnce: process.env.KILL_AT_LEAST_ONCE !== '1', key: (v) => String(v.i), ...(process.env.KILL_AT_LEAST_ONCE !== '1' ? { transactionTimeout: '8s' } : {}) }));
process.stdout.write('start\n');
const result = await p.run({ checkpointDir, checkpointIntervalMs: 150, resume: resume === '1', log: () => {} });
process.stdout.write(`${result.state}\n`);
