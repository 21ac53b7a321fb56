/**
 * Apache Kafka in pipelines: `io.kafka.read` (partitions spread over the job's readers, offsets in checkpoints,
 * per-partition watermarks with idleness, read_committed, malformed messages to the error output, a bounded mode) and
 * `io.kafka.write` (idempotent producer, or transactions committed with checkpoints for exactly-once). The client
 * (@platformatic/kafka) loads only when a pipeline runs (see kafka-module.ts).
 *
 * @example
 * import { Pipeline, io, map } from 'riffle';
 * const p = Pipeline.create();
 * p.apply(io.kafka.read<{ amount: number }>('payments', { brokers: ['localhost:9092'], stopAt: 'latest' }))
 *   .apply(map((m) => m.value!))
 *   .apply(io.kafka.write('large-payments', { brokers: ['localhost:9092'], exactlyOnce: true }));
 */
export { read, KafkaSource, KafkaReader, fieldTimestamp, type KafkaMessage, type KafkaPosition } from './kafka-source.ts';
export { write, kafkaSink, KafkaSink, KafkaWriter, resumeCommit, fenceTransactions, TRANSACTIONAL_ID_POOL, type KafkaPrepared } from './kafka-sink.ts';
export { resolveRead, resolveWrite, type KafkaReadOptions, type KafkaWriteOptions, type KafkaStartOffsets, type KafkaTimestampPolicy } from './kafka-options.ts';
export { payloadCodec, type KafkaFormat, type PayloadCodec, type PayloadSpec } from './kafka-format.ts';
export { PartitionWatermarks, type PartitionWatermarkOptions } from './partition-watermarks.ts';
export { committedBatches, type AbortedTransaction, type BatchHeader } from './aborted-filter.ts';
export { KafkaError } from './kafka-errors.ts';
export { kafkaClient } from './kafka-module.ts';
