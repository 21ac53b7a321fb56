import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DeltaTable, DeltaTableError } from './index.ts';
import { vacuumTable } from './vacuum.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-restore-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(root, `t${n++}`);
const ids = (rows: Record<string, unknown>[]): number[] => rows.map((r) => Number(r.id)).sort((a, b) => a - b);

test('restore to a version re-adds removed files, removes later ones, in a RESTORE commit with delta-rs metrics', async () => {
  const table = await DeltaTable.create(fresh(), { schema: { id: 'long', country: 'string' }, partitionBy: ['country'] });
  await table.append([{ id: 1, country: 'fr' }, { id: 2, country: 'de' }]);     // v1: 2 files
  await table.append([{ id: 3, country: 'fr' }]);                               // v2: 3 files
  await table.delete({ id: 1 });                                                // v3
  await table.overwrite([{ id: 9, country: 'es' }]);                            // v4
  const r = await table.restore({ version: 2 });
  assert.deepEqual([r.committed, r.version, r.restoredVersion], [true, 5, 2]);
  assert.deepEqual(ids(await table.read()), [1, 2, 3]);
  assert.deepEqual([r.metrics.numRestoredFile, r.metrics.numRemovedFile, r.metrics.numOfFilesAfterRestore], [3, 1, 3]);
  const v2 = (await table.snapshot(2)).files.map((f) => f.path).sort();
  assert.deepEqual((await table.snapshot()).files.map((f) => f.path).sort(), v2, 'the same files as version 2');
  const [h] = await table.history(1);
  assert.equal(h.operation, 'RESTORE');
  assert.deepEqual(h.operationParameters, { version: '2' });
  assert.equal((h.commitInfo.operationMetrics as Record<string, number>).numRestoredFile, 3);
  const actions = await table.log.readCommit(5);
  assert.ok(actions.some((a) => 'metaData' in a) && actions.some((a) => 'protocol' in a));
  assert.ok(actions.every((a) => !('add' in a || 'remove' in a) || ('add' in a ? a.add.dataChange : a.remove.dataChange)));
  // Restoring to what the table already holds: no commit.
  const same = await table.restore({ version: 5 });
  assert.deepEqual([same.committed, same.version], [false, 5]);
  await assert.rejects(table.restore({ version: 42 }), (e: unknown) => e instanceof DeltaTableError && e.code === 'DELTA_VERSION_NOT_FOUND');
});

test('restore by timestamp, and the schema comes back too', async () => {
  const table = await DeltaTable.create(fresh(), { schema: { id: 'long' } });
  await table.append([{ id: 1 }]);
  const at = await table.log.commitFileTime(1); // commit timestamps are the commit files' times
  await new Promise((r) => setTimeout(r, 30));
  await table.append([{ id: 2, extra: 'x' }], { mergeSchema: true });
  assert.deepEqual((await table.schema()).fields.map((f) => f.name), ['id', 'extra']);
  const r = await table.restore({ timestamp: new Date(Math.floor(at) + 5) });
  assert.equal(r.restoredVersion, 1);
  assert.deepEqual((await table.schema()).fields.map((f) => f.name), ['id']);
  assert.deepEqual(ids(await table.read()), [1]);
  assert.ok(typeof (await table.history(1))[0].operationParameters.timestamp === 'string');
});

test('restore fails clearly when a file it needs was vacuumed', async () => {
  const table = await DeltaTable.create(fresh(), { schema: { id: 'long' } });
  await table.append([{ id: 1 }]);
  await table.delete();
  await vacuumTable(table.log, {}, Date.now() + 8 * 86_400_000);
  await assert.rejects(table.restore({ version: 1 }), (e: unknown) => e instanceof DeltaTableError && /is gone \(vacuumed\)/.test(e.message));
});
