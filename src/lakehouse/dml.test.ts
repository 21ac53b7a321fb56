import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DeltaTable, DeltaTableError, scdType1, scdType2 } from './index.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-dml-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(root, `t${n++}`);

const schema = { id: { type: 'long', nullable: false }, country: 'string', amount: 'double' } as const;
const row = (i: number, country = 'fr') => ({ id: i, country, amount: i * 1.5 });
type R = Record<string, unknown>;
const byId = (rows: R[]): R[] => [...rows].sort((a, b) => Number(a.id) - Number(b.id));
const ids = (rows: R[]): number[] => byId(rows).map((r) => Number(r.id));

/** A table of 4 files of 10 rows (ids 0..39), one commit each. */
async function tenPerFile(options: { partitionBy?: string[]; properties?: Record<string, string> } = {}): Promise<DeltaTable> {
  const table = await DeltaTable.create(fresh(), { schema, ...options });
  for (let f = 0; f < 4; f++) await table.append(Array.from({ length: 10 }, (_, i) => row(f * 10 + i, f % 2 === 0 ? 'fr' : 'de')));
  return table;
}

test('delete rewrites only files with matching rows, skips others by stats, and records delta-rs metrics', async () => {
  const table = await tenPerFile();
  const before = await table.snapshot();
  const r = await table.delete({ id: { gte: 12, lt: 15 } });
  assert.equal(r.committed, true);
  assert.equal(r.version, 5);
  assert.equal(r.metrics.numDeletedRows, 3);
  assert.equal(r.metrics.numCopiedRows, 7);
  assert.equal(r.metrics.numRemovedFiles, 1);
  assert.equal(r.metrics.numAddedFiles, 1);
  assert.equal(r.metrics.numFilesSkipped, 3);
  assert.deepEqual(ids(await table.read()), Array.from({ length: 40 }, (_, i) => i).filter((i) => i < 12 || i >= 15));
  const after = await table.snapshot();
  assert.equal(after.files.filter((f) => before.files.some((b) => b.path === f.path)).length, 3, 'untouched files stay');
  const [h] = await table.history(1);
  assert.equal(h.operation, 'DELETE');
  assert.equal(h.operationParameters.predicate, 'id >= 12 AND id < 15');
  assert.equal((h.commitInfo.operationMetrics as Record<string, number>).numDeletedRows, 3);
  const actions = await table.log.readCommit(5);
  assert.ok(actions.some((a) => 'remove' in a && a.remove.dataChange) && actions.some((a) => 'add' in a && a.add.dataChange));
  // Nothing matching: no commit.
  const none = await table.delete({ id: 1000 });
  assert.deepEqual([none.committed, none.version, none.metrics.numDeletedRows], [false, 5, 0]);
  // A whole file matching is removed without a new file.
  const whole = await table.delete({ id: { lt: 10 } });
  assert.deepEqual([whole.metrics.numRemovedFiles, whole.metrics.numAddedFiles, whole.metrics.numDeletedRows], [1, 0, 10]);
});

test('delete on partition columns removes whole files unread; delete without a predicate empties the table', async () => {
  const table = await tenPerFile({ partitionBy: ['country'] });
  const r = await table.delete({ country: 'de' });
  assert.deepEqual([r.metrics.numDeletedRows, r.metrics.numRemovedFiles, r.metrics.numAddedFiles, r.metrics.numFilesScanned], [20, 2, 0, 0]);
  assert.ok((await table.read()).every((x) => x.country === 'fr'));
  const all = await table.delete();
  assert.equal(all.metrics.numDeletedRows, 20);
  assert.deepEqual(await table.read(), []);
});

test('update sets values (constants and functions), moves rows across partitions, validates the schema', async () => {
  const table = await tenPerFile({ partitionBy: ['country'] });
  const r = await table.update({ id: { in: [1, 2, 31] } }, { amount: (x) => (x.amount as number) * 10, country: 'it' });
  assert.equal(r.metrics.numUpdatedRows, 3);
  assert.equal(r.metrics.numCopiedRows, 17);
  assert.deepEqual([r.metrics.numRemovedFiles, r.metrics.numAddedFiles], [2, 3]); // 2 rewritten: fr (copy), de (copy), it (new)
  const it = byId(await table.read({ where: { country: 'it' } }));
  assert.deepEqual(it, [{ id: 1n, country: 'it', amount: 15 }, { id: 2n, country: 'it', amount: 30 }, { id: 31n, country: 'it', amount: 465 }]);
  assert.equal((await table.read()).length, 40);
  const v = await table.version();
  await assert.rejects(table.update({ id: 3 }, { amount: 'x' }), /column 'amount' expects double/);
  await assert.rejects(table.update({ id: 3 }, { nope: 1 }), /unknown column 'nope'/);
  assert.equal(await table.version(), v, 'a failed update commits nothing');
  assert.equal((await table.history(1))[0].operation, 'UPDATE');
});

test('overwrite with replaceWhere replaces only matching rows and rejects rows outside the predicate', async () => {
  const table = await tenPerFile();
  const r = await table.overwrite([row(100, 'fr'), row(101, 'fr')], { replaceWhere: { country: 'fr' } });
  assert.ok('metrics' in r);
  assert.equal(r.metrics.numDeletedRows, 20);
  assert.deepEqual(ids(await table.read({ where: { country: 'fr' } })), [100, 101]);
  assert.equal((await table.read({ where: { country: 'de' } })).length, 20);
  const v = await table.version();
  await assert.rejects(table.overwrite([row(102, 'de')], { replaceWhere: { country: 'fr' } }),
    (e: unknown) => e instanceof DeltaTableError && /row 0 does not match replaceWhere \(country = 'fr'\)/.test(e.message));
  assert.equal(await table.version(), v);
  // A predicate on a data column: a file with both kinds of rows is rewritten with the others.
  await table.overwrite([row(15, 'de')], { replaceWhere: { id: { gte: 10, lt: 20 } } });
  assert.deepEqual(ids(await table.read({ where: { country: 'de' } })), [15, ...Array.from({ length: 10 }, (_, i) => 30 + i)]);
  const [h] = await table.history(1);
  assert.deepEqual([h.operation, h.operationParameters.mode, h.operationParameters.predicate], ['WRITE', 'Overwrite', 'id >= 10 AND id < 20']);
});

test('merge: upsert with conditions, delete, insert, by-source delete, and delta-rs metrics', async () => {
  const table = await tenPerFile();
  const source = [
    { id: 5, country: 'fr', amount: -1 },   // matched → update
    { id: 6, country: 'fr', amount: 0 },    // matched, amount 0 → delete
    { id: 7, country: 'fr', amount: 7 * 1.5 }, // matched, same amount → no clause (unchanged)
    { id: 50, country: 'es', amount: 1 },   // not matched → insert
    { id: 51, country: 'es', amount: null }, // not matched, null amount → not inserted
  ];
  const r = await table.merge(source, { on: ['id'] })
    .whenMatchedDelete({ condition: (_t, s) => s.amount === 0 })
    .whenMatchedUpdate({ all: true, condition: (t, s) => t.amount !== s.amount })
    .whenNotMatchedInsert({ all: true, condition: (s) => s.amount !== null })
    .execute();
  assert.deepEqual(
    [r.metrics.numSourceRows, r.metrics.numTargetRowsUpdated, r.metrics.numTargetRowsDeleted, r.metrics.numTargetRowsInserted, r.metrics.numTargetRowsCopied],
    [5, 1, 1, 1, 8]);
  assert.deepEqual([r.metrics.numTargetFilesScanned, r.metrics.numTargetFilesSkippedDuringScan, r.metrics.numTargetFilesRemoved], [1, 3, 1]);
  const rows = byId(await table.read());
  assert.equal(rows.length, 40);
  assert.deepEqual(rows.find((x) => x.id === 5n), { id: 5n, country: 'fr', amount: -1 });
  assert.equal(rows.find((x) => x.id === 6n), undefined);
  assert.deepEqual(rows.find((x) => x.id === 50n), { id: 50n, country: 'es', amount: 1 });
  const [h] = await table.history(1);
  assert.equal(h.operation, 'MERGE');
  assert.equal(h.operationParameters.predicate, 'target.id = source.id');

  // Not matched by source: keep only the source's keys among country 'de'.
  const r2 = await table.merge([{ id: 10 }, { id: 11 }], { on: ['id'] })
    .whenNotMatchedBySourceDelete({ condition: (t) => t.country === 'de' })
    .execute();
  assert.equal(r2.metrics.numTargetRowsDeleted, 18);
  assert.deepEqual(ids(await table.read({ where: { country: 'de' } })), [10, 11]);
});

test('merge on keys reads only files whose statistics admit a source key, even when the keys span every file', async () => {
  const table = await tenPerFile();
  // 300 keys (past the 256 listed exactly in the read predicate): updates of ids 2..4 and new ids 1000..1296, so the
  // key range [2, 1296] spans all four files; only the file of ids 0..9 can hold one.
  const source = [2, 3, 4, ...Array.from({ length: 297 }, (_, k) => 1000 + k)].map((i) => ({ id: i, country: 'xx', amount: 0 }));
  const r = await table.merge(source, { on: ['id'] }).whenMatchedUpdate({ all: true }).whenNotMatchedInsert({ all: true }).execute();
  assert.deepEqual([r.metrics.numTargetFilesScanned, r.metrics.numTargetFilesSkippedDuringScan, r.metrics.numTargetRowsUpdated, r.metrics.numTargetRowsInserted], [1, 3, 3, 297]);
  const rows = await table.read();
  assert.equal(rows.length, 337);
  assert.deepEqual(ids(rows.filter((x) => x.country === 'xx')).slice(0, 4), [2, 3, 4, 1000]);
});

test('merge: a target row matched by several source rows is an error (unless the only clause deletes); predicate joins', async () => {
  const table = await tenPerFile();
  const v = await table.version();
  await assert.rejects(table.merge([{ id: 3, amount: 1 }, { id: 3, amount: 2 }], { on: ['id'] }).whenMatchedUpdate({ set: { amount: (_t, s) => s.amount } }).execute(),
    /2 source rows \(0, 1\) matched the same target row/);
  assert.equal(await table.version(), v);
  const del = await table.merge([{ id: 3 }, { id: 3 }], { on: ['id'] }).whenMatchedDelete().execute();
  assert.equal(del.metrics.numTargetRowsDeleted, 1);
  // One source row may match several target rows.
  const r = await table.merge([{ country: 'de', bonus: 100 }], { on: (t, s) => t.country === s.country && (t.id as bigint) < 20n })
    .whenMatchedUpdate({ set: { amount: (t, s) => (t.amount as number) + (s.bonus as number) } })
    .execute();
  assert.equal(r.metrics.numTargetRowsUpdated, 10);
  assert.equal((await table.read({ where: { id: 10 } }))[0].amount, 115);
  await assert.rejects(table.merge([{ id: 1 }], { on: ['id'] }).whenMatchedUpdate({ all: true }).execute(), /source row 0 has no column 'country'/);
  await assert.rejects(table.merge([{ id: 'x' }], { on: ['id'] }).whenMatchedDelete().execute(), /column 'id' expects long/);
});

test('SCD type 1 upserts changed rows only; SCD type 2 closes changed versions and inserts current ones', async () => {
  const t1 = await DeltaTable.create(fresh(), { schema });
  await t1.append([row(1), row(2)]);
  const r1 = await scdType1(t1, [row(1), { id: 2, country: 'de', amount: 3 }, row(3)], ['id']);
  assert.deepEqual([r1.metrics.numTargetRowsUpdated, r1.metrics.numTargetRowsInserted], [1, 1]);
  assert.deepEqual(byId(await t1.read()), [{ id: 1n, country: 'fr', amount: 1.5 }, { id: 2n, country: 'de', amount: 3 }, { id: 3n, country: 'fr', amount: 4.5 }]);

  const dim = await DeltaTable.create(fresh(), { schema: { id: 'long', city: 'string', from: 'date', to: 'date', current: 'boolean' } });
  const options = { keys: ['id'], effectiveFrom: 'from', effectiveTo: 'to', current: 'current' };
  await scdType2(dim, [{ id: 1, city: 'Paris', from: '2024-01-01' }, { id: 2, city: 'Lyon', from: '2024-01-01' }], options);
  const r2 = await scdType2(dim, [{ id: 1, city: 'Nice', from: '2024-02-01' }, { id: 2, city: 'Lyon', from: '2024-02-01' }, { id: 3, city: 'Metz', from: '2024-02-01' }], options);
  assert.deepEqual([r2.metrics.numTargetRowsUpdated, r2.metrics.numTargetRowsInserted], [1, 2]);
  const sorted = (await dim.read()).sort((a, b) => Number(a.id) - Number(b.id) || String(a.from).localeCompare(String(b.from)));
  assert.deepEqual(sorted, [
    { id: 1n, city: 'Paris', from: '2024-01-01', to: '2024-02-01', current: false },
    { id: 1n, city: 'Nice', from: '2024-02-01', to: null, current: true },
    { id: 2n, city: 'Lyon', from: '2024-01-01', to: null, current: true },
    { id: 3n, city: 'Metz', from: '2024-02-01', to: null, current: true },
  ]);
  const again = await scdType2(dim, [{ id: 1, city: 'Nice', from: '2024-03-01' }], options);
  assert.equal(again.committed, false);
});

test('change data feed: writer 4, _change_data files, cdc actions, changes() between versions', async () => {
  const table = await tenPerFile({ partitionBy: ['country'], properties: { 'delta.enableChangeDataFeed': 'true' } });
  const snap0 = await table.snapshot(0);
  assert.deepEqual(snap0.protocol, { minReaderVersion: 1, minWriterVersion: 4 });
  const del = await table.delete({ id: 3 });
  const upd = await table.update({ id: 12 }, { amount: 0 });
  const mrg = await table.merge([{ id: 21, country: 'fr', amount: 9 }, { id: 99, country: 'es', amount: 1 }, { id: 13 }], { on: ['id'] })
    .whenMatchedDelete({ condition: (_t, s) => s.amount === undefined })
    .whenMatchedUpdate({ all: true })
    .whenNotMatchedInsert({ all: true })
    .execute();
  assert.ok(readdirSync(join(table.path, '_change_data')).some((d) => d.startsWith('country=')));
  const cdcActions = (await table.log.readCommit(del.version)).filter((a) => 'cdc' in a);
  assert.equal(cdcActions.length, 1);
  assert.equal(del.metrics.numAddedChangeFiles, 1);

  const changes = await table.changes({ startingVersion: del.version });
  const brief = changes.map((c) => `${c._commit_version}:${c._change_type}:${c.id}:${c.amount}`).sort();
  assert.deepEqual(brief, [
    `${del.version}:delete:3:4.5`,
    `${mrg.version}:delete:13:19.5`, `${mrg.version}:insert:99:1`, `${mrg.version}:update_postimage:21:9`, `${mrg.version}:update_preimage:21:31.5`,
    `${upd.version}:update_postimage:12:0`, `${upd.version}:update_preimage:12:18`,
  ].sort());
  // Appends contribute inserts from their add files; whole-table overwrite deletes from removes.
  const appended = await table.changes({ startingVersion: 1, endingVersion: 1 });
  assert.deepEqual([...new Set(appended.map((c) => c._change_type))], ['insert']);
  assert.equal(appended.length, 10);
  await table.overwrite([row(1000)]);
  const ow = await table.changes({ startingVersion: await table.version() });
  assert.equal(ow.filter((c) => c._change_type === 'delete').length, 40 - 1 - 1 + 1);
  assert.equal(ow.filter((c) => c._change_type === 'insert').length, 1);
  // Not enabled: a clear error.
  const plain = await tenPerFile();
  await assert.rejects(plain.changes({ startingVersion: 0 }), /change data feed was not enabled at version 0/);
  await assert.rejects(DeltaTable.create(fresh(), { schema: { _change_type: 'string', x: 'long' }, properties: { 'delta.enableChangeDataFeed': 'true' } }), /reserved by the change data feed/);
});

test('MERGE whenNotMatchedBySourceUpdate updates target rows no source row matches (with a condition), with metrics', async () => {
  const table = await tenPerFile({ properties: { 'delta.enableChangeDataFeed': 'true' } });
  const r = await table.merge([{ id: 1, country: 'fr', amount: 100 }], { on: ['id'] })
    .whenMatchedUpdate({ all: true })
    .whenNotMatchedBySourceUpdate({ set: { amount: (t) => -(t.amount as number) }, condition: (t) => (t.id as bigint) < 5n })
    .execute();
  assert.deepEqual([r.metrics.numTargetRowsUpdated, r.metrics.numTargetRowsMatchedUpdated, r.metrics.numTargetRowsNotMatchedBySourceUpdated], [5, 1, 4]);
  const rows = byId(await table.read());
  assert.deepEqual(rows.slice(0, 6).map((x) => x.amount), [-0, 100, -3, -4.5, -6, 7.5]);
  const [h] = await table.history(1);
  assert.equal(h.operationParameters.notMatchedBySourcePredicates, JSON.stringify([{ actionType: 'update', predicate: '<function>' }]));
  const changes = await table.changes({ startingVersion: r.version });
  assert.equal(changes.filter((c) => c._change_type === 'update_postimage').length, 5);
  assert.throws(() => table.merge([], { on: ['id'] }).whenNotMatchedBySourceUpdate({ set: {} }), /non-empty set/);
  await assert.rejects(table.merge([], { on: ['id'] }).whenNotMatchedBySourceUpdate({ set: { nope: 1 } }).execute(), /unknown column 'nope'/);
});

test('changes() by timestamp: from the first commit at or after the start to the last at or before the end', async () => {
  const table = await DeltaTable.create(fresh(), { schema, properties: { 'delta.enableChangeDataFeed': 'true' } });
  for (let k = 0; k < 3; k++) {
    await new Promise((r) => setTimeout(r, 25));
    await table.append([row(k)]);
  }
  const t = async (v: number): Promise<number> => Math.floor(await table.log.commitFileTime(v));
  const window = await table.changes({ startingTimestamp: (await t(2)) - 1, endingTimestamp: new Date((await t(2)) + 1) });
  assert.deepEqual(window.map((c) => [Number(c._commit_version), Number(c.id)]), [[2, 1]]);
  const fromTwo = await table.changes({ startingTimestamp: new Date(await t(2)).toISOString() });
  assert.deepEqual(fromTwo.map((c) => Number(c._commit_version)), [2, 3]);
  assert.deepEqual(await table.changes({ startingTimestamp: (await t(1)) + 1, endingTimestamp: (await t(1)) + 2 }), [], 'no commit in the window');
  await assert.rejects(table.changes({ startingTimestamp: Date.now() + 60_000 }), /no commit .* at or after/);
  await assert.rejects(table.changes({ startingVersion: 1, startingTimestamp: 0 }), /not both/);
  await assert.rejects(table.changes({ startingTimestamp: 'yesterday' }), /not a timestamp/);
});
