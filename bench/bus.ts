/**
 * `npm run bench:bus`: Riffle's message bus through its server against Apache Kafka, on the same machine, in the same
 * run. 1 KB messages. Riffle runs as `riffle bus serve --fsync interval` in its own process (group commit: a publish
 * is answered after the fsync that covers it); the load comes from this process through `connectBus` (HTTP publish,
 * WebSocket streaming pull). Kafka is one KRaft broker from Maven Central's jars, driven by its own perf tools
 * (bench/peers/kafka-bench.sh).
 *
 * Phases, each for both systems:
 *   produce   publish N messages as fast as possible (Riffle: C concurrent publishers, batches of B)
 *   consume   read the N messages back (Riffle: a streaming pull, acking every message)
 *   half      publish at half the maximum rate for ~10 s while a subscriber receives: Riffle's end-to-end latency
 *             (send → receive) at half of min(produce, consume); Kafka's ProducerPerformance reports send → ack
 *             latency at half its produce rate
 *   serial    one message at a time: publish, receive, ack (Kafka: EndToEndLatency)
 * CPU seconds add the server's (broker's) CPU and the load generator's.
 *
 *   npm run bench:bus -- [--messages 200000] [--size 1024] [--publishers 4] [--batch 500] [--no-kafka] [--json]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bus as busIo } from '../src/io/index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(`--${name}`);
const value = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const MESSAGES = value('messages', 200_000);
const SIZE = value('size', 1024);
const PUBLISHERS = value('publishers', 4);
const BATCH = value('batch', 500);
const SERIAL = value('serial', 2000);
const HALF_SECONDS = value('half-seconds', 10);
/** `--server-cpu-prof DIR`: the server writes a V8 CPU profile there when it exits (profile the client with `node --cpu-prof`). */
const SERVER_PROFILE = args.includes('--server-cpu-prof') ? args[args.indexOf('--server-cpu-prof') + 1] : undefined;

interface Phase {
  messagesPerSec?: number;
  mbPerSec?: number;
  p50Ms?: number;
  p99Ms?: number;
  cpuSeconds?: number;
  messages?: number;
  note?: string;
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const ticks = Number(spawnSync('getconf', ['CLK_TCK']).stdout.toString().trim()) || 100;
/** CPU seconds of another process (utime + stime). */
function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticks;
}
const selfCpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Runs `fn` and returns its CPU seconds: this process's plus the server's. */
async function measured<T>(serverPid: number, fn: () => Promise<T>): Promise<{ result: T; cpu: number; seconds: number }> {
  const c0 = selfCpu() + cpuOf(serverPid);
  const t0 = performance.now();
  const result = await fn();
  const seconds = (performance.now() - t0) / 1000;
  return { result, cpu: selfCpu() + cpuOf(serverPid) - c0, seconds };
}

function payload(i: number): Uint8Array {
  const data = Buffer.alloc(SIZE);
  for (let j = 8; j < SIZE; j++) data[j] = (i * 31 + j) & 0xff;
  return data;
}

/** Starts `riffle bus serve` on a free port over a new directory. */
async function startServer(dir: string): Promise<{ child: ChildProcess; url: string }> {
  // The `riffle` CLI once `bus` is registered in src/cli/commands.ts; until then the bus command alone.
  const registered = /bus-command/.test(readFileSync(join(root, 'src/cli/commands.ts'), 'utf8'));
  const entry = registered ? 'src/cli/main.ts' : 'src/cli/fixtures/bus-cli.ts';
  const profile = SERVER_PROFILE !== undefined ? ['--cpu-prof', '--cpu-prof-dir', SERVER_PROFILE] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', entry, 'bus', 'serve', '--dir', dir, '--port', '0', '--fsync', 'interval', '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line !== undefined) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`riffle bus serve exited with ${code} before listening`)));
  });
  return { child, url };
}

async function riffle(): Promise<Record<string, Phase>> {
  const dir = mkdtempSync(join(os.tmpdir(), 'riffle-bench-bus-'));
  const { child, url } = await startServer(dir);
  const pid = child.pid!;
  const bus = await busIo.connectBus(url);
  const out: Record<string, Phase> = {};
  try {
    await bus.createTopic('bench');
    await bus.createSubscription('bench-sub', { topic: 'bench', ackDeadline: '60s' });

    // 1. produce
    const batchLatencies: number[] = [];
    const messages = Array.from({ length: BATCH }, (_x, i) => ({ data: payload(i) }));
    const produce = await measured(pid, async () => {
      let next = 0;
      await Promise.all(
        Array.from({ length: PUBLISHERS }, async () => {
          while (next < MESSAGES) {
            const n = Math.min(BATCH, MESSAGES - next);
            next += n;
            const t = performance.now();
            await bus.publish('bench', n === BATCH ? messages : messages.slice(0, n));
            batchLatencies.push(performance.now() - t);
          }
        }),
      );
    });
    batchLatencies.sort((a, b) => a - b);
    const rate = MESSAGES / produce.seconds;
    out.produce = { messages: MESSAGES, messagesPerSec: rate, mbPerSec: (rate * SIZE) / 1e6, p50Ms: percentile(batchLatencies, 50), p99Ms: percentile(batchLatencies, 99), cpuSeconds: produce.cpu, note: `${PUBLISHERS} publishers, batches of ${BATCH}; latency = publish call` };

    // 2. consume (streaming pull, every message acked)
    const consume = await measured(pid, async () => {
      const stream = bus.streamingPull('bench-sub', { maxOutstandingMessages: 5000, maxOutstandingBytes: 64 * 1024 * 1024 });
      let got = 0;
      const acks: Array<Promise<unknown>> = [];
      for await (const m of stream) {
        acks.push(m.ack());
        if (++got >= MESSAGES) break;
      }
      await Promise.all(acks);
      await stream.close();
      return got;
    });
    const crate = consume.result / consume.seconds;
    out.consume = { messages: consume.result, messagesPerSec: crate, mbPerSec: (crate * SIZE) / 1e6, cpuSeconds: consume.cpu, note: 'streaming pull, acked' };

    // 3. end to end at half the maximum rate: the rate the bus sustains from publisher to subscriber, i.e. the lower
    // of the produce and consume rates (past it the backlog, and so the latency, grows without bound).
    await bus.createSubscription('bench-e2e', { topic: 'bench', ackDeadline: '60s' });
    const half = Math.max(1, Math.floor(Math.min(rate, crate) / 2));
    const total = Math.min(half * HALF_SECONDS, MESSAGES);
    const halfRun = await measured(pid, async () => {
      const latencies: number[] = [];
      const stream = bus.streamingPull('bench-e2e', { maxOutstandingMessages: 5000 });
      const receiving = (async () => {
        for await (const m of stream) {
          const sent = Buffer.from(m.data.buffer, m.data.byteOffset, 8).readDoubleLE(0);
          latencies.push(performance.now() - sent);
          void m.ack();
          if (latencies.length >= total) break;
        }
      })();
      const start = performance.now();
      let sent = 0;
      const pending: Array<Promise<unknown>> = [];
      while (sent < total) {
        const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * half));
        if (due > sent) {
          const now = performance.now();
          const batch: busIo.PublishMessage[] = [];
          for (let i = sent; i < due; i++) {
            const data = Buffer.from(payload(i));
            data.writeDoubleLE(now, 0);
            batch.push({ data });
          }
          sent = due;
          pending.push(bus.publish('bench', batch));
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      await Promise.all(pending);
      await receiving;
      await stream.close();
      return latencies.sort((a, b) => a - b);
    });
    out.half = { messages: total, messagesPerSec: total / halfRun.seconds, p50Ms: percentile(halfRun.result, 50), p99Ms: percentile(halfRun.result, 99), cpuSeconds: halfRun.cpu, note: `target ${half}/s = min(produce, consume) / 2; latency = send → receive (paced every 2 ms)` };

    // 4. serial round trips
    await bus.createSubscription('bench-serial', { topic: 'bench', ackDeadline: '60s' });
    const serial = await measured(pid, async () => {
      const stream = bus.streamingPull('bench-serial', { maxOutstandingMessages: 10 });
      const it = stream[Symbol.asyncIterator]();
      const latencies: number[] = [];
      const data = payload(0);
      for (let i = 0; i < SERIAL; i++) {
        const t = performance.now();
        await bus.publish('bench', [{ data }]);
        const r = await it.next();
        if (r.done) throw new Error('the serial stream ended');
        latencies.push(performance.now() - t);
        await r.value.ack();
      }
      await stream.close();
      return latencies.sort((a, b) => a - b);
    });
    out.serial = { messages: SERIAL, p50Ms: percentile(serial.result, 50), p99Ms: percentile(serial.result, 99), cpuSeconds: serial.cpu, note: 'publish, receive, ack; one at a time' };
  } finally {
    await bus.close();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

async function kafka(): Promise<Record<string, Phase> | { error: string }> {
  const child = spawn('bash', [join(root, 'bench/peers/kafka-bench.sh'), '--messages', String(MESSAGES), '--size', String(SIZE), '--e2e-messages', String(SERIAL)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  const results = stdout.split('\n').filter((l) => l.startsWith('RESULT ')).map((l) => JSON.parse(l.slice(7)) as Record<string, number | string>);
  if (code !== 0 || results.length === 0) return { error: `kafka-bench.sh exited with ${code}: ${stderr.trim().split('\n').slice(-5).join(' | ')}` };
  const by = Object.fromEntries(results.map((r) => [r.phase as string, r]));
  const num = (x: unknown): number | undefined => (typeof x === 'number' ? x : undefined);
  const out: Record<string, Phase> = {};
  if (by.produce) out.produce = { messages: num(by.produce.messages), messagesPerSec: num(by.produce.messagesPerSec), mbPerSec: (num(by.produce.messagesPerSec) ?? 0) * SIZE / 1e6, p50Ms: num(by.produce.ackP50Ms), p99Ms: num(by.produce.ackP99Ms), cpuSeconds: num(by.produce.cpuSeconds), note: 'ProducerPerformance, acks=all; latency = send → ack' };
  if (by.consume) out.consume = { messages: num(by.consume.messages), messagesPerSec: num(by.consume.messagesPerSec), mbPerSec: (num(by.consume.messagesPerSec) ?? 0) * SIZE / 1e6, cpuSeconds: num(by.consume.cpuSeconds), note: 'ConsumerPerformance (incl. group join)' };
  if (by.half) out.half = { messages: num(by.half.messages), messagesPerSec: num(by.half.messagesPerSec), p50Ms: num(by.half.ackP50Ms), p99Ms: num(by.half.ackP99Ms), cpuSeconds: num(by.half.cpuSeconds), note: `target ${by.half.targetPerSec}/s; latency = send → ack` };
  if (by.e2e) out.serial = { messages: num(by.e2e.messages), p50Ms: num(by.e2e.p50Ms), p99Ms: num(by.e2e.p99Ms), cpuSeconds: num(by.e2e.cpuSeconds), note: 'EndToEndLatency (produce, consume, commit)' };
  return out;
}

function fmt(n: number | undefined, digits = 1): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  return n >= 1000 ? Math.round(n).toLocaleString('en-US') : n.toFixed(digits);
}

function table(r: Record<string, Phase>, k: Record<string, Phase> | undefined): string {
  const rows: string[][] = [['phase', 'metric', 'riffle', 'kafka', 'riffle/kafka']];
  const add = (phase: string, metric: string, key: keyof Phase, digits = 1, higherIsBetter = true) => {
    const a = r[phase]?.[key] as number | undefined;
    const b = k?.[phase]?.[key] as number | undefined;
    const ratio = a !== undefined && b !== undefined && b !== 0 ? `${(a / b).toFixed(2)}×${higherIsBetter ? '' : ' (lower is better)'}` : '-';
    rows.push([phase, metric, fmt(a, digits), fmt(b, digits), ratio]);
  };
  add('produce', 'messages/s', 'messagesPerSec');
  add('produce', 'MB/s', 'mbPerSec');
  add('produce', 'CPU s', 'cpuSeconds', 2, false);
  add('consume', 'messages/s', 'messagesPerSec');
  add('consume', 'MB/s', 'mbPerSec');
  add('consume', 'CPU s', 'cpuSeconds', 2, false);
  add('half', 'messages/s', 'messagesPerSec');
  add('half', 'p50 ms', 'p50Ms', 2, false);
  add('half', 'p99 ms', 'p99Ms', 2, false);
  add('half', 'CPU s', 'cpuSeconds', 2, false);
  add('serial', 'p50 ms', 'p50Ms', 2, false);
  add('serial', 'p99 ms', 'p99Ms', 2, false);
  add('serial', 'CPU s', 'cpuSeconds', 2, false);
  const widths = rows[0]!.map((_h, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return rows.map((row) => row.map((cell, c) => (c >= 2 && c <= 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n');
}

const r = await riffle();
const k = flag('no-kafka') ? { error: 'skipped (--no-kafka)' } : await kafka();
const kafkaPhases = 'error' in k ? undefined : (k as Record<string, Phase>);
if (flag('json')) {
  console.log(JSON.stringify({ messages: MESSAGES, size: SIZE, cores: os.cpus().length, loadAverage: os.loadavg(), riffle: r, kafka: k }, null, 2));
} else {
  console.log(`bus benchmark: ${MESSAGES.toLocaleString('en-US')} messages of ${SIZE} bytes; Riffle through 'riffle bus serve --fsync interval'; Kafka ${'error' in k ? `not run: ${k.error}` : 'KRaft, one broker, one partition, its perf tools'}`);
  console.log(table(r, kafkaPhases));
  console.log('\nnotes:');
  for (const [phase, p] of Object.entries(r)) console.log(`  riffle ${phase}: ${p.note ?? ''}`);
  if (kafkaPhases) for (const [phase, p] of Object.entries(kafkaPhases)) console.log(`  kafka  ${phase}: ${p.note ?? ''}`);
  const ratio = (phase: string): string => {
    const k = kafkaPhases?.[phase]?.messagesPerSec;
    const x = r[phase]?.messagesPerSec;
    return k === undefined || x === undefined || k === 0 ? 'n/a' : `${(x / k).toFixed(2)}× → ${x / k >= 1 / 1.5 ? 'met' : 'not met'}`;
  };
  console.log(`\ntargets: within 1.5× of Kafka's throughput (≥ 0.67×): produce ${ratio('produce')}, consume ${ratio('consume')}; ` +
    `p99 < 50 ms at half the max rate: ${fmt(r.half?.p99Ms, 2)} ms → ${(r.half?.p99Ms ?? Infinity) < 50 ? 'met' : 'not met'}`);
  console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at the end (other processes share the cores: compare CPU seconds too)`);
}
