// `npm run bench:sql`: riffle sql over Delta tables vs DuckDB reading the same Parquet files directly, same process,
// same run. TPC-H-shaped data (DuckDB's tpch extension is not bundled with the Node package, so a generator of our
// own: the TPC-H schema, keys and date ranges, values from deterministic hashes, decimals as doubles — not dbgen's
// exact distributions) at scale factor SF, each table written by Riffle as a Delta table in COMMITS commits in date
// order (min/max skipping has ranges to use). Then TPC-H Q1, Q3, Q5, Q6 and Q10, each through
// `SqlSession.query` with `delta('…')` (snapshot from the log, pruning and skipping, a view over the surviving files)
// and through a plain DuckDB connection with `read_parquet('<table>/*.parquet')`. Prints the median of REPEAT runs of
// each (interleaved), the ratio (target ≤ 1.2×) and the files read. Usage:
//   node --import tsx bench/sql.ts [sf=0.1] [commits=4]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DuckDBInstance } from '@duckdb/node-api';
import { DeltaTable, type Row, type SchemaInput } from '../src/lakehouse/index.ts';
import { SqlSession } from '../src/sql/index.ts';

const SF = Number(process.argv[2] ?? 0.1);
const COMMITS = Number(process.argv[3] ?? 4);
const REPEAT = 5;
const dir = mkdtempSync(join(tmpdir(), 'riffle-bench-sql-'));

// Generators: DuckDB SQL over range(); h(x) is a deterministic hash in [0, 1).
const N = { customer: Math.round(150_000 * SF), orders: Math.round(1_500_000 * SF), supplier: Math.max(1, Math.round(10_000 * SF)) };
const h = (x: string, salt: number) => `(hash(${x} * 7919 + ${salt}) % 1000000) / 1000000.0`;
const TABLES: Record<string, { schema: SchemaInput; sql: string; order: string }> = {
  region: {
    schema: { r_regionkey: 'long', r_name: 'string' }, order: 'r_regionkey',
    sql: `SELECT i AS r_regionkey, ['AFRICA','AMERICA','ASIA','EUROPE','MIDDLE EAST'][i + 1] AS r_name FROM range(5) t(i)`,
  },
  nation: {
    schema: { n_nationkey: 'long', n_name: 'string', n_regionkey: 'long' }, order: 'n_nationkey',
    sql: `SELECT i AS n_nationkey, 'NATION' || i AS n_name, i % 5 AS n_regionkey FROM range(25) t(i)`,
  },
  supplier: {
    schema: { s_suppkey: 'long', s_name: 'string', s_nationkey: 'long', s_acctbal: 'double' }, order: 's_suppkey',
    sql: `SELECT i + 1 AS s_suppkey, 'Supplier#' || (i + 1) AS s_name, (i * 7) % 25 AS s_nationkey, round(${h('i', 1)} * 10000 - 1000, 2) AS s_acctbal FROM range(${N.supplier}) t(i)`,
  },
  customer: {
    schema: { c_custkey: 'long', c_name: 'string', c_address: 'string', c_nationkey: 'long', c_phone: 'string', c_acctbal: 'double', c_mktsegment: 'string', c_comment: 'string' }, order: 'c_custkey',
    sql: `SELECT i + 1 AS c_custkey, 'Customer#' || (i + 1) AS c_name, 'addr' || i AS c_address, (i * 13) % 25 AS c_nationkey,
      '1' || (i % 90 + 10) || '-' || (i % 900 + 100) AS c_phone, round(${h('i', 2)} * 10000 - 1000, 2) AS c_acctbal,
      ['AUTOMOBILE','BUILDING','FURNITURE','HOUSEHOLD','MACHINERY'][i % 5 + 1] AS c_mktsegment, 'comment ' || (i % 97) AS c_comment FROM range(${N.customer}) t(i)`,
  },
  orders: {
    schema: { o_orderkey: 'long', o_custkey: 'long', o_orderstatus: 'string', o_totalprice: 'double', o_orderdate: 'date', o_orderpriority: 'string', o_shippriority: 'integer' }, order: 'o_orderdate, o_orderkey',
    sql: `SELECT i + 1 AS o_orderkey, (i * 31) % ${N.customer} + 1 AS o_custkey, ['F','O','P'][i % 3 + 1] AS o_orderstatus,
      round(${h('i', 3)} * 400000 + 900, 2) AS o_totalprice, DATE '1992-01-01' + CAST(floor(${h('i', 4)} * 2405) AS INTEGER) AS o_orderdate,
      ['1-URGENT','2-HIGH','3-MEDIUM','4-NOT SPECIFIED','5-LOW'][i % 5 + 1] AS o_orderpriority, CAST(0 AS INTEGER) AS o_shippriority FROM range(${N.orders}) t(i)`,
  },
  lineitem: {
    schema: {
      l_orderkey: 'long', l_suppkey: 'long', l_linenumber: 'integer', l_quantity: 'double', l_extendedprice: 'double', l_discount: 'double', l_tax: 'double',
      l_returnflag: 'string', l_linestatus: 'string', l_shipdate: 'date', l_commitdate: 'date', l_receiptdate: 'date',
    },
    order: 'l_shipdate, l_orderkey',
    sql: `SELECT o.o_orderkey AS l_orderkey, (o.o_orderkey * 17 + n) % ${N.supplier} + 1 AS l_suppkey, CAST(n + 1 AS INTEGER) AS l_linenumber,
      floor(${h('o.o_orderkey * 8 + n', 5)} * 50) + 1 AS l_quantity, round((floor(${h('o.o_orderkey * 8 + n', 5)} * 50) + 1) * (900 + ${h('o.o_orderkey * 8 + n', 6)} * 1100), 2) AS l_extendedprice,
      round(floor(${h('o.o_orderkey * 8 + n', 7)} * 11) / 100, 2) AS l_discount, round(floor(${h('o.o_orderkey * 8 + n', 8)} * 9) / 100, 2) AS l_tax,
      CASE WHEN o.o_orderdate + 30 <= DATE '1995-06-17' THEN ['R','A'][(o.o_orderkey + n) % 2 + 1] ELSE 'N' END AS l_returnflag,
      CASE WHEN o.o_orderdate + 30 > DATE '1995-06-17' THEN 'O' ELSE 'F' END AS l_linestatus,
      o.o_orderdate + CAST(1 + floor(${h('o.o_orderkey * 8 + n', 9)} * 121) AS INTEGER) AS l_shipdate,
      o.o_orderdate + CAST(30 + floor(${h('o.o_orderkey * 8 + n', 10)} * 61) AS INTEGER) AS l_commitdate,
      o.o_orderdate + CAST(1 + floor(${h('o.o_orderkey * 8 + n', 9)} * 121) + 1 + floor(${h('o.o_orderkey * 8 + n', 11)} * 30) AS INTEGER) AS l_receiptdate
      FROM orders_gen o, range(CAST(1 + (o.o_orderkey % 7) AS BIGINT)) r(n)`,
  },
};

const QUERIES: Record<string, (t: (name: string) => string) => string> = {
  Q1: (t) => `SELECT l_returnflag, l_linestatus, sum(l_quantity) AS sum_qty, sum(l_extendedprice) AS sum_base_price,
    sum(l_extendedprice * (1 - l_discount)) AS sum_disc_price, sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge,
    avg(l_quantity) AS avg_qty, avg(l_extendedprice) AS avg_price, avg(l_discount) AS avg_disc, count(*) AS count_order
    FROM ${t('lineitem')} WHERE l_shipdate <= DATE '1998-12-01' - INTERVAL 90 DAY GROUP BY l_returnflag, l_linestatus ORDER BY l_returnflag, l_linestatus`,
  Q3: (t) => `SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue, o_orderdate, o_shippriority
    FROM ${t('customer')} c, ${t('orders')} o, ${t('lineitem')} l
    WHERE c.c_mktsegment = 'BUILDING' AND c.c_custkey = o.o_custkey AND l.l_orderkey = o.o_orderkey AND o.o_orderdate < DATE '1995-03-15' AND l.l_shipdate > DATE '1995-03-15'
    GROUP BY l_orderkey, o_orderdate, o_shippriority ORDER BY revenue DESC, o_orderdate LIMIT 10`,
  Q5: (t) => `SELECT n_name, sum(l_extendedprice * (1 - l_discount)) AS revenue
    FROM ${t('customer')} c, ${t('orders')} o, ${t('lineitem')} l, ${t('supplier')} s, ${t('nation')} n, ${t('region')} r
    WHERE c.c_custkey = o.o_custkey AND l.l_orderkey = o.o_orderkey AND l.l_suppkey = s.s_suppkey AND c.c_nationkey = s.s_nationkey
      AND s.s_nationkey = n.n_nationkey AND n.n_regionkey = r.r_regionkey AND r.r_name = 'ASIA'
      AND o.o_orderdate >= DATE '1994-01-01' AND o.o_orderdate < DATE '1995-01-01'
    GROUP BY n_name ORDER BY revenue DESC`,
  Q6: (t) => `SELECT sum(l_extendedprice * l_discount) AS revenue FROM ${t('lineitem')}
    WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01' AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24`,
  Q10: (t) => `SELECT c_custkey, c_name, sum(l_extendedprice * (1 - l_discount)) AS revenue, c_acctbal, n_name, c_address, c_phone, c_comment
    FROM ${t('customer')} c, ${t('orders')} o, ${t('lineitem')} l, ${t('nation')} n
    WHERE c.c_custkey = o.o_custkey AND l.l_orderkey = o.o_orderkey AND o.o_orderdate >= DATE '1993-10-01' AND o.o_orderdate < DATE '1994-01-01'
      AND l.l_returnflag = 'R' AND c.c_nationkey = n.n_nationkey
    GROUP BY c_custkey, c_name, c_acctbal, c_phone, n_name, c_address, c_comment ORDER BY revenue DESC LIMIT 20`,
};

/** Medians of REPEAT runs of each, the two interleaved (so that a busy moment of the machine hits both alike). */
async function medians(a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<[number, number]> {
  await a(); // warm the OS cache and DuckDB
  await b();
  const ta: number[] = [];
  const tb: number[] = [];
  for (let k = 0; k < REPEAT; k++) {
    for (const [run, times] of [[a, ta], [b, tb]] as const) {
      const t = performance.now();
      await run();
      times.push(performance.now() - t);
    }
  }
  const mid = (t: number[]) => t.sort((x, y) => x - y)[Math.floor(REPEAT / 2)];
  return [mid(ta), mid(tb)];
}

// 1. Generate (DuckDB) and write (Riffle's Delta writer), COMMITS commits per large table, in date order.
const gen = await (await DuckDBInstance.create(':memory:')).connect();
await gen.run("SET TimeZone = 'UTC'");
await gen.run(`CREATE TABLE orders_gen AS ${TABLES.orders.sql}`);
const t0 = performance.now();
for (const [name, { schema, sql, order }] of Object.entries(TABLES)) {
  const table = await DeltaTable.create(join(dir, name), { schema });
  await gen.run(`CREATE OR REPLACE TABLE g AS SELECT * FROM (${sql}) ORDER BY ${order}`);
  const total = Number((await gen.runAndReadAll('SELECT count(*) FROM g')).getRowsJS()[0][0]);
  const commits = total > 100_000 ? COMMITS : 1;
  for (let c = 0; c < commits; c++) {
    const from = Math.floor((c * total) / commits);
    const to = Math.floor(((c + 1) * total) / commits);
    const rows = (await gen.runAndReadAll(`SELECT * FROM g LIMIT ${to - from} OFFSET ${from}`)).getRowObjectsJS() as Row[];
    for (const r of rows) for (const [k, v] of Object.entries(r)) if (v instanceof Date) r[k] = v.toISOString().slice(0, 10);
    await table.append(rows);
  }
  console.log(`${name}: ${total.toLocaleString('en-US')} rows, ${(await table.snapshot()).files.length} files`);
}
console.log(`generated and written at SF ${SF} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

// 2. The queries, both ways.
const session = await SqlSession.open();
const duck = await (await DuckDBInstance.create(':memory:')).connect();
await duck.run("SET TimeZone = 'UTC'");
const viaDelta = (name: string) => `delta('${join(dir, name)}')`;
const direct = (name: string) => `read_parquet('${join(dir, name)}/*.parquet')`;
console.log('query   riffle sql (delta)   DuckDB (read_parquet)   ratio   files read');
for (const [name, q] of Object.entries(QUERIES)) {
  const ours = await session.query(q(viaDelta));
  const theirs = (await duck.runAndReadAll(q(direct))).getRowsJson();
  const same = ours.rows.length === theirs.length;
  const [a, b] = await medians(() => session.query(q(viaDelta)), () => duck.runAndReadAll(q(direct)));
  const read = ours.scans.reduce((n, s) => n + s.filesRead, 0);
  const total = ours.scans.reduce((n, s) => n + s.filesTotal, 0);
  console.log(`${name.padEnd(6)}  ${a.toFixed(1).padStart(15)} ms  ${b.toFixed(1).padStart(18)} ms  ${(a / b).toFixed(2).padStart(5)}×  ${read}/${total}${same ? '' : '  (row counts differ!)'}`);
}
session.close();
rmSync(dir, { recursive: true, force: true });
