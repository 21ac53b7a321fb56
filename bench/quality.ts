/**
 * Quality benchmark: a 20-expectation suite over N rows (default 10M) in one streaming pass, read from a CSV file and
 * from a Delta table, each in a fresh process on one core (peak RSS measured by the OS), and Great Expectations 0.18
 * (pandas) on the same CSV in the same run when its venv exists (test/integration/quality/setup.sh).
 *
 *   npm run bench:quality -- [--rows N] [--peer-rows N] [--no-peer] [--breakdown] [--json] [--data-dir DIR]
 *
 * `--breakdown` also times the reads alone, each in a fresh process: the CSV parsed into columns without validation,
 * the Delta table decoded by the lakehouse (Arrow batches, no conversion), and decoded + converted to the columns
 * validation reads — so a run shows what validation itself costs.
 *
 * The data (CSV, and a Delta table written with DeltaTable.create/append in batches) is generated once per N into
 * ${RIFFLE_CACHE:-~/.cache/riffle}/bench-quality/rows-N and reused. `--peer-rows` caps the rows GE reads (pandas
 * holds the whole frame in memory; default: all of them).
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DeltaTable, readDataFileBatches } from '../src/lakehouse/index.ts';
import { asset, expect, scanAsset, suite, validateAsset, type ValidationResult } from '../src/quality/index.ts';

function flag(name: string): string | undefined {
  const i = process.argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  const a = process.argv[i]!;
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : process.argv[i + 1];
}
const has = (name: string) => process.argv.includes(`--${name}`);

const STATUSES = ['pending', 'confirmed', 'shipped', 'delivered', 'cancelled'];
const COUNTRIES = Array.from({ length: 20 }, (_, i) => `C${i}`);
const COLUMNS = ['id', 'user', 'amount', 'discount', 'qty', 'status', 'country', 'email'];

type Order = { id: number; user: string; amount: number | null; discount: number; qty: number; status: string; country: string; email: string };

/** Deterministic rows [start, end): log-normal-ish amounts, one null amount per 1000 rows. */
function* generate(start: number, end: number): Generator<Order> {
  for (let i = start; i < end; i++) {
    let s = (i * 2654435761) % 2147483648;
    const r = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    const amount = Math.round(Math.exp(r() * 7) * 100) / 100;
    yield { id: i, user: `u${i % 50000}`, amount: i % 1000 === 0 ? null : amount, discount: Math.round(amount * 10 * r()) / 100, qty: 1 + (i % 10), status: STATUSES[i % 5]!, country: COUNTRIES[(i * 7) % 20]!, email: `user${i % 50000}@example.com` };
  }
}

const benchSuite = suite('bench', [
  expect.tableRowCountToBeBetween({ min_value: 1 }),
  expect.tableColumnsToMatchSet(COLUMNS),
  expect.columnValuesToNotBeNull('id'),
  expect.columnValuesToBeUnique('id'),
  expect.columnValuesToNotBeNull('amount', { mostly: 0.99 }),
  expect.columnValuesToBeBetween('amount', { min_value: 0, max_value: 10000 }),
  expect.columnValuesToBeBetween('qty', { min_value: 1, max_value: 10 }),
  expect.columnValuesToBeInSet('status', STATUSES),
  expect.columnValuesToBeInSet('country', COUNTRIES),
  expect.columnValuesToMatchRegex('email', '^[a-z0-9]+@example\\.com$'),
  expect.columnValueLengthsToBeBetween('user', { min_value: 2, max_value: 6 }),
  expect.columnMeanToBeBetween('amount', { min_value: 100, max_value: 200 }),
  expect.columnStdevToBeBetween('amount', { min_value: 0 }),
  expect.columnMedianToBeBetween('amount', { min_value: 0 }),
  expect.columnMinToBeBetween('amount', { min_value: 0 }),
  expect.columnMaxToBeBetween('amount', { max_value: 1e6 }),
  expect.columnSumToBeBetween('qty', { min_value: 0 }),
  expect.columnUniqueValueCountToBeBetween('country', { min_value: 20, max_value: 20 }),
  expect.columnDistinctValuesToBeInSet('status', STATUSES),
  expect.columnPairValuesAToBeGreaterThanB('amount', 'discount', { or_equal: true, mostly: 0.99 }),
]);

interface RunFigures { source: string; rows: number; seconds: number; rowsPerSecond: number; cpuSeconds: number; rowsPerCpuSecond: number; peakRssMb: number; passed: number; expectations: number; approximate: string[] }

type Source = 'csv' | 'delta';
/** What a breakdown worker times: a read alone. */
type ReadOnly = 'csv-scan' | 'delta-read' | 'delta-scan';
const READS: Record<ReadOnly, string> = {
  'csv-scan': 'CSV parsed into columns, no validation',
  'delta-read': 'Delta decoded by the lakehouse (Arrow batches), no conversion',
  'delta-scan': 'Delta decoded + converted to validation columns, no validation',
};

/** Breakdown worker: one read without validation, figures as JSON on stdout. */
async function readWorker(mode: ReadOnly, path: string): Promise<void> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let rows = 0;
  if (mode === 'delta-read') {
    const snapshot = await (await DeltaTable.open(path)).snapshot();
    for (const file of snapshot.files) for await (const batch of readDataFileBatches(file, snapshot.schema)) rows += batch.numRows;
  } else for await (const batch of scanAsset(mode === 'csv-scan' ? asset.file(path) : asset.delta(path))) rows += batch.length;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const figures: RunFigures = {
    source: mode, rows, seconds, rowsPerSecond: rows / seconds, cpuSeconds, rowsPerCpuSecond: rows / cpuSeconds, peakRssMb: process.resourceUsage().maxRSS / 1024,
    passed: 0, expectations: 0, approximate: [],
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

/** Worker mode: one validation in this (fresh) process, figures as JSON on stdout. */
async function worker(source: Source, path: string): Promise<void> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const result: ValidationResult = await validateAsset(source === 'csv' ? asset.file(path) : asset.delta(path), benchSuite);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const rows = result.meta.row_count;
  const figures: RunFigures = {
    source, rows, seconds, rowsPerSecond: rows / seconds, cpuSeconds, rowsPerCpuSecond: rows / cpuSeconds, peakRssMb: process.resourceUsage().maxRSS / 1024,
    passed: result.results.filter((r) => r.success).length, expectations: result.results.length,
    approximate: result.results.filter((r) => r.approximate).map((r) => r.expectation_config.expectation_type),
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

async function writeCsv(path: string, n: number): Promise<void> {
  const out = createWriteStream(path);
  out.write(`${COLUMNS.join(',')}\n`);
  const step = 100_000;
  for (let start = 0; start < n; start += step) {
    const lines: string[] = [];
    for (const r of generate(start, Math.min(n, start + step))) lines.push(`${r.id},${r.user},${r.amount ?? ''},${r.discount},${r.qty},${r.status},${r.country},${r.email}`);
    if (!out.write(`${lines.join('\n')}\n`)) await new Promise<void>((res) => out.once('drain', () => res()));
  }
  await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
}

async function writeDelta(path: string, n: number): Promise<void> {
  rmSync(path, { recursive: true, force: true });
  const table = await DeltaTable.create(path, { schema: { id: 'long', user: 'string', amount: 'double', discount: 'double', qty: 'long', status: 'string', country: 'string', email: 'string' } });
  const batch = 500_000;
  for (let start = 0; start < n; start += batch) await table.append([...generate(start, Math.min(n, start + batch))]);
}

async function prepare(dir: string, n: number): Promise<{ csv: string; delta: string; generatedSeconds?: number }> {
  const csv = join(dir, 'orders.csv');
  const delta = join(dir, 'orders-delta');
  const marker = join(dir, '.complete');
  if (existsSync(marker)) return { csv, delta };
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  console.error(`generating ${n.toLocaleString()} rows into ${dir} (once per row count)...`);
  await writeCsv(csv, n);
  await writeDelta(delta, n);
  writeFileSync(marker, new Date().toISOString());
  return { csv, delta, generatedSeconds: (performance.now() - t0) / 1000 };
}

interface PeerFigures { rows: number; loadSeconds: number; validateSeconds: number; loadCpuSeconds: number; validateCpuSeconds: number; rowsPerSecond: number; peakRssMb: number; passed: number; error?: string }

const PEER_SCRIPT = `
import json, resource, sys, time, warnings
warnings.filterwarnings("ignore")
import great_expectations as ge, pandas as pd
path, nrows = sys.argv[1], int(sys.argv[2])
cpu = lambda: (lambda r: r.ru_utime + r.ru_stime)(resource.getrusage(resource.RUSAGE_SELF))
t, c = time.perf_counter(), cpu()
df = ge.from_pandas(pd.read_csv(path, nrows=nrows if nrows > 0 else None))
load, load_cpu = time.perf_counter() - t, cpu() - c
suite = json.loads(sys.stdin.read())
t, c = time.perf_counter(), cpu()
ok = 0
for e in suite:
    r = getattr(df, e["expectation_type"])(**e["kwargs"])
    ok += bool(r.success)
print(json.dumps({"rows": len(df), "loadSeconds": load, "validateSeconds": time.perf_counter() - t, "loadCpuSeconds": load_cpu, "validateCpuSeconds": cpu() - c, "passed": ok,
                  "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
`;

function runPeer(csv: string, peerRows: number): PeerFigures | { skipped: string } {
  const python = join(process.env.RIFFLE_CACHE ?? join(homedir(), '.cache', 'riffle'), 'py-gx', 'bin', 'python');
  if (!existsSync(python)) return { skipped: 'Great Expectations venv missing: run test/integration/quality/setup.sh' };
  const run = spawnSync(python, ['-c', PEER_SCRIPT, csv, String(peerRows)], { input: JSON.stringify(benchSuite.expectations), encoding: 'utf8', maxBuffer: 1 << 24, timeout: 3_600_000 });
  if (run.status !== 0) return { skipped: `great expectations failed (status ${run.status}, signal ${run.signal}): ${run.stderr.slice(-400)}` };
  const f = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as Omit<PeerFigures, 'rowsPerSecond'>;
  return { ...f, rowsPerSecond: f.rows / f.validateSeconds };
}

function runWorker(source: Source | ReadOnly, path: string): RunFigures {
  const run = spawnSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, `--worker=${source}`, `--path=${path}`], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (run.status !== 0) throw new Error(`riffle ${source} run failed: ${run.stderr.slice(-1000)}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as RunFigures;
}

async function main(): Promise<void> {
  const mode = flag('worker');
  if (mode === 'csv' || mode === 'delta') return worker(mode, flag('path')!);
  if (mode !== undefined && mode in READS) return readWorker(mode as ReadOnly, flag('path')!);
  const n = Number(flag('rows') ?? 10_000_000);
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`--rows must be a positive integer, got ${flag('rows')}`);
  const peerRows = Number(flag('peer-rows') ?? n);
  const dir = flag('data-dir') ?? join(process.env.RIFFLE_CACHE ?? join(homedir(), '.cache', 'riffle'), 'bench-quality', `rows-${n}`);
  const data = await prepare(dir, n);
  const csvMb = statSync(data.csv).size / 2 ** 20;
  console.error(`riffle: validating the CSV (${csvMb.toFixed(0)} MB)...`);
  const csv = runWorker('csv', data.csv);
  console.error('riffle: validating the Delta table...');
  const delta = runWorker('delta', data.delta);
  const reads: RunFigures[] = [];
  if (has('breakdown')) {
    for (const m of Object.keys(READS) as ReadOnly[]) {
      console.error(`riffle: ${READS[m]}...`);
      reads.push(runWorker(m, m === 'csv-scan' ? data.csv : data.delta));
    }
  }
  let peer: PeerFigures | { skipped: string } = { skipped: '--no-peer' };
  if (!has('no-peer')) {
    console.error(`great expectations: pandas.read_csv + ${benchSuite.expectations.length} expectations on ${Math.min(n, peerRows).toLocaleString()} rows...`);
    peer = runPeer(data.csv, Math.min(n, peerRows));
  }
  const report = { rows: n, expectations: benchSuite.expectations.length, data: { dir, csvMb: Math.round(csvMb), ...(data.generatedSeconds ? { generatedSeconds: data.generatedSeconds } : {}) }, riffle: { csv, delta }, ...(reads.length > 0 ? { reads } : {}), greatExpectations: peer };
  if (has('json')) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  const table: string[][] = [['engine / source', 'rows', 'time (s)', 'rows/s', 'rows/cpu-s', 'peak RSS (MB)', 'passed', 'note']];
  for (const r of [csv, delta]) table.push([`riffle, ${r.source} (1 core, streaming)`, fmt(r.rows), r.seconds.toFixed(2), fmt(r.rowsPerSecond), fmt(r.rowsPerCpuSecond), fmt(r.peakRssMb), `${r.passed}/${r.expectations}`, r.approximate.length > 0 ? `approximate: ${r.approximate.join(', ')}` : 'exact']);
  for (const r of reads) table.push([`riffle, ${r.source} (read only)`, fmt(r.rows), r.seconds.toFixed(2), fmt(r.rowsPerSecond), fmt(r.rowsPerCpuSecond), fmt(r.peakRssMb), '', READS[r.source as ReadOnly]]);
  if ('skipped' in peer) table.push(['great expectations 0.18 (pandas)', '', '', '', '', '', '', `skipped: ${peer.skipped}`]);
  else {
    table.push(['great expectations 0.18 (pandas), validate', fmt(peer.rows), peer.validateSeconds.toFixed(2), fmt(peer.rowsPerSecond), fmt(peer.rows / peer.validateCpuSeconds), fmt(peer.peakRssMb), `${peer.passed}/${benchSuite.expectations.length}`, 'frame in memory; load excluded']);
    table.push(['great expectations 0.18 (pandas), read_csv + validate', fmt(peer.rows), (peer.loadSeconds + peer.validateSeconds).toFixed(2), fmt(peer.rows / (peer.loadSeconds + peer.validateSeconds)), fmt(peer.rows / (peer.loadCpuSeconds + peer.validateCpuSeconds)), '', '', 'same work as riffle csv']);
    const geEndToEnd = (peer.loadSeconds + peer.validateSeconds) / peer.rows;
    const geCpu = (peer.loadCpuSeconds + peer.validateCpuSeconds) / peer.rows;
    table.push(['ratio riffle csv vs GE (read + validate, per row)', '', `${(geEndToEnd / (csv.seconds / csv.rows)).toFixed(1)}x`, '', `${(geCpu / (csv.cpuSeconds / csv.rows)).toFixed(1)}x`, '', '', 'GE has no Delta reader in its venv; its validation time does not depend on the source']);
  }
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  console.log(`quality bench: ${benchSuite.expectations.length} expectations, ${fmt(n)} rows`);
  for (const r of table) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
}

await main();
