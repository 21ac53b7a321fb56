// The pipeline kafka-idle.test.ts runs on 2 workers: an unbounded Kafka read (no end) of a 2-partition topic whose
// partition 1 stays empty, counted per 1 s event-time window; each fired count is appended to a file of the thread's own.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { combine, Pipeline, window, type KV } from '../../src/index.ts';
import * as kafka from '../../src/io/kafka/index.ts';
import { parDo } from '../../src/transforms/index.ts';

export default Pipeline.define({ params: { brokers: 'string', topic: 'string', output: 'string' } }, (p, { brokers, topic, output }) => {
  mkdirSync(output, { recursive: true });
  const file = join(output, `windows-${threadId}.txt`);
  p.apply(kafka.read<{ i: number }>(topic, { brokers: brokers.split(','), idleTimeout: '500ms' }))
    .apply('Windows', window.into<kafka.KafkaMessage<{ i: number }>>(window.fixed('1s')))
    .apply('Count', combine.perKey((_m: kafka.KafkaMessage<{ i: number }>) => 'all', combine.count()))
    .apply(
      parDo({
        process(e: KV<string, number>, ctx) {
          appendFileSync(file, `${ctx.timestamp} ${e.value}\n`);
        },
      }),
    );
});
