// Throughput of the exchange between worker threads: elements/s, MB/s of encoded bundles, and CPU seconds, for
// 1→1 (one producer thread, one consumer thread) and 2→2 all-to-all by key group, with small and large bundles;
// and, for 1→1, the same bundles as transferred ArrayBuffers over a MessagePort (the alternative transport).
// Run:  node --import tsx bench/exchange.ts [elements per producer, default 2000000] [--json]
// CPU seconds are the whole process's (all threads) from the start signal to the end: the machines are shared, so
// read CPU-seconds per million elements beside the wall-clock rates.
import { MessageChannel } from 'node:worker_threads';
import { WorkerPool } from '../src/runner/exchange/index.ts';
import type { ExchangeBenchData, ExchangeBenchResult } from './exchange-worker.ts';

const args = process.argv.slice(2);
const json = args.includes('--json');
const ELEMENTS = Number(args.find((a) => !a.startsWith('--')) ?? 2_000_000);
const module = new URL('./exchange-worker.ts', import.meta.url);

interface Scenario {
  name: string;
  transport: ExchangeBenchData['transport'];
  producers: number[];
  partitioning: ExchangeBenchData['partitioning'];
  valueBytes: number;
  bundleBytes: number;
}

const scenarios: Scenario[] = [];
for (const [valueBytes, label] of [[16, '32 B elements'], [1000, '1 KB elements']] as const) {
  for (const bundleBytes of [4 * 1024, 256 * 1024]) {
    const b = `${bundleBytes / 1024} KiB bundles`;
    scenarios.push({ name: `1→1 ring, ${label}, ${b}`, transport: 'ring', producers: [0], partitioning: 'single', valueBytes, bundleBytes });
    scenarios.push({ name: `1→1 postMessage, ${label}, ${b}`, transport: 'postMessage', producers: [0], partitioning: 'single', valueBytes, bundleBytes });
    scenarios.push({ name: `2→2 ring all-to-all, ${label}, ${b}`, transport: 'ring', producers: [0, 1], partitioning: 'hash', valueBytes, bundleBytes });
  }
}

interface Row {
  scenario: string;
  elements: number;
  seconds: number;
  elementsPerSec: number;
  mbPerSec: number;
  cpuSeconds: number;
  cpuSecondsPerMillion: number;
}

async function run(s: Scenario): Promise<Row> {
  const elements = s.valueBytes > 100 ? Math.ceil(ELEMENTS / 10) : ELEMENTS;
  const base: ExchangeBenchData = { transport: s.transport, producers: s.producers, partitioning: s.partitioning, elements, valueBytes: s.valueBytes, bundleBytes: s.bundleBytes };
  const channel = s.transport === 'postMessage' ? new MessageChannel() : undefined;
  const pool = WorkerPool.start({
    workers: 2,
    module,
    exchanges: ['bench'],
    ringBytes: 1 << 20,
    dataFor: (i) => (channel ? { data: { ...base, port: i === 0 ? channel.port1 : channel.port2 }, transferList: [i === 0 ? channel.port1 : channel.port2] } : { data: base }),
  });
  // Wait until both workers have loaded, then start them together and measure from there.
  await pool.control({ loaded: true });
  const cpu0 = process.cpuUsage();
  await pool.control({ go: true });
  const reports = (await pool.result).map((r) => r.result as ExchangeBenchResult);
  const cpu = process.cpuUsage(cpu0);
  const start = Math.min(...reports.map((r) => r.startedAt));
  const end = Math.max(...reports.map((r) => r.endedAt));
  const received = reports.reduce((a, r) => a + r.received, 0);
  const shipped = reports.reduce((a, r) => a + (s.transport === 'ring' ? r.shippedBytes : r.received > 0 ? r.shippedBytes : 0), 0);
  const expected = elements * s.producers.length;
  if (received !== expected) throw new Error(`${s.name}: received ${received} of ${expected} elements`);
  const seconds = (end - start) / 1000;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    scenario: s.name,
    elements: received,
    seconds: round(seconds, 3),
    elementsPerSec: Math.round(received / seconds),
    mbPerSec: round(shipped / 1e6 / seconds, 1),
    cpuSeconds: round(cpuSeconds, 2),
    cpuSecondsPerMillion: round((cpuSeconds / received) * 1e6, 2),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

const rows: Row[] = [];
for (const s of scenarios) rows.push(await run(s));
if (json) console.log(JSON.stringify({ elementsPerProducer: ELEMENTS, rows }, null, 2));
else {
  console.log(`exchange throughput, 2 worker threads, ${ELEMENTS.toLocaleString('en-US')} small / ${Math.ceil(ELEMENTS / 10).toLocaleString('en-US')} large elements per producer`);
  console.table(rows.map((r) => ({ scenario: r.scenario, 'elements/s': r.elementsPerSec.toLocaleString('en-US'), 'MB/s': r.mbPerSec, s: r.seconds, 'CPU s': r.cpuSeconds, 'CPU s/M el.': r.cpuSecondsPerMillion })));
}
