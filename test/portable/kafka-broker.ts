// A Kafka broker for the portable streaming tests: RIFFLE_KAFKA_BROKERS when set (the Kafka tier's), else one KRaft
// node (broker + controller in one JVM, as .ci/tiers/kafka.sh starts it) on free loopback ports, its data in `dir`,
// from the Kafka jars bench/peers/kafka-setup.sh fetches from Maven Central once. Plus a topic filled with readings.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Admin, Producer } from '@platformatic/kafka';
import type { Reading } from './fixtures/stream-pipeline.ts';

const ROOT = resolve(import.meta.dirname, '../..');

export interface KafkaBroker {
  readonly brokers: string;
  stop(): Promise<void>;
}

const freePort = () =>
  new Promise<number>((done, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => done(port));
    });
  });

const listening = (port: number) =>
  new Promise<boolean>((done) => {
    const c = createConnection({ host: '127.0.0.1', port }, () => {
      c.destroy();
      done(true);
    });
    c.once('error', () => done(false));
  });

/** The broker given by RIFFLE_KAFKA_BROKERS, or a new one (stopped by `stop`). */
export async function startKafka(dir: string): Promise<KafkaBroker> {
  const given = process.env.RIFFLE_KAFKA_BROKERS;
  if (given) return { brokers: given, stop: async () => undefined };
  const lib = execFileSync('bash', [join(ROOT, 'bench/peers/kafka-setup.sh')], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').at(-1)!;
  mkdirSync(dir, { recursive: true });
  const [port, controller] = [await freePort(), await freePort()];
  const props = join(dir, 'server.properties');
  writeFileSync(props, [
    'process.roles=broker,controller', 'node.id=1', `controller.quorum.voters=1@127.0.0.1:${controller}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller}`, `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER', 'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT', `log.dirs=${join(dir, 'data')}`, 'num.partitions=1', 'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=3', 'transaction.state.log.replication.factor=1', 'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=3', 'share.coordinator.state.topic.replication.factor=1', 'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0', 'auto.create.topics.enable=false', '',
  ].join('\n'));
  const java = ['-Xms256m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-cp', `${lib}/*`];
  const id = execFileSync('java', [...java, 'kafka.tools.StorageTool', 'random-uuid'], { encoding: 'utf8' }).trim().split('\n').at(-1)!;
  execFileSync('java', [...java, 'kafka.tools.StorageTool', 'format', '-t', id, '-c', props], { stdio: 'ignore' });
  const log = join(dir, 'broker.log');
  const broker: ChildProcess = spawn('java', [...java, 'kafka.Kafka', props], { stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')] });
  const until = Date.now() + 120_000;
  while (!(await listening(port))) {
    if (broker.exitCode !== null) throw new Error(`the Kafka broker exited: ${readFileSync(log, 'utf8').slice(-2000)}`);
    if (Date.now() > until) throw new Error(`the Kafka broker did not listen within 120 s (${log})`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    brokers: `127.0.0.1:${port}`,
    stop: async () => {
      if (broker.exitCode !== null || broker.signalCode !== null) return;
      // Waits for the broker's exit (a timer that does not keep the event loop alive would leave this promise
      // pending when nothing else runs: node's test runner then fails the test).
      const exited = new Promise<void>((r) => broker.once('exit', () => r()));
      broker.kill('SIGTERM');
      const timer = setTimeout(() => broker.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * `n` readings over `keys` keys in a new topic of `partitions` partitions: reading i has key `k<i mod keys>`, n = i,
 * event time `start + i * stepMs` (in time order within each partition: a key's readings go to one partition).
 */
export async function fillReadings(brokers: string, topic: string, opts: { n: number; keys: number; partitions: number; start: number; stepMs: number }): Promise<void> {
  const bootstrapBrokers = brokers.split(',');
  const admin = new Admin({ clientId: 'riffle-test', bootstrapBrokers });
  await admin.createTopics({ topics: [topic], partitions: opts.partitions, replicas: 1 });
  await admin.close();
  const producer = new Producer({ clientId: 'riffle-test', bootstrapBrokers, idempotent: true });
  for (let i = 0; i < opts.n; i += 500) {
    const messages = Array.from({ length: Math.min(500, opts.n - i) }, (_, j) => {
      const r: Reading = { key: `k${(i + j) % opts.keys}`, n: i + j, ts: opts.start + (i + j) * opts.stepMs };
      return { topic, partition: ((i + j) % opts.keys) % opts.partitions, key: Buffer.from(r.key), value: Buffer.from(JSON.stringify(r)) };
    });
    await producer.send({ messages });
  }
  await producer.close();
}
