/**
 * The Kafka client (@platformatic/kafka, see README.md for the choice) and avsc, as io.kafka uses them: loaded when a
 * reader or writer opens, so that `import { io } from 'riffle'` loads neither (see ../lazy-module.ts).
 */
import { lazyModule } from '../lazy-module.ts';

export const kafkaClient = lazyModule('the Kafka client (@platformatic/kafka)', () => import('@platformatic/kafka'));
export const avroModule = lazyModule('the Avro library (avsc)', async () => (await import('avsc')).default);

/** The client's module type, for signatures. */
export type KafkaClientModule = typeof import('@platformatic/kafka');
