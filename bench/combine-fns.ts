// Micro-benchmark of the built-in CombineFns: ns per addInput over 10M elements, spread over 10K keys (one
// accumulator per key, as in combine.perKey), plus one global accumulator. Run:
//   node --import tsx bench/combine-fns.ts [elements] [keys]
import { combineFns, type CombineFn } from '../src/transforms/index.ts';

const N = Number(process.argv[2] ?? 10_000_000);
const KEYS = Number(process.argv[3] ?? 10_000);

interface Row {
  id: number;
  key: number;
  value: number;
  user: string;
}

// Inputs are built once (a ring of 1M elements reused), so the bench measures the combiners, not allocation.
const RING = Math.min(N, 1_000_000);
const rows: Row[] = [];
const numbers = new Float64Array(RING);
let seed = 42;
for (let i = 0; i < RING; i++) {
  seed = (Math.imul(seed, 1103515245) + 12345) | 0;
  const value = (seed >>> 8) / 1000;
  numbers[i] = value;
  rows.push({ id: i, key: i % KEYS, value, user: `user-${(seed >>> 4) % 200_000}` });
}
const keyOf = new Int32Array(RING);
for (let i = 0; i < RING; i++) keyOf[i] = rows[i].key;

function bench<I, A, O>(name: string, fn: CombineFn<I, A, O>, input: (i: number) => I, n = N, keys = KEYS): void {
  const accs: A[] = Array.from({ length: keys }, () => fn.createAccumulator());
  // Warm up, then measure.
  for (let i = 0; i < 100_000; i++) accs[keyOf[i % RING] % keys] = fn.addInput(accs[keyOf[i % RING] % keys], input(i % RING));
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const j = i % RING;
    const k = keys === 1 ? 0 : keyOf[j];
    accs[k] = fn.addInput(accs[k], input(j));
  }
  const ns = Number(process.hrtime.bigint() - start) / n;
  const merged = fn.extractOutput(fn.mergeAccumulators(accs));
  const sample = JSON.stringify(merged, (_k, v) => (typeof v === 'bigint' ? String(v) : v))?.slice(0, 40);
  console.log(`${name.padEnd(44)} ${ns.toFixed(1).padStart(7)} ns/elt ${(1e3 / ns).toFixed(1).padStart(7)} M elt/s   → ${sample}`);
}

const num = (i: number) => numbers[i];
const row = (i: number) => rows[i];
console.log(`${N.toLocaleString()} adds, ${KEYS.toLocaleString()} keys (one accumulator per key) unless noted; Node ${process.version}`);
bench('baseline (loop + array read, no combiner)', { name: 'none', createAccumulator: () => 0, addInput: (a: number) => a, mergeAccumulators: () => 0, extractOutput: (a: number) => a }, num);
bench('count()', combineFns.count<number>(), num);
bench('sum()', combineFns.sum(), num);
bench('sum((e) => e.value)', combineFns.sum((e: Row) => e.value), row);
bench('mean()', combineFns.mean(), num);
bench('min()', combineFns.min(), num);
bench('max((e) => e.value)', combineFns.max((e: Row) => e.value), row);
bench('topN(10)', combineFns.topN(10), num);
bench('distinctCount((e) => e.user)', combineFns.distinctCount((e: Row) => e.user), row, N / 5);
bench('approximateDistinctCount(user), 10K keys', combineFns.approximateDistinctCount({ extract: (e: Row) => e.user }), row);
bench('approximateDistinctCount(number), 1 key', combineFns.approximateDistinctCount<number>(), num, N, 1);
bench('approximateDistinctCount(user), 1 key', combineFns.approximateDistinctCount({ extract: (e: Row) => e.user }), row, N, 1);
bench('approximateQuantiles(101), 10K keys', combineFns.approximateQuantiles(101), num);
bench('approximateQuantiles(101), 1 key', combineFns.approximateQuantiles(101), num, N, 1);
bench('struct({ sum, count, max })', combineFns.struct({ total: combineFns.sum((e: Row) => e.value), n: combineFns.count(), top: combineFns.max((e: Row) => e.value) }), row);
