// One phase of the lakehouse bench at a time, for profiling (`node --cpu-prof`) and quick A/B runs; never part of
// npm test. CPU seconds of this process (all threads) per phase, on the bench's table (bench/lakehouse.ts).
//
//   node --import tsx bench/lakehouse-phases.ts <rows|batches> [ROWS] [--scan] [--scan-rows] [--scan-batches] [--merge]
//
// rows|batches: how the ROWS rows (default 1M) are appended, in calls of 500K rows (generation not counted);
// --scan: a row scan through io.delta's source, then two batch scans; --scan-rows: row scans after a batch scan (the
// WebAssembly compiled first); --scan-batches: four batch scans; --merge: a MERGE of ROWS/10 rows (90% updates).
import * as A from 'apache-arrow';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { io } from '../src/index.ts';
import { DeltaTable, type Row } from '../src/lakehouse/index.ts';

const mode = process.argv[2];
if (mode !== 'rows' && mode !== 'batches') throw new Error('usage: lakehouse-phases.ts <rows|batches> [ROWS] [--scan] [--scan-rows] [--scan-batches] [--merge]');
const ROWS = Number(process.argv[3]?.startsWith('--') === false ? process.argv[3] : 1_000_000);
const BATCH = 500_000;
const COUNTRIES = ['fr', 'de', 'us', 'jp', 'br'];
const TS0 = 1_700_000_000_000_000;
const SCHEMA = { id: 'long', country: 'string', amount: 'double', ts: 'timestamp', x: 'long', y: 'long' } as const;
const row = (i: number, shift = 0): Row => ({ id: i, country: COUNTRIES[i % 5], amount: ((i + shift) % 10_007) * 0.5, ts: BigInt(TS0 + i * 1000), x: (i * 7919) % 1_000_003, y: (i * 104_729) % 999_983 });

function batch(start: number, end: number): A.RecordBatch {
  const n = end - start;
  const id = new BigInt64Array(n); const amount = new Float64Array(n); const ts = new BigInt64Array(n); const x = new BigInt64Array(n); const y = new BigInt64Array(n);
  const country: string[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const i = start + k;
    id[k] = BigInt(i); country[k] = COUNTRIES[i % 5]; amount[k] = (i % 10_007) * 0.5; ts[k] = BigInt(TS0 + i * 1000); x[k] = BigInt((i * 7919) % 1_000_003); y[k] = BigInt((i * 104_729) % 999_983);
  }
  const columns = {
    id: A.makeData({ type: new A.Int64(), data: id }), country: A.vectorFromArray(country, new A.Utf8()).data[0], amount: A.makeData({ type: new A.Float64(), data: amount }),
    ts: A.makeData({ type: new A.TimestampMicrosecond('UTC'), data: ts }), x: A.makeData({ type: new A.Int64(), data: x }), y: A.makeData({ type: new A.Int64(), data: y }),
  };
  const fields = Object.entries(columns).map(([name, d]) => new A.Field(name, d.type, true));
  return new A.RecordBatch(new A.Schema(fields), A.makeData({ type: new A.Struct(fields), length: n, nullCount: 0, children: Object.values(columns) }));
}

const cpu = (from: NodeJS.CpuUsage): string => { const u = process.cpuUsage(from); return ((u.user + u.system) / 1e6).toFixed(2); };
const rowScan = async (path: string): Promise<number> => {
  let n = 0;
  for (const part of await new io.delta.DeltaSource(path).split(64 << 20)) for await (const b of part.read()) n += b.values.length;
  return n;
};
const batchScan = async (path: string): Promise<number> => {
  let n = 0;
  for await (const b of (await DeltaTable.open(path)).readBatches()) n += b.numRows;
  return n;
};

const root = mkdtempSync(join(tmpdir(), 'riffle-lakehouse-phases-'));
const path = join(root, 't');
try {
  const tx = await (await DeltaTable.create(path, { schema: SCHEMA })).startTransaction();
  let appendCpu = 0;
  for (let s = 0; s < ROWS; s += BATCH) {
    const e = Math.min(ROWS, s + BATCH);
    const input = mode === 'rows' ? Array.from({ length: e - s }, (_, k) => row(s + k)) : batch(s, e);
    const c = process.cpuUsage();
    if (Array.isArray(input)) await tx.writeRows(input); else await tx.writeBatches([input]);
    appendCpu += Number(cpu(c));
  }
  await tx.commit({ operation: 'WRITE', operationParameters: { mode: 'Append' } });
  console.log(`append (${mode}, ${ROWS.toLocaleString()} rows): ${appendCpu.toFixed(2)} CPU-s`);
  if (process.argv.includes('--scan')) {
    let c = process.cpuUsage();
    const rows = await rowScan(path);
    console.log(`scan (rows): ${cpu(c)} CPU-s, ${rows} rows`);
    for (let r = 0; r < 2; r++) { c = process.cpuUsage(); const n = await batchScan(path); console.log(`scan (batches, #${r + 1}): ${cpu(c)} CPU-s, ${n} rows`); }
  }
  if (process.argv.includes('--scan-rows')) {
    await batchScan(path);
    for (let r = 0; r < 2; r++) { const c = process.cpuUsage(); const n = await rowScan(path); console.log(`scan (rows, warm #${r + 1}): ${cpu(c)} CPU-s, ${n} rows`); }
  }
  if (process.argv.includes('--scan-batches')) {
    for (let r = 0; r < 4; r++) { const c = process.cpuUsage(); const n = await batchScan(path); console.log(`scan (batches, #${r + 1}): ${cpu(c)} CPU-s, ${n} rows`); }
  }
  if (process.argv.includes('--merge')) {
    const m = Math.floor(ROWS / 10);
    const updates = Math.floor(m * 0.9);
    const start = Math.floor(ROWS / 2);
    const source: Row[] = [];
    for (let k = 0; k < updates; k++) source.push(row(start + k, 1));
    for (let k = 0; source.length < m; k++) source.push(row(ROWS + k));
    const c = process.cpuUsage();
    const r = await (await DeltaTable.open(path)).merge(source, { on: ['id'] }).whenMatchedUpdate({ all: true }).whenNotMatchedInsert({ all: true }).execute();
    console.log(`merge (${m.toLocaleString()} rows): ${cpu(c)} CPU-s, updated ${r.metrics.numTargetRowsUpdated}, inserted ${r.metrics.numTargetRowsInserted}`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
