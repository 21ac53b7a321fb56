// Data assets: CSV/JSONL/Parquet files and Delta tables are streamed into the same one-pass validation as rows in
// memory, and give the same results.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DeltaTable } from '../lakehouse/index.ts';
import { asset, assetFromPath, checkDeltaFreshness, expect, inferKind, profileAsset, scanAsset, suite, validate, validateAsset, type Row, type ValidationResult } from './index.ts';

const STATUSES = ['new', 'paid', 'shipped'];
function rowsOf(n: number): Array<{ id: number; status: string; amount: number | null; note: string }> {
  return Array.from({ length: n }, (_, i) => ({ id: i, status: STATUSES[i % 3]!, amount: i % 7 === 0 ? null : (i * 13) % 100, note: i % 2 === 0 ? 'a,b' : 'plain' }));
}
const orders = suite('orders', [
  expect.tableRowCountToBeBetween({ min_value: 1 }),
  expect.tableColumnsToMatchOrderedList(['id', 'status', 'amount', 'note']),
  expect.columnValuesToBeUnique('id'),
  expect.columnValuesToNotBeNull('amount', { mostly: 0.9 }),
  expect.columnValuesToBeInSet('status', STATUSES),
  expect.columnMeanToBeBetween('amount', { min_value: 0, max_value: 100 }),
  expect.columnMedianToBeBetween('amount', { min_value: 0, max_value: 100 }),
  expect.columnValuesToBeBetween('amount', { min_value: 0, max_value: 90 }),
]);

function withDir(f: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'riffle-asset-'));
    try {
      await f(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** The parts of a result that must not depend on where the rows came from. */
const essence = (r: ValidationResult) => ({ success: r.success, rows: r.meta.row_count, results: r.results.map((x) => ({ success: x.success, result: x.result })) });

test('a CSV file (quoted fields, nulls, several batches) validates as the same rows in memory', withDir(async (dir) => {
  const rows = rowsOf(10_000);
  const csv = ['id,status,amount,note', ...rows.map((r) => `${r.id},${r.status},${r.amount ?? ''},${r.note.includes(',') ? `"${r.note}"` : r.note}`)].join('\n');
  writeFileSync(join(dir, 'orders.csv'), `${csv}\n`);
  const fromFile = await validateAsset(asset.file(join(dir, 'orders.csv')), orders);
  const inMemory = validate(rows, orders);
  assert.deepEqual(essence(fromFile), essence(inMemory));
  assert.equal(fromFile.success, false, 'amount has values above 90');
  assert.deepEqual(fromFile.meta.data_asset, { name: 'orders', kind: 'file', path: join(dir, 'orders.csv') });
}));

test('CSV typing follows pandas: numbers, booleans, text; types: text keeps cells as text; malformed records are counted', withDir(async (dir) => {
  assert.equal(inferKind(['1', '', '2.5', '-3e2']), 'number');
  assert.equal(inferKind(['true', 'False', '']), 'boolean');
  assert.equal(inferKind(['1', 'x']), 'string');
  writeFileSync(join(dir, 'x.csv'), 'a,b,c\n1,true,x\n,false,007\n3,true\n2,false,y\n');
  const batches: Row[] = [];
  for await (const b of scanAsset(asset.file(join(dir, 'x.csv')))) batches.push(...b.rows);
  assert.deepEqual(batches, [{ a: 1, b: true, c: 'x' }, { a: null, b: false, c: '007' }, { a: 2, b: false, c: 'y' }]);
  const text: Row[] = [];
  for await (const b of scanAsset(asset.file(join(dir, 'x.csv'), { types: 'text' }))) text.push(...b.rows);
  assert.deepEqual(text[0], { a: '1', b: 'true', c: 'x' });
  const r = await validateAsset(asset.file(join(dir, 'x.csv')), suite('x', [expect.tableRowCountToEqual(3)]));
  // The three readable rows pass the suite, but a file with an unreadable record fails its validation (issue 10 item 2).
  assert.equal(r.results[0]!.success, true);
  assert.equal(r.success, false);
  assert.equal((r.meta.malformed_records as { count: number }).count, 1);
}));

test('JSON Lines and a glob of files validate as one asset', withDir(async (dir) => {
  const rows = rowsOf(3000);
  writeFileSync(join(dir, 'part-1.jsonl'), rows.slice(0, 1500).map((r) => JSON.stringify(r)).join('\n'));
  writeFileSync(join(dir, 'part-2.jsonl'), `${rows.slice(1500).map((r) => JSON.stringify(r)).join('\n')}\n`);
  const r = await validateAsset(asset.file(join(dir, 'part-*.jsonl')), orders);
  assert.deepEqual(essence(r), essence(validate(rows, orders)));
}));

test('a Delta table streams file by file; version selects the time-travelled rows; freshness from the last commit', withDir(async (dir) => {
  const path = join(dir, 'orders');
  const table = await DeltaTable.create(path, { schema: { id: 'long', status: 'string', amount: 'double', note: 'string' } });
  const rows = rowsOf(5000);
  await table.append(rows.slice(0, 2000));
  await table.append(rows.slice(2000));
  const a = assetFromPath(path);
  assert.equal(a.kind, 'delta');
  const latest = await validateAsset(a, orders);
  assert.deepEqual(essence(latest), essence(validate(rows, orders)));
  const v1 = await validateAsset(asset.delta(path, { version: 1 }), orders);
  assert.deepEqual(essence(v1), essence(validate(rows.slice(0, 2000), orders)));
  const ids: unknown[] = [];
  for await (const b of scanAsset(a)) ids.push(...b.rows.map((r) => r.id));
  assert.equal(typeof ids[0], 'number', 'long columns read as numbers, as pandas reads int64');
  const fresh = await checkDeltaFreshness(path, { expectedInterval: '1h' });
  assert.equal(fresh.status, 'FRESH');
  const stale = await checkDeltaFreshness(path, { expectedInterval: '1h', now: Date.now() + 5 * 3_600_000 });
  assert.equal(stale.status, 'VERY_STALE');
}));

test('a partitioned Delta table gives partition values typed by the schema', withDir(async (dir) => {
  const path = join(dir, 'events');
  const table = await DeltaTable.create(path, { schema: { id: 'long', day: 'date', country: 'string' }, partitionBy: ['country'] });
  await table.append([{ id: 1, day: '2024-05-01', country: 'fr' }, { id: 2, day: '2024-05-02', country: 'de' }, { id: 3, day: '2024-05-02', country: null }]);
  const rows: Row[] = [];
  for await (const b of scanAsset(asset.delta(path))) rows.push(...b.rows);
  rows.sort((x, y) => Number(x.id) - Number(y.id));
  assert.deepEqual(rows, [{ id: 1, day: '2024-05-01', country: 'fr' }, { id: 2, day: '2024-05-02', country: 'de' }, { id: 3, day: '2024-05-02', country: null }]);
}));

test('Delta values as validation sees them: longs as numbers (bigints past 2^53), timestamps as Dates, long partitions, added columns null in older files', withDir(async (dir) => {
  const path = join(dir, 'ticks');
  const table = await DeltaTable.create(path, { schema: { id: 'long', at: 'timestamp', shard: 'long' }, partitionBy: ['shard'] });
  await table.append([{ id: 1, at: new Date('2024-05-01T10:00:00.123Z'), shard: 7 }, { id: 2n ** 60n, at: null, shard: null }]);
  await table.append([{ id: 3, at: new Date('2024-05-02T00:00:00Z'), shard: 7, note: 'late' }], { mergeSchema: true, schema: { note: 'string' } });
  const rows: Row[] = [];
  for await (const b of scanAsset(asset.delta(path))) rows.push(...b.rows);
  rows.sort((x, y) => (x.id! < y.id! ? -1 : 1));
  assert.deepEqual(rows, [
    { id: 1, at: new Date('2024-05-01T10:00:00.123Z'), shard: 7, note: null },
    { id: 3, at: new Date('2024-05-02T00:00:00Z'), shard: 7, note: 'late' },
    { id: 2n ** 60n, at: null, shard: null, note: null },
  ]);
  const r = await validateAsset(asset.delta(path), suite('ticks', [expect.columnValuesToBeBetween('shard', { min_value: 0, max_value: 10 }), expect.columnValuesToNotBeNull('note')]));
  assert.equal(r.results[0]!.success, true);
  assert.equal(r.results[1]!.success, false);
}));

test('a missing file names the pattern', async () => {
  await assert.rejects(validateAsset(asset.file('/nonexistent/riffle/*.csv'), orders), /no file matches/);
});

test('profileAsset streams a Delta table and proposes a suite the table passes', withDir(async (dir) => {
  const path = join(dir, 'orders');
  const table = await DeltaTable.create(path, { schema: { id: 'long', status: 'string', amount: 'double', note: 'string' } });
  await table.append(rowsOf(3000));
  const profile = await profileAsset(asset.delta(path), { name: 'orders' });
  assert.equal(profile.rows, 3000);
  // Types come from the values (an integral double reads as int, as JavaScript numbers carry no width).
  assert.deepEqual(profile.columns.map((c) => [c.column, c.type]), [['id', 'int'], ['status', 'str'], ['amount', 'int'], ['note', 'str']]);
  assert.equal(profile.columns[2]!.nulls, 429);
  assert.equal((await validateAsset(asset.delta(path), profile.suite)).success, true);
}));

test('the columnar CSV reader gives the same values as the text path (quotes, newlines in values, CRLF, exponents, signs, trailing points, spaces, chunk boundaries)', withDir(async (dir) => {
  let s = 3;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const words = ['plain', 'with,comma', 'with "quote"', 'multi\nline', 'tab\there', 'ünïcödé', ''];
  const numbers = () => { const r = rand(); return r < 0.1 ? '' : r < 0.2 ? '-0' : r < 0.3 ? '1e3' : r < 0.4 ? '12345678901234567890' : r < 0.5 ? '.5' : r < 0.53 ? '+7' : r < 0.56 ? '3.' : r < 0.58 ? ' 4' : String(Math.round((rand() - 0.5) * 1e6) / 100); };
  const cell = (w: string) => (/[,"\n\t]/.test(w) || w === '' && rand() < 0.3 ? `"${w.replace(/"/g, '""')}"` : w);
  const lines = ['n,word,flag,id'];
  for (let i = 0; i < 60_000; i++) {
    const w = words[Math.floor(rand() * words.length)]!;
    lines.push(`${numbers()},${cell(w)},${rand() < 0.5 ? 'true' : 'False'},${i}${rand() < 0.2 ? '\r' : ''}`);
    if (i % 9999 === 5) lines.push('1,2'); // malformed: too few fields
  }
  const text = `\ufeff${lines.join('\n')}\n`;
  writeFileSync(join(dir, 'mixed.csv'), text);
  const { gzipSync } = await import('node:zlib');
  writeFileSync(join(dir, 'mixed.csv.gz'), gzipSync(text));
  const read = async (path: string) => {
    const rows: Row[] = [];
    const malformed = { count: 0, examples: [] as Array<{ file: string; line: number; reason: string }> };
    for await (const b of scanAsset(asset.file(path), { malformed })) rows.push(...b.rows);
    return { rows, malformed: malformed.count, lines: malformed.examples.map((m) => m.line) };
  };
  const columnar = await read(join(dir, 'mixed.csv'));
  const textPath = await read(join(dir, 'mixed.csv.gz'));
  assert.equal(columnar.rows.length, 60_000);
  assert.equal(columnar.malformed, 7); // i % 9999 === 5 for i < 60 000
  assert.deepEqual(columnar.lines, textPath.lines);
  assert.deepEqual(columnar.rows, textPath.rows);
  assert.ok(Object.is(columnar.rows.find((r) => Object.is(r.n, -0))?.n, -0));
}));

test('a Delta table decodes only the columns a suite reads; results equal the same rows validated in memory', withDir(async (dir) => {
  const path = join(dir, 'wide');
  const table = await DeltaTable.create(path, { schema: { id: 'long', amount: 'double', note: 'string', code: 'string', day: 'date' }, partitionBy: ['code'] });
  const rows = Array.from({ length: 3000 }, (_, i) => ({ id: i, amount: i % 97 === 0 ? null : i / 10, note: `n${i % 13}`, code: `c${i % 3}`, day: '2024-05-01' }));
  await table.append(rows);
  const checks = suite('narrow', [
    expect.tableColumnsToMatchSet(['id', 'amount', 'note', 'code', 'day']),
    expect.columnValuesToBeBetween('amount', { min_value: 0, max_value: 250 }),
    expect.columnPairValuesAToBeGreaterThanB('amount', 'id', { or_equal: true }),
    expect.columnValuesToBeInSet('code', ['c0', 'c1']),
    expect.columnValuesToNotBeNull('missing_column'),
  ]);
  const { MetricsPlan } = await import('./index.ts');
  assert.deepEqual(new MetricsPlan(checks).columnarColumns, ['amount', 'id', 'code', 'missing_column']);
  const fromTable = await validateAsset(asset.delta(path), checks);
  rows.sort((a, b) => a.id - b.id);
  const inMemory = validate(rows, checks);
  assert.deepEqual(fromTable.results.map((x) => x.success), [true, false, false, false, false]);
  // Rows come back file by file and partition by partition: compare what does not depend on order.
  const counts = (r: ValidationResult) => r.results.map((x) => [x.success, (x.result as { unexpected_count?: number }).unexpected_count, x.exception_info.exception_message]);
  assert.deepEqual(counts(fromTable), counts(inMemory));
}));
