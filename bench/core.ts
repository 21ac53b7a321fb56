/**
 * Core engine benchmark (not a test): `npm run bench:core [-- --n=10000000 --keys=10000]`.
 * 1. map → filter → map over N in-memory elements;
 * 2. combine.perKey(sum) over N elements with K keys (combiner lifting on).
 * Each is compared in the same run with a peer that does the same work with plain JavaScript (Array methods and a
 * Map), the floor any engine on Node pays; the table shows elements/s and the ratio.
 */
import { combine, create, kv, Pipeline } from '../src/index.ts';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const N = Number(args.n ?? 10_000_000);
const KEYS = Number(args.keys ?? 10_000);
const RUNS = Number(args.runs ?? 3);

const data = Array.from({ length: N }, (_, i) => i);

async function timeIt(fn: () => Promise<unknown> | unknown): Promise<number> {
  const best: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    await fn();
    best.push(performance.now() - t0);
  }
  return Math.min(...best);
}

async function riffleMapFilterMap(): Promise<void> {
  const p = Pipeline.create();
  p.apply(create(data, { batchSize: 8192 }))
    .map((x) => x * 2)
    .filter((x) => x % 3 !== 0)
    .map((x) => x + 1);
  await p.run();
}

function peerMapFilterMap(): number {
  return data
    .map((x) => x * 2)
    .filter((x) => x % 3 !== 0)
    .map((x) => x + 1).length;
}

async function riffleCombine(): Promise<void> {
  const p = Pipeline.create();
  p.apply(create(data, { batchSize: 8192 }))
    .map((x) => kv(x % KEYS, x))
    .apply(combine.perKey(combine.sum()));
  await p.run();
}

function peerCombine(): number {
  const sums = new Map<number, number>();
  for (const x of data) {
    const e = { key: x % KEYS, value: x };
    sums.set(e.key, (sums.get(e.key) ?? 0) + e.value);
  }
  return sums.size;
}

const rows: Array<[string, number, number]> = [];
rows.push(['map → filter → map', await timeIt(riffleMapFilterMap), await timeIt(peerMapFilterMap)]);
rows.push([`combine.perKey(sum), ${KEYS} keys`, await timeIt(riffleCombine), await timeIt(peerCombine)]);

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`\nRiffle core benchmark: ${fmt(N)} elements, best of ${RUNS}, one core (node ${process.version})\n`);
console.log(['benchmark'.padEnd(34), 'riffle el/s'.padStart(14), 'plain JS el/s'.padStart(14), 'riffle/plain'.padStart(13)].join(' '));
for (const [name, riffleMs, peerMs] of rows) {
  console.log([name.padEnd(34), fmt((N / riffleMs) * 1000).padStart(14), fmt((N / peerMs) * 1000).padStart(14), (peerMs / riffleMs).toFixed(2).padStart(13)].join(' '));
}
