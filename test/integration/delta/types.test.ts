// Every Delta primitive type, both ways with delta-rs: decimal (up to 38 digits, exact), binary, timestamp and
// timestamp_ntz with microseconds (years 0001 and 9999), float/double NaN, ±Infinity and -0.0, short/byte, dates
// outside 1970–2100. delta-rs reads the tables Riffle writes (plain, partitioned by decimal and timestamp_ntz,
// through a checkpoint) with exactly the values written, and Riffle reads delta-rs' tables exactly; each prunes
// files by the other's statistics and still finds every matching row. Skips without the venv, unless
// RIFFLE_INTEGRATION=1.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { batchRows, DeltaTable, type DeltaType, type DeltaValue, type NestedType, type Predicate, type Row } from '../../../src/lakehouse/index.ts';
import { python, skip } from './harness.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-delta-types-'));
after(() => rmSync(root, { recursive: true, force: true }));
const typesOracle = fileURLToPath(new URL('./types_oracle.py', import.meta.url));
let inputs = 0;

type Encoded = Record<string, unknown>;
interface Read { protocol: Record<string, unknown>; schema: Record<string, string>; rows: Encoded[] }

function oracle<T>(command: string, table: string, input?: unknown): T {
  const args = [typesOracle, command, table];
  if (input !== undefined) {
    const file = join(root, `input-${inputs++}.json`);
    writeFileSync(file, JSON.stringify(input));
    args.push(file);
  }
  const r = spawnSync(python, args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`types oracle ${command} failed (${r.status ?? r.signal}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

const schema = {
  id: { type: 'long', nullable: false }, d1: 'decimal(5,2)', d2: 'decimal(18,4)', d3: 'decimal(38,10)', b: 'binary', ntz: 'timestamp_ntz',
  ts: 'timestamp', f: 'float', dbl: 'double', sh: 'short', by: 'byte', dt: 'date', n: 'integer', s: 'string', ok: 'boolean',
} as const;
const types: Record<string, string> = Object.fromEntries(Object.entries(schema).map(([k, t]) => [k, typeof t === 'string' ? t : t.type]));

/** The oracle's rows (types_oracle.py `rows()`), as Riffle writes them. */
const rows: Row[] = [
  {
    id: 1n, d1: '123.45', d2: '-99999999999999.9999', d3: '-9999999999999999999999999999.9999999999', b: new Uint8Array([0, 0xff, 0x80]),
    ntz: '0001-01-01T00:00:00.000001', ts: '0001-01-01T00:00:00Z', f: NaN, dbl: -Infinity, sh: -32768, by: 127, dt: '0001-01-01', n: -2147483648, s: 'é😀', ok: true,
  },
  {
    id: 2n, d1: 0.01, d2: null, d3: '1e-10', b: new Uint8Array(), ntz: '2024-05-06 07:08:09.123456', ts: '9999-12-31T23:59:59.999999Z', f: -0, dbl: Infinity,
    sh: 32767, by: -128, dt: '9999-12-31', n: 2147483647, s: '', ok: false,
  },
  {
    id: 3n, d1: '9.5', d2: '12345678901234.5678', d3: '1234567890123456789012345678.0123456789', b: null, ntz: -1n, ts: -1n, f: 1.1, dbl: -0,
    sh: null, by: 0, dt: '1969-12-31', n: null, s: null, ok: null,
  },
  { id: 4n, d1: 10, d2: '-0.0001', d3: null, b: Buffer.from('riffle'), ntz: null, ts: null, f: Infinity, dbl: NaN, sh: 0, by: null, dt: '2101-01-01', n: 0, s: 'x', ok: true },
];

/** Python's repr of a float (the oracle's encoding). */
function pyFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0.0';
  const s = String(x);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/** A canonical value of a column type in the oracle's exact encoding (maps as [key, value] pairs). */
function encodeValue(type: DeltaType | NestedType | string, v: DeltaValue | undefined): unknown {
  if (v === null || v === undefined) return null;
  if (typeof type === 'object') {
    if (type.type === 'array') return (v as DeltaValue[]).map((e) => encodeValue(type.elementType, e));
    if (type.type === 'map') return [...(v as Map<DeltaValue, DeltaValue>)].map(([k, x]) => [encodeValue(type.keyType, k), encodeValue(type.valueType, x)]);
    return Object.fromEntries(type.fields.map((f) => [f.name, encodeValue(f.type, (v as Record<string, DeltaValue>)[f.name])]));
  }
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && (type === 'float' || type === 'double')) return pyFloat(v);
  return v;
}

/** Riffle's canonical values in the oracle's exact encoding. */
function encodeRow(row: Readonly<Record<string, DeltaValue | undefined>>, columns: Readonly<Record<string, DeltaType | NestedType | string>> = types): Encoded {
  return Object.fromEntries(Object.keys(columns).map((k) => [k, encodeValue(columns[k], row[k])]));
}
const encodeAll = (rs: readonly Record<string, DeltaValue>[]): Encoded[] => rs.map((r) => encodeRow(r)).sort((a, b) => Number(a.id) - Number(b.id));

/** What both sides must read: the rows in exact encoding (decimals at their column's scale, floats as float32). */
const expected: Encoded[] = [
  {
    id: '1', d1: '123.45', d2: '-99999999999999.9999', d3: '-9999999999999999999999999999.9999999999', b: '00ff80', ntz: '-62135596799999999',
    ts: '-62135596800000000', f: 'nan', dbl: '-inf', sh: -32768, by: 127, dt: '0001-01-01', n: -2147483648, s: 'é😀', ok: true,
  },
  {
    id: '2', d1: '0.01', d2: null, d3: '0.0000000001', b: '', ntz: '1714979289123456', ts: '253402300799999999', f: '-0.0', dbl: 'inf',
    sh: 32767, by: -128, dt: '9999-12-31', n: 2147483647, s: '', ok: false,
  },
  {
    id: '3', d1: '9.50', d2: '12345678901234.5678', d3: '1234567890123456789012345678.0123456789', b: null, ntz: '-1', ts: '-1', f: '1.100000023841858',
    dbl: '-0.0', sh: null, by: 0, dt: '1969-12-31', n: null, s: null, ok: null,
  },
  { id: '4', d1: '10.00', d2: '-0.0001', d3: null, b: '726966666c65', ntz: null, ts: null, f: 'inf', dbl: 'nan', sh: 0, by: null, dt: '2101-01-01', n: 0, s: 'x', ok: true },
];

/** Predicates, each with the ids it selects: decimals in numeric order, timestamps before the epoch, far dates. */
const queries: { column: string; op: '<' | '<=' | '>' | '>=' | '='; value: string | number; ids: string[] }[] = [
  { column: 'd1', op: '>', value: '9.5', ids: ['1', '4'] },
  { column: 'd1', op: '<', value: '10', ids: ['2', '3'] },
  { column: 'd2', op: '<', value: '0', ids: ['1', '4'] },
  { column: 'd2', op: '=', value: '12345678901234.5678', ids: ['3'] },
  { column: 'd3', op: '>=', value: '0.0000000001', ids: ['2', '3'] },
  { column: 'ntz', op: '<', value: '0', ids: ['1', '3'] },
  { column: 'ts', op: '>', value: '253402300799999998', ids: ['2'] },
  { column: 'dt', op: '<', value: '1970-01-01', ids: ['1', '3'] },
  { column: 'sh', op: '=', value: 0, ids: ['4'] },
];
const OPS = { '<': 'lt', '<=': 'lte', '>': 'gt', '>=': 'gte', '=': 'eq' } as const;
const ntzProtocol = { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['timestampNtz'] };

/** The table read as Arrow record batches (DeltaTable.readBatches), turned back into canonical rows. */
async function batchRead(table: DeltaTable): Promise<Record<string, DeltaValue>[]> {
  const fields = (await table.snapshot()).schema.fields;
  const out: Record<string, DeltaValue>[] = [];
  for await (const batch of table.readBatches()) out.push(...batchRows(batch, fields));
  return out;
}

async function riffleFinds(table: DeltaTable): Promise<string[][]> {
  const out: string[][] = [];
  for (const q of queries) {
    const value = q.column === 'ntz' || q.column === 'ts' ? BigInt(q.value) : q.value;
    const where: Predicate = { [q.column]: { [OPS[q.op]]: value } };
    out.push((await table.read({ where })).map((r) => String(r.id)).sort());
  }
  return out;
}

for (const partitionBy of [[], ['d1', 'ntz']]) {
  const label = partitionBy.length > 0 ? `partitioned by ${partitionBy.join(', ')}` : 'unpartitioned';

  test(`delta-rs reads every type Riffle writes exactly (${label}, through a checkpoint) and finds rows by Riffle's stats`, { skip }, async () => {
    const path = join(root, `riffle-${partitionBy.length}`);
    const table = await DeltaTable.create(path, { schema, partitionBy, properties: { 'delta.checkpointInterval': '2' } });
    await table.append(rows.slice(0, 2));
    await table.append(rows.slice(2));
    assert.ok(readdirSync(join(path, '_delta_log')).includes('00000000000000000002.checkpoint.parquet'));
    assert.deepEqual(encodeAll(await table.read()), expected, 'Riffle reads what it wrote');
    assert.deepEqual(encodeAll(await batchRead(table)), expected, 'Riffle\'s Arrow batches hold what it wrote');
    const read = oracle<Read>('read', path);
    assert.deepEqual(read.rows, expected, 'delta-rs reads exactly what Riffle wrote');
    assert.deepEqual(read.schema, types);
    assert.deepEqual({ ...read.protocol, writerFeatures: undefined }, { ...ntzProtocol, writerFeatures: undefined });
    assert.ok((read.protocol.writerFeatures as string[]).includes('timestampNtz'));
    const found = oracle<string[][]>('find', path, queries.map((q) => [q.column, q.op, q.value]));
    assert.deepEqual(found, queries.map((q) => q.ids), 'delta-rs, pruning by Riffle\'s stats, finds every row');
  });

  test(`Riffle reads every type delta-rs writes exactly (${label}, checkpoint), finds rows by delta-rs' stats, and appends`, { skip }, async () => {
    const path = join(root, `delta-rs-${partitionBy.length}`);
    const written = oracle<Read>('write', path, { partitionBy, checkpoint: true });
    assert.deepEqual(written.rows, expected, 'delta-rs wrote the oracle rows');
    const table = await DeltaTable.open(path);
    assert.deepEqual((await table.schema()).fields.map((f) => [f.name, f.type]), Object.entries(types));
    assert.deepEqual(encodeAll(await table.read()), expected, 'Riffle reads exactly what delta-rs wrote');
    assert.deepEqual(encodeAll(await batchRead(table)), expected, 'Riffle\'s Arrow batches (parquet-wasm) hold exactly what delta-rs wrote');
    assert.deepEqual(await riffleFinds(table), queries.map((q) => q.ids), 'Riffle, pruning by delta-rs\' stats, finds every row');
    // Riffle appends to delta-rs' table (the timestampNtz feature is one it writes); delta-rs reads it back.
    await table.append([{ ...rows[0], id: 5n }]);
    const again = oracle<Read>('read', path);
    assert.deepEqual(again.rows, [...expected, { ...expected[0], id: '5' }]);
    assert.deepEqual(encodeAll(await table.read()), again.rows);
  });
}

test('delta-rs and pyarrow (checking page CRCs) read exactly what DuckDB\'s writer wrote for Riffle: every type it takes, zstd and snappy', { skip }, async () => {
  // Binary and 38-digit decimals are written by hyparquet-writer, so this table leaves them out; zstd sends even a
  // small file through DuckDB, and 70,000 more rows send a snappy one too.
  const { d3: _d3, b: _b, ...duckSchema } = schema;
  const path = join(root, 'riffle-duckdb');
  const table = await DeltaTable.create(path, { schema: duckSchema });
  await table.append(rows.map(({ d3: _x, b: _y, ...r }) => r), { parquet: { compression: 'zstd' } });
  const bulk: Row[] = Array.from({ length: 70_000 }, (_, i) => ({ id: BigInt(i + 10), s: ['a', 'b'][i % 2], dbl: i / 4, dt: '2024-01-02', ntz: BigInt(i), ok: i % 3 === 0 }));
  await table.append(bulk);
  const names = (await table.snapshot()).files.map((f) => f.path).sort();
  assert.deepEqual(names.map((n) => n.split('.').slice(-2, -1)[0]).sort(), ['snappy', 'zstd']);
  const drop = (e: Encoded): Encoded => { const { d3: _x, b: _y, ...rest } = e; return rest; };
  const read = oracle<Read>('read', path);
  assert.equal(read.rows.length, 70_004);
  assert.deepEqual(read.rows.slice(0, 4), expected.map(drop), 'delta-rs reads the edge values exactly');
  assert.deepEqual(read.rows[4], encodeRow(bulk[0], Object.fromEntries(Object.entries(types).filter(([k]) => k !== 'd3' && k !== 'b'))));
  assert.deepEqual(encodeAll(await table.read()).slice(0, 4).map(drop), expected.map(drop), 'Riffle reads them back exactly');
  const check = spawnSync(python, ['-c', [
    'import sys, pyarrow.parquet as pq',
    'n = 0',
    'for f in sys.argv[1:]: n += pq.read_table(f, page_checksum_verification=True).num_rows',
    'print(n)',
  ].join('\n'), ...names.map((n) => join(path, n))], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
  assert.equal(check.stdout.trim(), '70004');
});

const nestedSchema = {
  id: 'long', st: 'struct<a:long,d:decimal(20,3),t:timestamp,inner:struct<x:string,dt:date>>', arr: 'array<integer>',
  arrs: 'array<struct<k:string,b:binary,f:float>>', m: 'map<string,long>', mi: 'map<integer,array<timestamp>>',
} as const;
/** types_oracle.py `nested_rows()`, as Riffle writes them. */
const nestedRows: Row[] = [
  {
    id: 1n, st: { a: 2n ** 62n, d: '-12345678901234567.891', t: '0001-01-01T00:00:00Z', inner: { x: 'é😀', dt: '9999-12-31' } }, arr: [1, null, -2147483648],
    arrs: [{ k: 'a', b: new Uint8Array([0, 0xff]), f: NaN }, null], m: { a: 1n, b: null }, mi: new Map<number, (bigint | null)[]>([[1, [-1n, null]], [-2, []]]),
  },
  { id: 2n, st: null, arr: null, arrs: [], m: null, mi: new Map() },
  { id: 3n, st: { a: null, d: null, t: null, inner: null }, arr: [], arrs: null, m: {}, mi: null },
];
let nestedExpected: Encoded[] | undefined;

test('Riffle reads nested columns delta-rs writes (struct, array, map, nested in each other) exactly, also from a checkpoint, and appends', { skip }, async () => {
  const path = join(root, 'delta-rs-nested');
  const written = oracle<Read>('nested', path);
  nestedExpected = written.rows;
  const table = await DeltaTable.open(path);
  const fields = (await table.schema()).fields;
  assert.deepEqual(fields.map((f) => f.type), [
    'long', 'struct<a:long,d:decimal(20,3),t:timestamp,inner:struct<x:string,dt:date>>', 'array<integer>',
    'array<struct<k:string,b:binary,f:float>>', 'map<string,long>', 'map<integer,array<timestamp>>',
  ]);
  const columns = Object.fromEntries(fields.map((f) => [f.name, f.nested ?? f.type]));
  const ours = (await table.read()).map((r) => encodeRow(r, columns)).sort((a, b) => Number(a.id) - Number(b.id));
  assert.deepEqual(ours, written.rows);
  assert.deepEqual(written.rows[0]!.st, { a: '4611686018427387904', d: '-12345678901234567.891', t: '-62135596800000000', inner: { x: 'é😀', dt: '9999-12-31' } }, 'the oracle wrote the extremes');
  await table.append([{ ...nestedRows[0], id: 4n }]);
  assert.deepEqual(oracle<Read>('read', path).rows, [...written.rows, { ...written.rows[0], id: '4' }], 'delta-rs reads the nested row Riffle appended');
});

test('delta-rs reads nested columns Riffle writes exactly (through a checkpoint)', { skip }, async () => {
  const path = join(root, 'riffle-nested');
  const table = await DeltaTable.create(path, { schema: nestedSchema, properties: { 'delta.checkpointInterval': '2' } });
  await table.append(nestedRows.slice(0, 1));
  await table.append(nestedRows.slice(1));
  const read = oracle<Read>('read', path);
  assert.ok(nestedExpected, 'the delta-rs nested test ran first');
  assert.deepEqual(read.rows, nestedExpected, 'delta-rs reads what delta-rs itself wrote for the same rows');
});
