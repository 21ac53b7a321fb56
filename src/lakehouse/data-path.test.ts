import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { resolveDataPath } from './data-path.ts';
import { DeltaTable, DeltaTableError } from './index.ts';
import { vacuumTable } from './vacuum.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-data-path-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(root, `t${n++}`);

const refused = (code: string, pattern: RegExp) => (e: unknown): boolean =>
  e instanceof DeltaTableError && e.code === code && pattern.test(e.message);

test('resolveDataPath: relative URIs resolve inside the table, escapes and absolute URIs are refused', () => {
  assert.equal(resolveDataPath('/t', 'd=a%253Ab/part-0.parquet'), '/t/d=a%3Ab/part-0.parquet');
  assert.equal(resolveDataPath('/t', 'a%20b.parquet'), '/t/a b.parquet');
  for (const bad of ['../x.parquet', 'a/../../x.parquet', '..%2Fx.parquet', 'a/%2E%2E/%2E%2E/x.parquet', 'a//b.parquet', './x.parquet', 'a%00b.parquet', 'a%5C..%5Cx.parquet', '%zz.parquet', '']) {
    assert.throws(() => resolveDataPath('/t', bad), refused('DELTA_LOG_CORRUPT', /points at data file/), bad);
  }
  for (const abs of ['/etc/passwd', 'file:///etc/passwd', 's3://bucket/x.parquet', 'file://otherhost/x.parquet']) {
    assert.throws(() => resolveDataPath('/t', abs), refused('DELTA_EXTERNAL_FILE', /outside the table|cannot read|another host/), abs);
  }
  assert.equal(resolveDataPath('/t', 'file:///other/a%20b.parquet', { allowExternalFiles: true }), '/other/a b.parquet');
  assert.equal(resolveDataPath('/t', '/other/p.parquet', { allowExternalFiles: true }), '/other/p.parquet');
  assert.throws(() => resolveDataPath('/t', 'file:///other/..%2F..%2Fetc/passwd', { allowExternalFiles: true }), refused('DELTA_LOG_CORRUPT', /leaves/));
  assert.throws(() => resolveDataPath('/t', 's3://b/x.parquet', { allowExternalFiles: true }), refused('DELTA_EXTERNAL_FILE', /scheme 's3:'/));
});

/** A table whose only add points at `path` (a copy of a real data file lives outside it, at ../outside/x.parquet). */
async function hostile(path: (outside: string) => string): Promise<{ table: string; outside: string }> {
  const table = fresh();
  const t = await DeltaTable.create(table, { schema: { id: 'long' } });
  await t.append([{ id: 1 }]);
  const outside = join(root, `outside-${n}`);
  mkdirSync(outside);
  const file = readdirSync(table).find((f) => f.endsWith('.parquet'))!;
  copyFileSync(join(table, file), join(outside, 'x.parquet'));
  const commit = join(table, '_delta_log', '00000000000000000001.json');
  const lines = readFileSync(commit, 'utf8').trim().split('\n').map((l) => {
    const o = JSON.parse(l) as Record<string, { path: string }>;
    if (o.add) o.add.path = path(outside);
    return JSON.stringify(o);
  });
  writeFileSync(commit, `${lines.join('\n')}\n`);
  return { table, outside };
}

test('a log pointing outside the table is refused by open, read and vacuum; allowExternalFiles opts in for absolute URIs', async () => {
  const rel = await hostile(() => '../outside-x/x.parquet');
  await assert.rejects(DeltaTable.open(rel.table), refused('DELTA_LOG_CORRUPT', /\.\.\/outside-x/));
  await assert.rejects(vacuumTable(new (await import('./delta-log.ts')).DeltaLog(rel.table), { dryRun: true }), refused('DELTA_LOG_CORRUPT', /leaves the table/));
  await assert.rejects(DeltaTable.open(rel.table, { allowExternalFiles: true }), refused('DELTA_LOG_CORRUPT', /leaves the table/), 'never for relative escapes');

  const abs = await hostile((outside) => `file://${outside}/x.parquet`);
  await assert.rejects(DeltaTable.open(abs.table), refused('DELTA_EXTERNAL_FILE', /absolute URI outside the table/));
  const clone = await DeltaTable.open(abs.table, { allowExternalFiles: true });
  assert.deepEqual(await clone.read(), [{ id: 1n }]);
});

test('a symbolic link inside the table that leads out of it is never followed', async () => {
  const table = fresh();
  const t = await DeltaTable.create(table, { schema: { id: 'long' } });
  await t.append([{ id: 1 }]);
  const file = readdirSync(table).find((f) => f.endsWith('.parquet'))!;
  const outside = join(root, `secret-${n}.parquet`);
  copyFileSync(join(table, file), outside);
  rmSync(join(table, file));
  symlinkSync(outside, join(table, file));
  await assert.rejects(t.read(), refused('DELTA_LOG_CORRUPT', /symbolic link .* outside the table/));
});

test('not a table: a file, a missing path, a folder without _delta_log each say so and how to make one', async () => {
  const file = join(root, 'data.csv');
  writeFileSync(file, 'id\n1\n');
  await assert.rejects(DeltaTable.open(file), refused('DELTA_TABLE_NOT_FOUND', /data\.csv is not a Delta table: it is a file/));
  await assert.rejects(DeltaTable.open(join(file, 'sub')), refused('DELTA_TABLE_NOT_FOUND', /does not exist/));
  await assert.rejects(DeltaTable.open(join(root, 'nope')), (e: unknown) => e instanceof DeltaTableError && /does not exist/.test(e.message) && /riffle table write/.test(e.message));
  const dir = fresh();
  mkdirSync(dir);
  await assert.rejects(DeltaTable.open(dir), refused('DELTA_TABLE_NOT_FOUND', /no _delta_log directory/));
});

test('a new table is refused in a folder holding other files; vacuum never deletes a file whose name is not a data file name', async () => {
  const dir = fresh();
  mkdirSync(dir);
  writeFileSync(join(dir, 'notes.txt'), 'mine');
  await assert.rejects(DeltaTable.create(dir, { schema: { id: 'long' } }), refused('DELTA_NOT_EMPTY', /not empty and is not a table \(it holds notes\.txt\)/));
  // A crashed first write leaves data files: those do not block creation.
  const crashed = fresh();
  mkdirSync(join(crashed, 'd=1'), { recursive: true });
  writeFileSync(join(crashed, 'part-00000-0d3c4f1e-aaaa-bbbb-cccc-000000000000-c000.snappy.parquet'), 'orphan');
  await DeltaTable.create(crashed, { schema: { id: 'long', d: 'long' }, partitionBy: ['d'] });

  const table = await DeltaTable.create(fresh(), { schema: { id: 'long' } });
  await table.append([{ id: 1 }]);
  writeFileSync(join(table.path, 'report.xlsx'), 'the user put this here later');
  writeFileSync(join(table.path, 'part-00001-0d3c4f1e-aaaa-bbbb-cccc-000000000000-c000.snappy.parquet'), 'orphan');
  const r = await vacuumTable(table.log, { retentionHours: 0, enforceRetentionDuration: false }, Date.now() + 1000);
  assert.deepEqual(r.filesSkipped, ['report.xlsx']);
  assert.deepEqual(r.filesDeleted, ['part-00001-0d3c4f1e-aaaa-bbbb-cccc-000000000000-c000.snappy.parquet']);
  assert.equal(readFileSync(join(table.path, 'report.xlsx'), 'utf8'), 'the user put this here later');
});
