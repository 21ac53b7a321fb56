// The pipeline kafka-workers.test.ts runs on N workers: a Kafka topic read to its end (stopAt 'latest'), each message
// recorded as `partition:offset` with the thread that read it, in a file of that thread's own.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { Pipeline } from '../../src/index.ts';
import * as kafka from '../../src/io/kafka/index.ts';
import { parDo } from '../../src/transforms/index.ts';

export default Pipeline.define({ params: { brokers: 'string', topic: 'string', output: 'string' } }, (p, { brokers, topic, output }) => {
  mkdirSync(output, { recursive: true });
  const file = join(output, `read-${threadId}.txt`);
  p.apply(kafka.read<{ i: number }>(topic, { brokers: brokers.split(','), stopAt: 'latest', maxBytesPerPartition: 4096 })).apply(
    parDo({
      process(m: kafka.KafkaMessage<{ i: number }>) {
        appendFileSync(file, `${m.partition}:${m.offset}:${m.value!.i}\n`);
      },
    }),
  );
});
