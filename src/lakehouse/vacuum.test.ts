import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DeltaTable, DeltaTableError } from './index.ts';
import { vacuumTable } from './vacuum.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-vacuum-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(root, `t${n++}`);
const DAY = 86_400_000;

/** A CDF table: two appends to fr/de, a delete in fr (a removed file + a change data file), and an orphan. */
async function setup(): Promise<{ table: DeltaTable; removed: string; orphan: string; cdc: string }> {
  const table = await DeltaTable.create(fresh(), {
    schema: { id: 'long', country: 'string' }, partitionBy: ['country'], properties: { 'delta.enableChangeDataFeed': 'true' },
  });
  await table.append([{ id: 1, country: 'fr' }, { id: 2, country: 'fr' }, { id: 3, country: 'de' }]);
  const fr = (await table.snapshot()).files.find((f) => f.partitionValues.country === 'fr')!;
  await table.delete({ id: 1 });
  const cdcDir = join(table.path, '_change_data', 'country=fr');
  const cdc = `_change_data/country=fr/${readdirSync(cdcDir)[0]}`;
  // A crashed writer's data file: written, never committed.
  const orphan = 'country=de/part-00000-orphan-c000.snappy.parquet';
  writeFileSync(join(table.path, orphan), 'not referenced');
  return { table, removed: decodeURIComponent(fr.path), orphan, cdc };
}

test('vacuum refuses a retention below 7 days unless enforceRetentionDuration is false; bad hours are refused', async () => {
  const { table } = await setup();
  await assert.rejects(table.vacuum({ retentionHours: 1 }), (e: unknown) => e instanceof DeltaTableError && /below the table's minimum of 168 hours/.test(e.message));
  await assert.rejects(table.vacuum({ retentionHours: -1, enforceRetentionDuration: false }), /retentionHours/);
  const r = await table.vacuum({ retentionHours: 0, enforceRetentionDuration: false, dryRun: true });
  assert.equal(r.dryRun, true);
});

test('vacuum deletes expired removed files, old orphans and change data files, never the log or live files; VACUUM START/END commits', async () => {
  const { table, removed, orphan, cdc } = await setup();
  const version = await table.version();
  // Today nothing is old enough.
  assert.deepEqual((await table.vacuum()).filesDeleted, []);
  assert.equal(await table.version(), version, 'nothing to delete: no commit');
  // Eight days from now, with the default 7-day retention: the removed file, the orphan and the cdc file go.
  const later = Date.now() + 8 * DAY;
  const dry = await vacuumTable(table.log, { dryRun: true }, later);
  assert.deepEqual(dry.filesDeleted, [cdc, orphan, removed].sort());
  assert.ok(existsSync(join(table.path, orphan)), 'dryRun deletes nothing');
  assert.equal(await table.version(), version, 'dryRun commits nothing');
  const live = (await table.snapshot()).files.map((f) => f.absolutePath);
  const r = await vacuumTable(table.log, {}, later);
  assert.deepEqual(r.filesDeleted, dry.filesDeleted);
  for (const p of r.filesDeleted) assert.ok(!existsSync(join(table.path, p)), `${p} deleted`);
  for (const p of live) assert.ok(existsSync(p), 'live files stay');
  assert.ok(readdirSync(join(table.path, '_delta_log')).includes('00000000000000000000.json'), '_delta_log untouched');
  const [end, start] = await table.history(2);
  assert.deepEqual([start.operation, end.operation], ['VACUUM START', 'VACUUM END']);
  assert.deepEqual(start.operationParameters, { retentionCheckEnabled: 'true', defaultRetentionMillis: String(7 * DAY) });
  assert.deepEqual((start.commitInfo.operationMetrics as Record<string, number>).numFilesToDelete, 3);
  assert.deepEqual(end.operationParameters, { status: 'COMPLETED' });
  assert.equal((end.commitInfo.operationMetrics as Record<string, number>).numDeletedFiles, 3);
  assert.deepEqual((await table.read()).map((x) => Number(x.id)).sort(), [2, 3]);
});

test('files removed within the retention stay (time travel to them works); old orphans go by modification time', async () => {
  const { table, removed, orphan, cdc } = await setup();
  const old = (Date.now() - 30 * DAY) / 1000;
  utimesSync(join(table.path, orphan), old, old);
  // Retention 9 days, looking from 8 days ahead: the horizon is yesterday, so today's removal and cdc file are kept.
  const r = await vacuumTable(table.log, { retentionHours: 9 * 24 }, Date.now() + 8 * DAY);
  assert.deepEqual(r.filesDeleted, [orphan]);
  assert.ok(existsSync(join(table.path, removed)) && existsSync(join(table.path, cdc)));
  assert.deepEqual((await table.read({ version: 1 })).map((x) => Number(x.id)).sort(), [1, 2, 3]);
});
