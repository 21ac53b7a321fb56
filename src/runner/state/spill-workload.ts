/**
 * A global-window grouping workload for the spill test and bench/spill.ts: N elements over K keys through a
 * GroupingBuffer, checked exactly with constant memory. Element i has key k = i mod K (key bytes: a hash of k, then
 * k, so arrival order is not key order) and value "i|padding"; so key k must come out once, in byte order, with
 * exactly the values k, k+K, k+2K, ... in that order.
 *
 * Run directly (the test does, in a child process with a small heap):
 *   node --max-old-space-size=64 --import tsx src/runner/state/spill-workload.ts 3000000 300000 100 16m
 * prints one JSON line of figures, exits 1 when the result is wrong.
 */
import { pathToFileURL } from 'node:url';
import { GroupingBuffer } from './grouping-buffer.ts';
import { MemoryBudget, parseSize } from './memory-budget.ts';

export interface WorkloadOptions {
  elements: number;
  keys: number;
  /** Encoded bytes of each value (at least the digits of the element's index). */
  valueBytes: number;
  memory: number;
  spillDir?: string;
  /** Await flush() every this many elements when the buffer asks for it (the engine's bundle boundary). */
  bundle?: number;
}

export interface WorkloadResult {
  elements: number;
  keys: number;
  inputBytes: number;
  seconds: number;
  addSeconds: number;
  mergeSeconds: number;
  bytesSpilled: number;
  runsWritten: number;
  peakBytesInMemory: number;
  peakRssBytes: number;
  heapLimitBytes: number;
  ok: boolean;
  error?: string;
}

function keyHash(k: number): number {
  let h = Math.imul(k ^ 0x9e3779b9, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function writeKey(buf: Buffer, k: number): number {
  buf.writeUInt32BE(keyHash(k), 0);
  return 4 + buf.write(String(k), 4, 'latin1');
}

export async function runGroupingWorkload(o: WorkloadOptions): Promise<WorkloadResult> {
  const { elements: n, keys: nk, valueBytes } = o;
  const budget = MemoryBudget.of(o.memory, 'groupByKey');
  const buf = new GroupingBuffer({ budget, ...(o.spillDir ? { spillDir: o.spillDir } : {}) });
  const keyBuf = Buffer.alloc(32);
  const valBuf = Buffer.alloc(Math.max(valueBytes, 24), 'x'.charCodeAt(0));
  const bundle = o.bundle ?? 10_000;
  let inputBytes = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const kl = writeKey(keyBuf, i % nk);
    const digits = valBuf.write(String(i), 0, 'latin1');
    valBuf[digits] = 0x7c; // '|'
    const vl = Math.max(valueBytes, digits + 1);
    buf.add(keyBuf.subarray(0, kl), valBuf.subarray(0, vl));
    inputBytes += kl + vl;
    if ((i + 1) % bundle === 0 && buf.needsFlush) await buf.flush();
  }
  const t1 = performance.now();
  let error: string | undefined;
  let seen = 0;
  let prev = '';
  let values = 0;
  for (const g of buf.rawGroups()) {
    if (error !== undefined) continue;
    if (seen > 0 && !(g.key > prev)) error = `keys out of order at group ${seen}`;
    prev = g.key;
    const kb = Buffer.from(g.key, 'latin1');
    const k = Number(kb.toString('latin1', 4));
    if (kb.readUInt32BE(0) !== keyHash(k)) error = `key ${k} damaged`;
    const expected = k < n ? Math.floor((n - 1 - k) / nk) + 1 : 0;
    if (g.values.length !== expected) error = `key ${k}: ${g.values.length} values, expected ${expected}`;
    for (let j = 0; j < g.values.length && error === undefined; j++) {
      const v = g.values[j] as Uint8Array;
      let x = 0;
      let bar = 0;
      while (bar < v.length && v[bar] !== 0x7c) x = x * 10 + v[bar++]! - 0x30;
      if (x !== k + j * nk || v.length !== Math.max(valueBytes, bar + 1)) error = `key ${k}: value ${j} is ${Buffer.from(v).toString('latin1', 0, 40)}`;
    }
    values += g.values.length;
    seen++;
  }
  if (error === undefined && seen !== Math.min(nk, n)) error = `${seen} keys, expected ${Math.min(nk, n)}`;
  if (error === undefined && values !== n) error = `${values} values, expected ${n}`;
  const t2 = performance.now();
  const m = budget.metrics();
  buf.close();
  return {
    elements: n,
    keys: nk,
    inputBytes,
    seconds: (t2 - t0) / 1000,
    addSeconds: (t1 - t0) / 1000,
    mergeSeconds: (t2 - t1) / 1000,
    bytesSpilled: m.bytesSpilled,
    runsWritten: m.runsWritten,
    peakBytesInMemory: m.peakBytesInMemory,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    heapLimitBytes: (await import('node:v8')).getHeapStatistics().heap_size_limit,
    ok: error === undefined,
    ...(error !== undefined ? { error } : {}),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [elements = '1000000', keys = '100000', valueBytes = '100', memory = '16m'] = process.argv.slice(2);
  const r = await runGroupingWorkload({ elements: Number(elements), keys: Number(keys), valueBytes: Number(valueBytes), memory: parseSize(memory) });
  process.stdout.write(JSON.stringify(r) + '\n');
  process.exitCode = r.ok ? 0 : 1;
}
