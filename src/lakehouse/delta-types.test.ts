// Every Delta primitive type through real tables: decimal (exact), binary, timestamp_ntz, short/byte/float, float
// specials (NaN, ±Infinity, -0.0), dates outside 1970–2100 — written, read back exactly (also from a checkpoint and
// as partition values), filtered with numeric order for decimals, merged on, and refused clearly when nested.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { compareDecimals, decimalByteLength, decimalString, toCanonicalDecimal, unscaledOf } from './decimal-value.ts';
import { DeltaTable, type Row, SchemaMismatchError } from './index.ts';
import { schemaFromJson } from './schema.ts';
import { fromPartitionString, fromStatsValue, stringifyJson, toCanonical, toPartitionString, toStatsValue } from './value-mapping.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-types-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(root, `t${n++}`);

const schema = {
  id: { type: 'long', nullable: false }, d1: 'decimal(5,2)', d2: 'decimal(18,4)', d3: 'decimal(38,10)', b: 'binary',
  ntz: 'timestamp_ntz', ts: 'timestamp', f: 'float', dbl: 'double', sh: 'short', by: 'byte', dt: 'date',
} as const;

const rows: Row[] = [
  {
    id: 1n, d1: '-123.45', d2: '12345678901234.5678', d3: '-1234567890123456789012345678.0123456789', b: new Uint8Array([0, 255, 128]),
    ntz: '0001-01-01T00:00:00.000001', ts: '9999-12-31T23:59:59.999999Z', f: NaN, dbl: -Infinity, sh: -32768, by: 127, dt: '0001-01-01',
  },
  { id: 2n, d1: 0.01, d2: null, d3: 1n, b: new Uint8Array(), ntz: '2024-05-06 07:08:09.123456', ts: -1n, f: -0, dbl: Infinity, sh: 32767, by: -128, dt: '9999-12-31' },
  { id: 3n, d1: '9.5', d2: '-0.0001', d3: '0.0000000001', b: null, ntz: null, ts: null, f: 1.1, dbl: -0, sh: null, by: 0, dt: '1969-12-31' },
  { id: 4n, d1: '10', d2: '99999999999999.9999', d3: '9999999999999999999999999999.9999999999', b: Buffer.from('riffle'), ntz: -1n, ts: new Date('0001-01-01T00:00:00Z'), f: Infinity, dbl: NaN, sh: 0, by: null, dt: '2101-01-01' },
];

/** What a read must return for `rows`: canonical forms (decimals with the column's scale, floats rounded to float32). */
const expected = [
  {
    id: 1n, d1: '-123.45', d2: '12345678901234.5678', d3: '-1234567890123456789012345678.0123456789', b: new Uint8Array([0, 255, 128]),
    ntz: -62135596799999999n, ts: 253402300799999999n, f: NaN, dbl: -Infinity, sh: -32768, by: 127, dt: '0001-01-01',
  },
  { id: 2n, d1: '0.01', d2: null, d3: '1.0000000000', b: new Uint8Array(), ntz: 1714979289123456n, ts: -1n, f: -0, dbl: Infinity, sh: 32767, by: -128, dt: '9999-12-31' },
  { id: 3n, d1: '9.50', d2: '-0.0001', d3: '0.0000000001', b: null, ntz: null, ts: null, f: Math.fround(1.1), dbl: -0, sh: null, by: 0, dt: '1969-12-31' },
  { id: 4n, d1: '10.00', d2: '99999999999999.9999', d3: '9999999999999999999999999999.9999999999', b: new Uint8Array(Buffer.from('riffle')), ntz: -1n, ts: -62135596800000000n, f: Infinity, dbl: NaN, sh: 0, by: null, dt: '2101-01-01' },
];

const byId = (a: Record<string, unknown>, b: Record<string, unknown>): number => Number(a.id) - Number(b.id);
/** deepEqual, with Buffers compared as plain bytes and -0 distinguished from 0 (assert.deepStrictEqual uses Object.is). */
const plain = (rs: readonly Record<string, unknown>[]): Record<string, unknown>[] =>
  [...rs].sort(byId).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v instanceof Uint8Array ? [...v] : v])));

test('decimals are exact: parsing, errors, canonical strings, order, byte widths', () => {
  assert.equal(unscaledOf('12.3', 2), 1230n);
  assert.equal(unscaledOf('-1e3', 0), -1000n);
  assert.equal(unscaledOf('1.2300', 2), 123n);
  assert.deepEqual(unscaledOf('1.234', 2), { error: "string '1.234' has more than 2 decimal places" });
  assert.deepEqual(unscaledOf('abc', 2), { error: "string 'abc' is not a decimal number" });
  assert.equal(decimalString(-5n, 2), '-0.05');
  assert.equal(decimalString(7n, 0), '7');
  assert.equal(toCanonicalDecimal(0.1, 5, 2), '0.10');
  assert.equal(toCanonicalDecimal(12n, 5, 2), '12.00');
  assert.equal(toCanonicalDecimal('-0', 5, 2), '0.00');
  assert.deepEqual(toCanonicalDecimal('1000', 5, 2), { error: "'1000' needs more than 5 digits (decimal(5,2))" });
  assert.deepEqual(toCanonicalDecimal(0.125, 5, 2), { error: 'number 0.125 has more than 2 decimal places (pass a string for an exact value)' });
  assert.deepEqual(toCanonical('decimal(5,2)', true), { error: 'boolean true' });
  assert.deepEqual(toCanonicalDecimal(0.1 + 0.2, 20, 18), { error: 'number 0.30000000000000004 has more than 15 significant digits, which a number does not hold exactly (pass a string)' });
  assert.equal(toCanonicalDecimal(123456789012345, 20, 0), '123456789012345');
  assert.ok(compareDecimals('9.50', '10.00') < 0);
  assert.ok(compareDecimals('-10.00', '-9.5') < 0);
  assert.equal(compareDecimals('1.0', '1.000'), 0);
  assert.deepEqual([1, 2, 3, 4, 5, 9, 10, 18, 19, 38].map(decimalByteLength), [1, 1, 2, 2, 3, 4, 5, 8, 9, 16]);
});

test('the other new types map deliberately; partition and stats forms round-trip', () => {
  assert.equal(toCanonical('float', 0.1), Math.fround(0.1));
  assert.equal(toCanonical('timestamp_ntz', '2024-01-01T00:00:00.5'), 1704067200500000n);
  assert.deepEqual(toCanonical('timestamp_ntz', '2024-01-01T00:00:00Z'), { error: "string '2024-01-01T00:00:00Z' is not an ISO-8601 timestamp without a zone" });
  assert.deepEqual(toCanonical('binary', 'abc'), { error: "string 'abc'" });
  assert.deepEqual(toCanonical('short', 40000), { error: 'number 40000 is not a 16-bit integer' });
  assert.deepEqual(toCanonical('byte', 128), { error: 'number 128 is not a 8-bit integer' });
  assert.equal(toCanonical('date', '0001-01-01'), '0001-01-01');
  assert.equal(toCanonical('timestamp', '0001-01-01T00:00:00Z'), -62135596800000000n);
  assert.equal(toPartitionString('timestamp_ntz', 1_500_000n), '1970-01-01 00:00:01.500000');
  assert.equal(fromPartitionString('timestamp_ntz', '2024-05-06 07:08:09.123456'), 1714979289123456n);
  assert.equal(fromPartitionString('decimal(38,10)', '1.0000000000'), '1.0000000000');
  assert.equal(fromPartitionString('decimal(5,2)', '3.1'), '3.10');
  assert.deepEqual([...fromPartitionString('binary', toPartitionString('binary', new Uint8Array([0, 200, 65])) as string) as Uint8Array], [0, 200, 65]);
  // Stats: decimals as exact JSON numbers; read back only up to 15 digits (a float64 is exact there).
  assert.equal(stringifyJson({ d: toStatsValue('decimal(38,10)', '-1234567890123456789012345678.0123456789') }), '{"d":-1234567890123456789012345678.0123456789}');
  assert.equal(fromStatsValue('decimal(5,2)', -123.45), '-123.45');
  assert.equal(fromStatsValue('decimal(18,4)', 12345678901234.568), undefined);
  assert.equal(toStatsValue('timestamp_ntz', 1_714_979_289_123_456n), '2024-05-06 07:08:09.123');
  assert.equal(fromStatsValue('timestamp_ntz', '0001-01-01 00:00:00.000'), -62135596800000000n);
  assert.equal(toStatsValue('binary', new Uint8Array([1])), undefined);
});

test('every type round-trips exactly through a table, a checkpoint and a reopen', async () => {
  const path = fresh();
  const table = await DeltaTable.create(path, { schema, properties: { 'delta.checkpointInterval': '2' } });
  await table.append(rows.slice(0, 2));
  await table.append(rows.slice(2));
  assert.deepEqual(plain(await table.read()), plain(expected));
  const snapshot = await table.snapshot();
  assert.deepEqual(snapshot.protocol, { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['timestampNtz'], writerFeatures: ['appendOnly', 'timestampNtz'] });
  assert.deepEqual(snapshot.schema.fields.map((f) => f.type), Object.values(schema).map((t) => (typeof t === 'string' ? t : t.type)));
  // Reads must come from the checkpoint (with the protocol's features) once the commits it covers are gone.
  const log = join(path, '_delta_log');
  assert.ok(readdirSync(log).includes('00000000000000000002.checkpoint.parquet'));
  for (const f of readdirSync(log)) if (/^0+[0-2]\.json$/.test(f)) unlinkSync(join(log, f));
  const reopened = await DeltaTable.open(path);
  assert.deepEqual((await reopened.snapshot()).protocol, snapshot.protocol);
  assert.deepEqual(plain(await reopened.read()), plain(expected));
});

test('decimal predicates compare numerically, also when skipping files by their statistics', async () => {
  const table = await DeltaTable.create(fresh(), { schema: { id: 'long', d: 'decimal(5,2)', big: 'decimal(20,3)' } });
  for (const group of [['9.5', '-3'], ['10', '100.25'], ['-20.05', '2']]) await table.append(group.map((d, i) => ({ id: BigInt(n * 10 + i), d, big: `${d}` })));
  const ds = async (where: Parameters<DeltaTable['read']>[0]): Promise<string[]> => (await table.read(where)).map((r) => r.d as string).sort(compareDecimals);
  assert.deepEqual(await ds({ where: { d: { gt: '9.5' } } }), ['10.00', '100.25']);
  assert.deepEqual(await ds({ where: { d: { lt: 2 } } }), ['-20.05', '-3.00']);
  assert.deepEqual(await ds({ where: { d: { gte: '-3', lte: '10.00' } } }), ['-3.00', '2.00', '9.50', '10.00']);
  assert.deepEqual(await ds({ where: { d: 100.25 } }), ['100.25']);
  assert.deepEqual(await ds({ where: { big: { gt: '9.5' } } }), ['10.00', '100.25']);
  assert.deepEqual(await ds({ where: { d: { in: ['2', '9.50'] } } }), ['2.00', '9.50']);
  // The statistics skip the files that cannot match (numeric bounds: '10.00' < '9.50' as strings).
  const files = (await table.snapshot()).filesMatching({ d: { gt: '50' } }).files;
  assert.equal(files.length, 1);
  await assert.rejects(table.read({ where: { d: '1.234' } }), /column 'd' is decimal\(5,2\), got string '1.234' has more than 2 decimal places/);
});

test('partition columns of decimal, timestamp_ntz and date types round-trip', async () => {
  const table = await DeltaTable.create(fresh(), { schema: { id: 'long', d: 'decimal(10,3)', at: 'timestamp_ntz', day: 'date' }, partitionBy: ['d', 'at', 'day'] });
  const input = [
    { id: 1n, d: '-1.5', at: '1900-01-01 12:00:00.000001', day: '0001-01-01' },
    { id: 2n, d: '12345.678', at: null, day: '9999-12-31' },
    { id: 3n, d: null, at: '2024-02-29T23:59:59.999999', day: null },
  ];
  await table.append(input);
  const got = (await table.read()).sort(byId);
  assert.deepEqual(got, [
    { id: 1n, d: '-1.500', at: -2208945599999999n, day: '0001-01-01' },
    { id: 2n, d: '12345.678', at: null, day: '9999-12-31' },
    { id: 3n, d: null, at: 1709251199999999n, day: null },
  ]);
  assert.deepEqual((await table.read({ where: { d: { lt: '0' } } })).map((r) => r.id), [1n]);
  const partitions = (await table.snapshot()).files.map((f) => f.partitionValues).sort((a, b) => String(a.d).localeCompare(String(b.d)));
  assert.deepEqual(partitions.map((p) => p.d), ['-1.500', '12345.678', null]);
});

test('MERGE and DELETE on decimal and binary keys match by value', async () => {
  const table = await DeltaTable.create(fresh(), { schema: { d: 'decimal(6,2)', b: 'binary', v: 'integer' } });
  await table.append([{ d: '1.10', b: new Uint8Array([1, 2]), v: 1 }, { d: '2', b: new Uint8Array([3]), v: 2 }]);
  await table.merge([{ d: 1.1, b: new Uint8Array([9]), v: 10 }, { d: '3', b: new Uint8Array([4]), v: 3 }], { on: ['d'] })
    .whenMatchedUpdate({ all: true }).whenNotMatchedInsert({ all: true }).execute();
  await table.merge([{ d: '2.00', b: new Uint8Array([3]), v: 20 }], { on: ['b'] }).whenMatchedUpdate({ set: { v: 20 } }).execute();
  assert.deepEqual((await table.read()).map((r) => [r.d, [...(r.b as Uint8Array)], r.v]).sort((a, b) => compareDecimals(a[0] as string, b[0] as string)),
    [['1.10', [9], 10], ['2.00', [3], 20], ['3.00', [4], 3]]);
  assert.equal((await table.read({ where: { b: new Uint8Array([4]) } })).length, 1);
  const { metrics } = await table.delete({ b: new Uint8Array([9]) });
  assert.equal(metrics.numDeletedRows, 1);
});

test('adding a timestamp_ntz column upgrades the protocol to the timestampNtz feature', async () => {
  const table = await DeltaTable.create(fresh(), { schema: { id: 'long' }, properties: { 'delta.enableChangeDataFeed': 'true' } });
  await table.append([{ id: 1n, at: '2024-01-01 00:00:00' }], { mergeSchema: true, schema: { at: 'timestamp_ntz' } });
  assert.deepEqual((await table.snapshot()).protocol, { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['timestampNtz'], writerFeatures: ['appendOnly', 'changeDataFeed', 'timestampNtz'] });
  assert.deepEqual(await table.read(), [{ id: 1n, at: 1704067200000000n }]);
  assert.equal((await table.changes()).length, 1);
});

test('mergeSchema infers binary from Uint8Array values; decimal and timestamp_ntz columns are added when given', async () => {
  const table = await DeltaTable.create(fresh(), { schema: { id: 'long' } });
  await table.append([{ id: 1n, blob: new Uint8Array([1, 2]), price: '9.99' }], { mergeSchema: true, schema: { price: 'decimal(6,2)' } });
  assert.deepEqual((await table.schema()).fields.map((f) => f.type), ['long', 'binary', 'decimal(6,2)']);
  assert.deepEqual((await table.snapshot()).protocol, { minReaderVersion: 1, minWriterVersion: 2 });
  assert.deepEqual(await table.read(), [{ id: 1n, blob: new Uint8Array([1, 2]), price: '9.99' }]);
});

test('invalid types and values are refused with the column and type named', async () => {
  await assert.rejects(DeltaTable.create(fresh(), { schema: { d: 'decimal(39,2)' as const } }), /column 'd' has unsupported type 'decimal\(39,2\)'/);
  await assert.rejects(DeltaTable.create(fresh(), { schema: { d: 'decimal(5,2)' } }).then((t) => t.append([{ d: '1234.5' }])), /column 'd' expects decimal\(5,2\), got '1234.5' needs more than 5 digits/);
});

/** A table whose one data file has nested columns, written the way other engines lay them out (Riffle writes none). */
async function nestedTable(path: string): Promise<void> {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const schema = [
    { name: 'schema', num_children: 4 },
    { name: 'id', type: 'INT64', repetition_type: 'REQUIRED' },
    { name: 'st', repetition_type: 'OPTIONAL', num_children: 2 },
    { name: 'a', type: 'INT64', repetition_type: 'OPTIONAL' },
    { name: 'd', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 9, repetition_type: 'OPTIONAL', converted_type: 'DECIMAL', precision: 20, scale: 3, logical_type: { type: 'DECIMAL', precision: 20, scale: 3 } },
    { name: 'arr', repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', type: 'INT64', repetition_type: 'OPTIONAL', converted_type: 'TIMESTAMP_MICROS' },
    { name: 'm', repetition_type: 'OPTIONAL', converted_type: 'MAP', num_children: 1 },
    { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
    { name: 'key', type: 'BYTE_ARRAY', repetition_type: 'REQUIRED', converted_type: 'UTF8' },
    { name: 'value', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' },
  ] as const;
  const bytes = new Uint8Array(parquetWriteBuffer({
    schema: schema as never,
    columnData: [
      { name: 'id', data: [1n, 2n, 3n] },
      { name: 'st', data: [{ a: 2n ** 62n, d: 12345678901234567891n }, null, { a: null, d: -5n }] },
      { name: 'arr', data: [[-1n, null, 253402300799999999n], null, []] },
      { name: 'm', data: [{ k: new Uint8Array([0, 255]) }, {}, null] },
    ],
  }));
  const { mkdirSync, writeFileSync } = await import('node:fs');
  mkdirSync(join(path, '_delta_log'), { recursive: true });
  writeFileSync(join(path, 'part-0.parquet'), bytes);
  const type = (t: unknown) => ({ type: t, nullable: true, metadata: {} });
  const fields = [
    { name: 'id', ...type('long') },
    { name: 'st', ...type({ type: 'struct', fields: [{ name: 'a', ...type('long') }, { name: 'd', ...type('decimal(20,3)') }] }) },
    { name: 'arr', ...type({ type: 'array', elementType: 'timestamp', containsNull: true }) },
    { name: 'm', ...type({ type: 'map', keyType: 'string', valueType: 'binary', valueContainsNull: true }) },
  ];
  writeFileSync(join(path, '_delta_log', '00000000000000000000.json'), [
    { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
    { metaData: { id: 'n', format: { provider: 'parquet', options: {} }, schemaString: JSON.stringify({ type: 'struct', fields }), partitionColumns: [], configuration: {}, createdTime: 0 } },
    { add: { path: 'part-0.parquet', partitionValues: {}, size: bytes.byteLength, modificationTime: 0, dataChange: true, stats: '{"numRecords":3,"nullCount":{"id":0,"st":{"a":1,"d":0}}}' } },
  ].map((a) => JSON.stringify(a)).join('\n'));
}

test('nested columns (struct, array, map) of a foreign file read exactly, leaves canonical; DML rewrites them unchanged', async () => {
  const path = fresh();
  await nestedTable(path);
  const table = await DeltaTable.open(path);
  assert.deepEqual((await table.schema()).fields.map((f) => f.type), ['long', 'struct<a:long,d:decimal(20,3)>', 'array<timestamp>', 'map<string,binary>']);
  assert.deepEqual((await table.read()).sort(byId), [
    { id: 1n, st: { a: 2n ** 62n, d: '12345678901234567.891' }, arr: [-1n, null, 253402300799999999n], m: new Map([['k', new Uint8Array([0, 255])]]) },
    { id: 2n, st: null, arr: null, m: new Map() },
    { id: 3n, st: { a: null, d: '-0.005' }, arr: [], m: null },
  ]);
  assert.deepEqual(await table.read({ columns: ['id'], where: { id: 3n } }), [{ id: 3n }]);
  await assert.rejects(table.read({ where: { st: null } }), /where: column 'st' is struct<a:long,d:decimal\(20,3\)>; predicates on nested columns are not supported/);
  const { metrics } = await table.delete({ id: 2n });
  assert.equal(metrics.numDeletedRows, 1);
  assert.deepEqual((await table.read()).sort(byId).map((r) => r.st), [{ a: 2n ** 62n, d: '12345678901234567.891' }, { a: null, d: '-0.005' }]);
  // A type Riffle does not know, even deep inside a nested one, is refused naming the column and the whole type.
  const bad = JSON.stringify({ type: 'struct', fields: [{ name: 'v', type: { type: 'map', keyType: 'string', valueType: { type: 'array', elementType: 'interval', containsNull: true }, valueContainsNull: true }, nullable: true, metadata: {} }] });
  assert.throws(() => schemaFromJson(bad), /column 'v' has type map<string,array<interval>>, which Riffle cannot read yet/);
});

test('nested columns are written: canonical values, values that do not fit named by path, nested timestamp_ntz needs the feature', async () => {
  const table = await DeltaTable.create(fresh(), {
    schema: { id: 'long', st: 'struct<a:long,d:decimal(20,3),inner:struct<x:string,dt:date>>', arr: 'array<integer>', m: 'map<integer,array<timestamp_ntz>>', ms: 'map<string,binary>' },
    properties: { 'delta.enableChangeDataFeed': 'true' },
  });
  await table.append([
    { id: 1n, st: { a: 2n ** 62n, d: '-12345678901234567.891', inner: { x: 'é', dt: '0001-01-01' } }, arr: [1, null, 3], m: new Map([[1, ['1969-12-31 23:59:59.999999', null]], [-2, []]]), ms: { k: new Uint8Array([0, 255]) } },
    { id: 2n, st: null, arr: null, m: null, ms: null },
    { id: 3n, st: { a: 5 }, arr: [], m: new Map(), ms: {} },
  ]);
  const expected = [
    { id: 1n, st: { a: 2n ** 62n, d: '-12345678901234567.891', inner: { x: 'é', dt: '0001-01-01' } }, arr: [1, null, 3], m: new Map([[1, [-1n, null]], [-2, []]]), ms: new Map([['k', new Uint8Array([0, 255])]]) },
    { id: 2n, st: null, arr: null, m: null, ms: null },
    { id: 3n, st: { a: 5n, d: null, inner: null }, arr: [], m: new Map(), ms: new Map() },
  ];
  assert.deepEqual((await table.read()).sort(byId), expected);
  assert.deepEqual((await table.snapshot()).protocol.readerFeatures, ['timestampNtz']);
  await table.update({ id: 3n }, { arr: () => [7] });
  await table.optimize();
  assert.deepEqual((await table.read({ where: { id: 3n } }))[0]?.arr, [7]);
  assert.deepEqual((await table.changes({ startingVersion: 2 })).filter((c) => c._change_type === 'update_postimage').map((c) => c.arr), [[7]]);
  const mismatch = (re: RegExp) => (e: unknown) => e instanceof SchemaMismatchError && re.test(e.message);
  await assert.rejects(table.append([{ id: 4n, st: { zz: 1 } }]), mismatch(/column 'st' expects struct<.*>, got field 'zz' is not in the struct \(a, d, inner\)/));
  await assert.rejects(table.append([{ id: 4n, arr: [1.5] }]), mismatch(/column 'arr' expects array<integer>, got element 0: number 1.5 is not a 32-bit integer/));
  await assert.rejects(table.append([{ id: 4n, m: { 1: [] } }]), mismatch(/column 'm' expects map<integer,array<timestamp_ntz>>, got an object, not a Map/));
  await assert.rejects(table.append([{ id: 4n, st: { inner: { dt: '2024-13-01' } } }]), mismatch(/field 'inner': field 'dt': string '2024-13-01' is not a YYYY-MM-DD date/));
  await assert.rejects(table.merge([{ id: 1n, arr: [1] }], { on: ['arr'] }).whenMatchedUpdate({ all: true }).execute(), /merge on: column 'arr' is array<integer>; nested columns cannot be merge keys/);
  await assert.rejects(table.optimize({ zOrderBy: ['st'] }), /zOrderBy column 'st' is struct<.*>; nested columns have no order/);
  await assert.rejects(DeltaTable.create(fresh(), { schema: { id: 'long', tags: 'array<string>' }, partitionBy: ['tags'] }), /partition column 'tags' is array<string>; Delta partition columns must be primitive/);
  await assert.rejects(DeltaTable.create(fresh(), { schema: { v: 'array<strin>' as 'string' } }), /column 'v' has unsupported type 'array<strin>'/);
});

test('schema evolution adds nested columns (mergeSchema with their type, overwriteSchema); nested timestamp_ntz upgrades the protocol', async () => {
  const table = await DeltaTable.create(fresh(), { schema: { id: 'long' } });
  await table.append([{ id: 1n, tags: ['a'], pt: { x: 1 } }], { mergeSchema: true, schema: { tags: 'array<string>', pt: 'struct<x:long,at:timestamp_ntz>' } });
  assert.deepEqual((await table.schema()).fields.map((f) => f.type), ['long', 'array<string>', 'struct<x:long,at:timestamp_ntz>']);
  assert.deepEqual((await table.snapshot()).protocol.readerFeatures, ['timestampNtz']);
  assert.deepEqual(await table.read(), [{ id: 1n, tags: ['a'], pt: { x: 1n, at: null } }]);
  await assert.rejects(table.append([{ id: 2n, more: [1] }], { mergeSchema: true }), /cannot infer the type of new column 'more': its values are object/);
  await table.overwrite([{ id: 3n, m: new Map([[1n, 'x']]) }], { overwriteSchema: true, schema: { id: 'long', m: 'map<long,string>' } });
  assert.deepEqual(await table.read(), [{ id: 3n, m: new Map([[1n, 'x']]) }]);
});
