// Lakehouse benchmark: Riffle's Delta tables against delta-rs (Python `deltalake` 1.6.6 + pyarrow 22.0.0, the venv
// of test/integration/delta/setup.sh) on the same data, in the same run. Never part of `npm test`.
//
//   npm run bench:lakehouse [-- --rows 10000000] [--merge-rows N] [--zorder-rows N] [--batch N] [--no-peer] [--json]
//
// 1. append: ROWS rows (id, country, amount, ts, x, y), generated in batches of BATCH rows and written as data files
//    of one transaction (one commit; memory stays bounded) — MB/s of Parquet bytes and rows/s; then the same rows as
//    Arrow record batches (Transaction.writeBatches: typed columns, no row objects — what delta-rs is given: a
//    pyarrow table), built outside the timing as the row objects are;
// 2. scan: every row read back through io.delta's source (one split per file, batches to the engine), then again as
//    Arrow record batches (DeltaTable.readBatches: typed columns, no row objects), twice (the first batch scan of the
//    process also compiles parquet-wasm's WebAssembly);
// 3. MERGE: MERGE_ROWS changed rows into the table on id — 90% update a contiguous id range, 10% are new ids
//    (clustered keys: the files that hold other ids are skipped by their statistics);
// 4. Z-order: a table of ZORDER_ROWS rows optimized with zOrderBy [x, y] into ~100 files, then a point predicate
//    on x and y: the fraction of files it reads (target ≤ 10%).
// delta-rs does 1–3 on the same rows (write_deltalake in the same batches, a to_batches scan, DeltaTable.merge).
// Each phase reports wall seconds and CPU seconds of the process (all threads): on a shared machine the CPU time
// is the steadier figure.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { io } from '../src/index.ts';
import { DeltaTable, type Row } from '../src/lakehouse/index.ts';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]?.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${name} needs a positive integer, got ${process.argv[i + 1]}`);
  return n;
}
const ROWS = flag('rows', 10_000_000);
const MERGE_ROWS = flag('merge-rows', Math.max(1, Math.floor(ROWS / 10)));
const ZORDER_ROWS = flag('zorder-rows', Math.min(ROWS, 2_000_000));
const BATCH = flag('batch', 500_000);
const PEER = !process.argv.includes('--no-peer');
const JSON_OUT = process.argv.includes('--json');
const PYTHON = join(process.env.RIFFLE_CACHE ?? join(homedir(), '.cache', 'riffle'), 'py', 'bin', 'python');

const COUNTRIES = ['fr', 'de', 'us', 'jp', 'br'];
const TS0 = 1_700_000_000_000_000;
/** Row i of the data set; the Python side computes the same columns with numpy. */
function row(i: number, amountShift = 0): Row {
  return { id: i, country: COUNTRIES[i % 5], amount: ((i + amountShift) % 10_007) * 0.5, ts: BigInt(TS0 + i * 1000), x: (i * 7919) % 1_000_003, y: (i * 104_729) % 999_983 };
}
const SCHEMA = { id: 'long', country: 'string', amount: 'double', ts: 'timestamp', x: 'long', y: 'long' } as const;
/** The MERGE source: updates of ids [start, start + updates) (amount shifted), then new ids past the table. */
function mergeSource(rows: number, mergeRows: number): Row[] {
  const updates = Math.floor(mergeRows * 0.9);
  const start = Math.floor(rows / 2);
  const out: Row[] = [];
  for (let k = 0; k < updates; k++) out.push(row(start + k, 1));
  for (let k = 0; out.length < mergeRows; k++) out.push(row(rows + k));
  return out;
}

const log = (text: string) => process.stderr.write(`${text}\n`);
/** CPU seconds (user + system, every thread of the process) since `from`. */
const cpuSince = (from: NodeJS.CpuUsage): number => { const u = process.cpuUsage(from); return (u.user + u.system) / 1e6; };
const mb = (bytes: number) => bytes / 1024 / 1024;

async function riffleAppend(path: string, rows: number): Promise<{ seconds: number; cpuSeconds: number; bytes: number; files: number }> {
  const table = await DeltaTable.create(path, { schema: SCHEMA });
  const tx = await table.startTransaction();
  let seconds = 0;
  let cpuSeconds = 0;
  let bytes = 0;
  let files = 0;
  for (let start = 0; start < rows; start += BATCH) {
    const batch: Row[] = [];
    for (let i = start; i < Math.min(rows, start + BATCH); i++) batch.push(row(i));
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const adds = await tx.writeRows(batch);
    seconds += (performance.now() - t0) / 1000;
    cpuSeconds += cpuSince(c0);
    for (const a of adds) bytes += a.size;
    files += adds.length;
    log(`  riffle append: ${Math.min(rows, start + BATCH).toLocaleString()} rows staged`);
  }
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await tx.commit({ operation: 'WRITE', operationParameters: { mode: 'Append' } });
  seconds += (performance.now() - t0) / 1000;
  cpuSeconds += cpuSince(c0);
  return { seconds, cpuSeconds, bytes, files };
}

/** Rows [start, end) as an Arrow record batch (plain Utf8 strings, as pyarrow's pa.array gives delta-rs). */
async function arrowBatch(start: number, end: number): Promise<import('apache-arrow').RecordBatch> {
  const A = await import('apache-arrow');
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

async function riffleAppendBatches(path: string, rows: number): Promise<{ seconds: number; cpuSeconds: number; bytes: number; files: number }> {
  const table = await DeltaTable.create(path, { schema: SCHEMA });
  const tx = await table.startTransaction();
  let seconds = 0;
  let cpuSeconds = 0;
  let bytes = 0;
  let files = 0;
  for (let start = 0; start < rows; start += BATCH) {
    const batch = await arrowBatch(start, Math.min(rows, start + BATCH));
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const adds = await tx.writeBatches([batch]);
    seconds += (performance.now() - t0) / 1000;
    cpuSeconds += cpuSince(c0);
    for (const a of adds) bytes += a.size;
    files += adds.length;
  }
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await tx.commit({ operation: 'WRITE', operationParameters: { mode: 'Append' } });
  seconds += (performance.now() - t0) / 1000;
  cpuSeconds += cpuSince(c0);
  log(`  riffle append (Arrow batches): ${rows.toLocaleString()} rows`);
  return { seconds, cpuSeconds, bytes, files };
}

async function riffleScan(path: string): Promise<{ seconds: number; cpuSeconds: number; rows: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const source = new io.delta.DeltaSource(path);
  let n = 0;
  for (const part of await source.split(64 << 20)) for await (const b of part.read()) n += b.values.length;
  return { seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSince(c0), rows: n };
}

async function riffleScanBatches(path: string): Promise<{ seconds: number; cpuSeconds: number; rows: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let n = 0;
  for await (const b of (await DeltaTable.open(path)).readBatches()) n += b.numRows;
  return { seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSince(c0), rows: n };
}

async function riffleMerge(path: string): Promise<{ seconds: number; cpuSeconds: number; metrics: Record<string, number> }> {
  const source = mergeSource(ROWS, MERGE_ROWS);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await (await DeltaTable.open(path)).merge(source, { on: ['id'] }).whenMatchedUpdate({ all: true }).whenNotMatchedInsert({ all: true }).execute();
  return { seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSince(c0), metrics: { ...r.metrics } };
}

async function riffleZOrder(path: string): Promise<{ files: number; read: number; fraction: number; optimizeSeconds: number; querySeconds: number; rows: number }> {
  const { bytes } = await riffleAppend(path, ZORDER_ROWS);
  const table = await DeltaTable.open(path);
  const t0 = performance.now();
  await table.optimize({ zOrderBy: ['x', 'y'], targetFileSize: Math.max(1024, Math.floor(bytes / 100)) });
  const optimizeSeconds = (performance.now() - t0) / 1000;
  const probe = row(Math.floor(ZORDER_ROWS * 0.37));
  const where = { x: probe.x as number, y: probe.y as number };
  const snapshot = await table.snapshot();
  const { files } = snapshot.filesMatching(where);
  const t1 = performance.now();
  const rows = await table.read({ where });
  const querySeconds = (performance.now() - t1) / 1000;
  if (!rows.some((r) => r.id === BigInt(probe.id as number))) throw new Error('z-order probe: the row is missing from the result');
  return { files: snapshot.files.length, read: files.length, fraction: files.length / snapshot.files.length, optimizeSeconds, querySeconds, rows: rows.length };
}

const PEER_SCRIPT = String.raw`
import json, sys, time
import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
path, rows, batch, merge_rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
countries = ['fr', 'de', 'us', 'jp', 'br']
schema = pa.schema([('id', pa.int64()), ('country', pa.string()), ('amount', pa.float64()), ('ts', pa.timestamp('us', tz='UTC')), ('x', pa.int64()), ('y', pa.int64())])
def rows_of(ids, shift=0):
    return pa.table({'id': pa.array(ids, pa.int64()), 'country': pa.array([countries[i % 5] for i in ids]),
        'amount': pa.array([((i + shift) % 10007) * 0.5 for i in ids], pa.float64()),
        'ts': pa.array([1_700_000_000_000_000 + i * 1000 for i in ids], pa.timestamp('us', tz='UTC')),
        'x': pa.array([(i * 7919) % 1_000_003 for i in ids], pa.int64()), 'y': pa.array([(i * 104729) % 999983 for i in ids], pa.int64())}, schema=schema)
out = {}
seconds = 0.0
cpu = 0.0
for start in range(0, rows, batch):
    t = rows_of(range(start, min(rows, start + batch)))
    t0 = time.perf_counter(); c0 = time.process_time(); write_deltalake(path, t, mode='append'); seconds += time.perf_counter() - t0; cpu += time.process_time() - c0
dt = DeltaTable(path)
out['append'] = {'seconds': seconds, 'cpuSeconds': cpu, 'bytes': sum(pa.table(dt.get_add_actions(flatten=True)).column('size_bytes').to_pylist()), 'files': len(dt.file_uris()), 'version': dt.version()}
t0 = time.perf_counter(); c0 = time.process_time(); n = 0
for b in dt.to_pyarrow_dataset().to_batches(): n += b.num_rows
out['scan'] = {'seconds': time.perf_counter() - t0, 'cpuSeconds': time.process_time() - c0, 'rows': n}
updates = int(merge_rows * 0.9); start = rows // 2
src = pa.concat_tables([rows_of(range(start, start + updates), 1), rows_of(range(rows, rows + merge_rows - updates))])
t0 = time.perf_counter(); c0 = time.process_time()
m = dt.merge(src, predicate='t.id = s.id', source_alias='s', target_alias='t').when_matched_update_all().when_not_matched_insert_all().execute()
out['merge'] = {'seconds': time.perf_counter() - t0, 'cpuSeconds': time.process_time() - c0, 'metrics': {k: v for k, v in m.items() if isinstance(v, (int, float))}}
print(json.dumps(out))
sys.stdout.flush()
import os; os._exit(0)
`;

interface PeerResult {
  append: { seconds: number; cpuSeconds: number; bytes: number; files: number };
  scan: { seconds: number; cpuSeconds: number; rows: number };
  merge: { seconds: number; cpuSeconds: number; metrics: Record<string, number> };
}

function deltaRs(path: string): PeerResult | { error: string } {
  if (!existsSync(PYTHON)) return { error: `no delta-rs venv at ${PYTHON} (run test/integration/delta/setup.sh)` };
  const r = spawnSync(PYTHON, ['-c', PEER_SCRIPT, path, String(ROWS), String(BATCH), String(MERGE_ROWS)], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) return { error: `delta-rs failed (${r.status ?? r.signal}): ${r.stderr.slice(-2000)}` };
  return JSON.parse(r.stdout) as PeerResult;
}

const root = mkdtempSync(join(tmpdir(), 'riffle-bench-lakehouse-'));
try {
  log(`lakehouse bench: ${ROWS.toLocaleString()} rows, MERGE ${MERGE_ROWS.toLocaleString()}, Z-order ${ZORDER_ROWS.toLocaleString()} rows, batches of ${BATCH.toLocaleString()}`);
  const append = await riffleAppend(join(root, 'riffle'), ROWS);
  log(`  riffle append done in ${append.seconds.toFixed(1)} s`);
  const appendBatches = await riffleAppendBatches(join(root, 'riffle-batches'), ROWS);
  rmSync(join(root, 'riffle-batches'), { recursive: true, force: true });
  const scan = await riffleScan(join(root, 'riffle'));
  if (scan.rows !== ROWS) throw new Error(`scan read ${scan.rows} rows, expected ${ROWS}`);
  log(`  riffle scan done in ${scan.seconds.toFixed(1)} s`);
  const scanBatches = await riffleScanBatches(join(root, 'riffle'));
  if (scanBatches.rows !== ROWS) throw new Error(`batch scan read ${scanBatches.rows} rows, expected ${ROWS}`);
  // Again: the first batch scan of a process also compiles parquet-wasm's WebAssembly (once per process).
  const scanBatchesWarm = await riffleScanBatches(join(root, 'riffle'));
  log(`  riffle batch scan done in ${scanBatches.seconds.toFixed(1)} s`);
  const merge = await riffleMerge(join(root, 'riffle'));
  log(`  riffle merge done in ${merge.seconds.toFixed(1)} s`);
  rmSync(join(root, 'riffle'), { recursive: true, force: true });
  const zorder = await riffleZOrder(join(root, 'zorder'));
  rmSync(join(root, 'zorder'), { recursive: true, force: true });
  log(`  riffle z-order: ${zorder.read} of ${zorder.files} files read`);
  const peer = PEER ? deltaRs(join(root, 'delta-rs')) : { error: 'skipped (--no-peer)' };
  if ('error' in peer) log(`  delta-rs: ${peer.error}`);
  else log('  delta-rs done');

  const ratio = (a: number, b: number | undefined) => (b === undefined ? '' : `${(a / b).toFixed(2)}x`);
  const p = 'error' in peer ? undefined : peer;
  const table: Array<[string, string, string, string]> = [
    ['append: seconds', append.seconds.toFixed(2), p ? p.append.seconds.toFixed(2) : '', ratio(append.seconds, p?.append.seconds)],
    ['append: CPU seconds', append.cpuSeconds.toFixed(2), p ? p.append.cpuSeconds.toFixed(2) : '', ratio(append.cpuSeconds, p?.append.cpuSeconds)],
    ['append: rows/s', Math.round(ROWS / append.seconds).toLocaleString(), p ? Math.round(ROWS / p.append.seconds).toLocaleString() : '', p ? ratio(ROWS / append.seconds, ROWS / p.append.seconds) : ''],
    ['append: MB/s (Parquet)', (mb(append.bytes) / append.seconds).toFixed(1), p ? (mb(p.append.bytes) / p.append.seconds).toFixed(1) : '', p ? ratio(mb(append.bytes) / append.seconds, mb(p.append.bytes) / p.append.seconds) : ''],
    ['append (Arrow batches): seconds', appendBatches.seconds.toFixed(2), p ? p.append.seconds.toFixed(2) : '', ratio(appendBatches.seconds, p?.append.seconds)],
    ['append (Arrow batches): CPU seconds', appendBatches.cpuSeconds.toFixed(2), p ? p.append.cpuSeconds.toFixed(2) : '', ratio(appendBatches.cpuSeconds, p?.append.cpuSeconds)],
    ['append: MB written / files', `${mb(append.bytes).toFixed(0)} / ${append.files}`, p ? `${mb(p.append.bytes).toFixed(0)} / ${p.append.files}` : '', ''],
    ['scan: seconds', scan.seconds.toFixed(2), p ? p.scan.seconds.toFixed(2) : '', ratio(scan.seconds, p?.scan.seconds)],
    ['scan: CPU seconds', scan.cpuSeconds.toFixed(2), p ? p.scan.cpuSeconds.toFixed(2) : '', ratio(scan.cpuSeconds, p?.scan.cpuSeconds)],
    ['scan (Arrow batches): seconds', scanBatches.seconds.toFixed(2), p ? p.scan.seconds.toFixed(2) : '', ratio(scanBatches.seconds, p?.scan.seconds)],
    ['scan (Arrow batches): CPU seconds', scanBatches.cpuSeconds.toFixed(2), p ? p.scan.cpuSeconds.toFixed(2) : '', ratio(scanBatches.cpuSeconds, p?.scan.cpuSeconds)],
    ['scan (Arrow batches, 2nd): CPU seconds', scanBatchesWarm.cpuSeconds.toFixed(2), p ? p.scan.cpuSeconds.toFixed(2) : '', ratio(scanBatchesWarm.cpuSeconds, p?.scan.cpuSeconds)],
    [`merge ${MERGE_ROWS.toLocaleString()}: seconds`, merge.seconds.toFixed(2), p ? p.merge.seconds.toFixed(2) : '', ratio(merge.seconds, p?.merge.seconds)],
    ['merge: CPU seconds', merge.cpuSeconds.toFixed(2), p ? p.merge.cpuSeconds.toFixed(2) : '', ratio(merge.cpuSeconds, p?.merge.cpuSeconds)],
    ['merge: updated / inserted', `${merge.metrics.numTargetRowsUpdated} / ${merge.metrics.numTargetRowsInserted}`, p ? `${p.merge.metrics.num_target_rows_updated} / ${p.merge.metrics.num_target_rows_inserted}` : '', ''],
    [`z-order point query: files read`, `${zorder.read} / ${zorder.files} = ${(zorder.fraction * 100).toFixed(1)}%`, '', zorder.fraction <= 0.1 ? 'target ≤ 10%: met' : 'target ≤ 10%: MISSED'],
    ['z-order: optimize / query seconds', `${zorder.optimizeSeconds.toFixed(2)} / ${zorder.querySeconds.toFixed(3)}`, '', ''],
  ];
  if (JSON_OUT) {
    console.log(JSON.stringify({ rows: ROWS, mergeRows: MERGE_ROWS, zorderRows: ZORDER_ROWS, riffle: { append, appendBatches, scan, scanBatches, scanBatchesWarm, merge, zorder }, load: loadavg(), deltaRs: peer }, null, 2));
  } else {
    const headers = ['', 'Riffle', 'delta-rs', 'Riffle/delta-rs'];
    const widths = headers.map((h, c) => Math.max(h.length, ...table.map((r) => r[c].length)));
    const line = (cells: readonly string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
    console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
    console.log(line(headers));
    for (const r of table) console.log(line(r));
    console.log(`(times: Riffle/delta-rs > 1 means Riffle is slower; rows/s and MB/s ratios: < 1 means Riffle is slower)`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
