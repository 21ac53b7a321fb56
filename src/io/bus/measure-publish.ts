/**
 * A quick in-process publish measurement per fsync policy (not a benchmark of record: `npm run bench:bus` is, through
 * the server against Kafka). C concurrent publishers publish batches of B messages of S bytes; prints messages/s,
 * MB/s, fsyncs and the p50/p99 time to acknowledgment of a publish call.
 *
 *   node --import tsx src/io/bus/measure-publish.ts [messages=100000] [size=1024] [publishers=4] [batch=100]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBus } from './open-bus.ts';

const [messages = 100_000, size = 1024, publishers = 4, batch = 100] = process.argv.slice(2).map(Number);
const rows: string[][] = [['fsync', 'batch', 'msgs/s', 'MB/s', 'fsyncs', 'p50 ack ms', 'p99 ack ms']];
for (const b of [1, batch]) {
  for (const fsync of ['never', 'interval', 'always'] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'riffle-bus-measure-'));
    const bus = await openBus({ dir, fsync });
    await bus.createTopic('measure');
    const data = new Uint8Array(size).fill(120);
    const perPublisher = Math.ceil(messages / publishers / b);
    const lat: number[] = [];
    const t0 = performance.now();
    await Promise.all(Array.from({ length: publishers }, async () => {
      const msgs = Array.from({ length: b }, () => ({ data }));
      for (let i = 0; i < perPublisher; i++) {
        const s = performance.now();
        await bus.publish('measure', msgs);
        lat.push(performance.now() - s);
      }
    }));
    const secs = (performance.now() - t0) / 1000;
    const n = perPublisher * publishers * b;
    lat.sort((x, y) => x - y);
    const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!.toFixed(2);
    rows.push([fsync, String(b), Math.round(n / secs).toLocaleString('en'), ((n * size) / secs / 1e6).toFixed(1), String(bus.fsyncCount()), q(0.5), q(0.99)]);
    await bus.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
console.log(`in-process publish, ${messages} messages of ${size} B, ${publishers} concurrent publishers`);
for (const r of rows) console.log(r.map((c, i) => c.padStart(widths[i]!)).join('  '));
