// The writer kafka-txn-fence.test.ts SIGKILLs mid-transaction: an exactly-once io.kafka writer (worker 0, the given
// transactional-id prefix, transactionTimeout 60 s) writes {i} 0–99 and prepares checkpoint 1 (printed as
// `prepared <json>`), then writes 100–199 into the next transaction, flushes it (printed `open`) and waits.
//   node --import tsx test/integration/kafka-txn-crash-child.ts <brokers> <topic> <prefix> [<worker> <workers>]
import * as kafka from '../../src/io/kafka/index.ts';

const [brokers, topic, prefix, worker = '0', workers = '1'] = process.argv.slice(2);
if (!brokers || !topic || !prefix) throw new Error('usage: kafka-txn-crash-child.ts <brokers> <topic> <prefix>');
const sink = kafka.kafkaSink<{ i: number }>(topic, { brokers: brokers.split(','), exactlyOnce: true, transactionalIdPrefix: prefix, transactionTimeout: '60s', key: (v) => String(v.i) });
const writer = await sink.open({ step: 'Write', worker: Number(worker), workers: Number(workers), signal: new AbortController().signal });
for (let i = 0; i < 100; i++) writer.write({ i }, 0);
await writer.flush();
const prepared = await writer.prepareCommit(1);
process.stdout.write(`prepared ${JSON.stringify(prepared)}\n`);
for (let i = 100; i < 200; i++) writer.write({ i }, 0);
await writer.flush();
process.stdout.write('open\n');
setInterval(() => {}, 1000);
