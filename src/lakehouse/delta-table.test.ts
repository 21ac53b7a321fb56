import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, unlinkSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DeltaTable, DeltaTableError, SchemaMismatchError, UnsupportedFeatureError } from './index.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-delta-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(root, `t${n++}`);

const schema = { id: { type: 'long', nullable: false }, country: 'string', amount: 'double', ts: 'timestamp', day: 'date' } as const;
const row = (i: number, country: string | null = 'fr') => ({ id: i, country, amount: i / 2, ts: BigInt(i) * 1_000_001n, day: `2024-01-${String(1 + (i % 28)).padStart(2, '0')}` });
const ids = (rows: Record<string, unknown>[]): bigint[] => rows.map((r) => r.id as bigint).sort((a, b) => (a < b ? -1 : 1));

test('create, append, read back canonical values in schema order', async () => {
  const table = await DeltaTable.create(fresh(), { schema });
  const { version } = await table.append([row(1), row(2, null)]) as { version: number };
  assert.equal(version, 1);
  const rows = await table.read();
  assert.deepEqual(rows.sort((a, b) => Number(a.id) - Number(b.id)), [
    { id: 1n, country: 'fr', amount: 0.5, ts: 1_000_001n, day: '2024-01-02' },
    { id: 2n, country: null, amount: 1, ts: 2_000_002n, day: '2024-01-03' },
  ]);
  assert.deepEqual(Object.keys(rows[0]), ['id', 'country', 'amount', 'ts', 'day']);
});

test('partitioned tables use Hive-style directories and prune partitions', async () => {
  const path = fresh();
  const table = await DeltaTable.create(path, { schema, partitionBy: ['country'] });
  await table.append([row(1, 'fr'), row(2, 'de'), row(3, 'a/b:c'), row(4, null)]);
  assert.deepEqual(readdirSync(path).sort(), ['_delta_log', 'country=__HIVE_DEFAULT_PARTITION__', 'country=a%2Fb%3Ac', 'country=de', 'country=fr']);
  const snap = await table.snapshot();
  assert.equal(snap.files.length, 4);
  assert.ok(snap.files.some((f) => f.path.startsWith('country=a%252Fb%253Ac/')));
  assert.equal(snap.filesMatching({ country: 'de' }).files.length, 1);
  assert.equal(snap.filesMatching({ country: null }).files.length, 1);
  assert.deepEqual(ids(await table.read({ where: { country: 'a/b:c' } })), [3n]);
  assert.deepEqual(ids(await table.read({ where: { country: { in: ['fr', 'de'] } } })), [1n, 2n]);
});

test('data skipping uses min/max/nullCount stats and never drops a matching row', async () => {
  const table = await DeltaTable.create(fresh(), { schema });
  for (let f = 0; f < 5; f++) await table.append(Array.from({ length: 10 }, (_, i) => row(f * 10 + i)));
  const snap = await table.snapshot();
  assert.deepEqual(snap.files.map((f) => f.stats.numRecords), [10, 10, 10, 10, 10]);
  assert.equal(snap.filesMatching({ id: 23 }).files.length, 1);
  assert.equal(snap.filesMatching({ id: { gte: 30 } }).files.length, 2);
  assert.equal(snap.filesMatching({ ts: { lt: 10_000_000n } }).files.length, 1); // stats are truncated to ms: 10_000_010 could be in file 1
  assert.equal(snap.filesMatching({ amount: { isNull: true } }).files.length, 0);
  assert.deepEqual(ids(await table.read({ where: { id: { gt: 17, lte: 21 } } })), [18n, 19n, 20n, 21n]);
  assert.deepEqual(ids(await table.read({ where: { day: '2024-01-05' } })), [4n, 32n]);
  assert.deepEqual(await table.read({ where: { id: 5 }, columns: ['id', 'country'] }), [{ id: 5n, country: 'fr' }]);
});

test('schema enforcement names the column, expected and actual type, and writes nothing', async () => {
  const path = fresh();
  const table = await DeltaTable.create(path, { schema });
  const before = readdirSync(path);
  await assert.rejects(table.append([row(1), { ...row(2), amount: '3.5' }]), (e: unknown) =>
    e instanceof SchemaMismatchError && e.column === 'amount' && /row 1: column 'amount' expects double, got string '3.5'/.test(e.message));
  await assert.rejects(table.append([{ ...row(1), extra: 1 }]), (e: unknown) => e instanceof SchemaMismatchError && e.column === 'extra');
  await assert.rejects(table.append([{ country: 'fr' }]), (e: unknown) => e instanceof SchemaMismatchError && /'id' is not nullable/.test(e.message));
  assert.deepEqual(readdirSync(path), before);
  assert.equal(await table.version(), 0);
});

test('overwrite replaces the whole table; time travel by version and by timestamp', async () => {
  const path = fresh();
  const table = await DeltaTable.create(path, { schema, partitionBy: ['country'] });
  await table.append([row(1), row(2, 'de')]);
  await table.overwrite([row(3)]);
  assert.deepEqual(ids(await table.read()), [3n]);
  assert.deepEqual(ids(await table.read({ version: 1 })), [1n, 2n]);
  assert.deepEqual(ids(await table.read({ version: 0 })), []);
  // Commit timestamps are the commit files' times: pin them to check timestamp travel exactly.
  const log = join(path, '_delta_log');
  const t0 = Date.UTC(2024, 0, 1);
  for (let v = 0; v <= 2; v++) utimesSync(join(log, `${String(v).padStart(20, '0')}.json`), new Date(t0 + v * 60_000), new Date(t0 + v * 60_000));
  assert.deepEqual(ids(await table.read({ timestamp: new Date(t0 + 90_000) })), [1n, 2n]);
  assert.deepEqual(ids(await table.read({ timestamp: '2024-01-01T00:02:00Z' })), [3n]);
  await assert.rejects(table.read({ timestamp: t0 - 1 }), (e: unknown) => e instanceof DeltaTableError && e.code === 'DELTA_VERSION_NOT_FOUND');
  await assert.rejects(table.read({ version: 9 }), /version 9 .* does not exist \(latest is 2\)/);
  const history = await table.history();
  assert.deepEqual(history.map((h) => [h.version, h.operation, h.operationParameters.mode]), [[2, 'WRITE', 'Overwrite'], [1, 'WRITE', 'Append'], [0, 'CREATE TABLE', 'ErrorIfExists']]);
});

test('checkpoints every delta.checkpointInterval commits; snapshots start from them', async () => {
  const path = fresh();
  const table = await DeltaTable.create(path, { schema, partitionBy: ['country'], properties: { 'delta.checkpointInterval': '5' } });
  for (let i = 1; i <= 12; i++) await table.append([row(i, i % 2 ? 'fr' : 'de')]);
  await table.overwrite([row(100, 'fr')]);
  await table.append([row(101, 'de')], { txn: { appId: 'sink', version: 1 } });
  const log = join(path, '_delta_log');
  assert.deepEqual(readdirSync(log).filter((f) => f.includes('checkpoint')).sort(),
    ['00000000000000000005.checkpoint.parquet', '00000000000000000010.checkpoint.parquet', '_last_checkpoint']);
  // Remove the JSON commits a checkpoint covers: reads must come from the checkpoint.
  for (let v = 0; v <= 10; v++) unlinkSync(join(log, `${String(v).padStart(20, '0')}.json`));
  const reopened = await DeltaTable.open(path);
  assert.deepEqual(ids(await reopened.read()), [100n, 101n]);
  assert.deepEqual(ids(await reopened.read({ version: 12 })), [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n, 11n, 12n]);
  assert.deepEqual(ids(await reopened.read({ version: 10, where: { country: 'de' } })), [2n, 4n, 6n, 8n, 10n]);
  await assert.rejects(reopened.read({ version: 9 }), /commit 6 .* is missing, so version 9 cannot be reconstructed/);
  const snap = await reopened.snapshot();
  assert.equal(snap.appTransactions.get('sink')?.version, 1);
  assert.ok(snap.state.tombstones.size >= 12, 'tombstones of the overwrite survive in the log state');
});

test('txn makes writes idempotent (exactly-once sinks)', async () => {
  const table = await DeltaTable.create(fresh(), { schema, properties: { 'delta.checkpointInterval': '2' } });
  assert.equal((await table.append([row(1)], { txn: { appId: 'job', version: 1 } })).version, 1);
  assert.deepEqual(await table.append([row(1)], { txn: { appId: 'job', version: 1 } }), { version: 1, skipped: true });
  await table.append([row(2)], { txn: { appId: 'job', version: 2 } }); // version 2: checkpointed with its txn
  assert.deepEqual(await table.append([row(2)], { txn: { appId: 'job', version: 2 } }), { version: 2, skipped: true });
  assert.deepEqual(ids(await table.read()), [1n, 2n]);
});

test('create refuses an existing table, unknown partition columns and unsupported properties', async () => {
  const path = fresh();
  await DeltaTable.create(path, { schema });
  await assert.rejects(DeltaTable.create(path, { schema }), (e: unknown) => e instanceof DeltaTableError && e.code === 'DELTA_TABLE_EXISTS');
  await assert.rejects(DeltaTable.create(fresh(), { schema, partitionBy: ['nope'] }), /partition column 'nope' is not in the schema/);
  await assert.rejects(DeltaTable.create(fresh(), { schema, properties: { 'delta.enableDeletionVectors': 'true' } }), /not supported by Riffle yet/);
  await assert.rejects(DeltaTable.open(fresh()), (e: unknown) => e instanceof DeltaTableError && e.code === 'DELTA_TABLE_NOT_FOUND');
});

test('append-only tables refuse overwrite', async () => {
  const table = await DeltaTable.create(fresh(), { schema, properties: { 'delta.appendOnly': 'true' } });
  await table.append([row(1)]);
  await assert.rejects(table.overwrite([row(2)]), /append-only/);
});

/** Writes a foreign table's first commit by hand. */
function foreignTable(protocol: object, configuration: Record<string, string> = {}, fields: object[] = [{ name: 'id', type: 'long', nullable: true, metadata: {} }]): string {
  const path = fresh();
  mkdirSync(join(path, '_delta_log'), { recursive: true });
  const metaData = { id: 'x', format: { provider: 'parquet', options: {} }, schemaString: JSON.stringify({ type: 'struct', fields }), partitionColumns: [], configuration, createdTime: 0 };
  writeFileSync(join(path, '_delta_log', '00000000000000000000.json'), `${JSON.stringify({ protocol })}\n${JSON.stringify({ metaData })}\n`);
  return path;
}

test('unsupported reader and writer features fail with an error naming the feature', async () => {
  const feature = async (p: Promise<unknown>): Promise<string> => {
    try { await p; return 'none'; } catch (e) { assert.ok(e instanceof UnsupportedFeatureError, String(e)); return e.feature; }
  };
  assert.equal(await feature(DeltaTable.open(foreignTable({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['deletionVectors'] }))), 'deletionVectors');
  assert.equal(await feature(DeltaTable.open(foreignTable({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['v2Checkpoint'], writerFeatures: ['v2Checkpoint'] }))), 'v2Checkpoint');
  assert.equal(await feature(DeltaTable.open(foreignTable({ minReaderVersion: 2, minWriterVersion: 5 }, { 'delta.columnMapping.mode': 'name' }))), 'columnMapping');
  assert.equal(await feature(DeltaTable.open(foreignTable({ minReaderVersion: 1, minWriterVersion: 2 }, { 'delta.columnMapping.mode': 'id' }))), 'columnMapping');
  const map = { type: 'map', keyType: 'string', valueType: 'interval', valueContainsNull: true };
  assert.equal(await feature(DeltaTable.open(foreignTable({ minReaderVersion: 1, minWriterVersion: 2 }, {}, [{ name: 'v', type: map, nullable: true, metadata: {} }]))), 'type map<string,interval>');
  // Readable but not writable: reads work, writes name the feature.
  const v6 = await DeltaTable.open(foreignTable({ minReaderVersion: 1, minWriterVersion: 6 }));
  assert.deepEqual(await v6.read(), []);
  assert.equal(await feature(v6.append([{ id: 1 }])), 'identityColumns');
  const ts = await DeltaTable.open(foreignTable({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: [], writerFeatures: ['appendOnly', 'checkConstraints'] }));
  assert.equal(await feature(ts.append([{ id: 1 }])), 'checkConstraints');
});

test('a table with several unsupported features names all of them, sorted, whatever order the log lists them in', async () => {
  const features = async (p: Promise<unknown>): Promise<readonly string[]> => {
    try { await p; return []; } catch (e) { assert.ok(e instanceof UnsupportedFeatureError, String(e)); return e.features; }
  };
  const listed = ['v2Checkpoint', 'deletionVectors', 'typeWidening', 'columnMapping'];
  for (const order of [listed, [...listed].reverse()]) {
    const path = foreignTable({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: order, writerFeatures: order }, {}, [
      { name: 'id', type: 'long', nullable: true, metadata: {} }, { name: 'v', type: { type: 'struct', fields: [{ name: 'a', type: 'variant' }] }, nullable: true, metadata: {} },
    ]);
    assert.deepEqual(await features(DeltaTable.open(path)), ['columnMapping', 'deletionVectors', 'type struct<a:variant>', 'typeWidening', 'v2Checkpoint']);
    await assert.rejects(DeltaTable.open(path), /table features 'columnMapping', 'deletionVectors', 'type struct<a:variant>', 'typeWidening', 'v2Checkpoint' are not supported by Riffle for reading/);
  }
  const writes = await DeltaTable.open(foreignTable({ minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['rowTracking', 'appendOnly', 'checkConstraints', 'identityColumns'] }, { 'delta.constraints.positive': 'id > 0' }));
  assert.deepEqual(await features(writes.append([{ id: 1 }])), ['checkConstraints', 'identityColumns', 'rowTracking']);
});
