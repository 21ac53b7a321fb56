// The pipeline kafka-rescale.test.ts runs through `riffle run` on N workers with checkpoints, SIGKILLs, and resumes at
// the same or a smaller N: Kafka topic `input` (read to its end) → a slow map → Kafka topic `output`, exactly-once.
//   riffle run test/integration/kafka-rescale-pipeline.ts --brokers=B --input=T --output=U --workers 2 --checkpoint-dir C --checkpoint-interval 150ms
import { Pipeline } from '../../src/index.ts';
import * as kafka from '../../src/io/kafka/index.ts';

const pause = new Int32Array(new SharedArrayBuffer(4));

export default Pipeline.define({ params: { brokers: 'string', input: 'string', output: 'string' } }, (p, { brokers, input, output }) => {
  p.apply(kafka.read<{ i: number }>(input, { brokers: brokers.split(','), stopAt: 'latest', maxBytesPerPartition: 2048 }))
    .map((m) => {
      if (m.value!.i % 50 === 0) Atomics.wait(pause, 0, 0, 25);
      return { i: m.value!.i, from: `${m.partition}:${m.offset}` };
    })
    .apply(kafka.write<{ i: number; from: string }>(output, { brokers: brokers.split(','), exactlyOnce: true, key: (v) => String(v.i), transactionTimeout: '8s' }));
});
