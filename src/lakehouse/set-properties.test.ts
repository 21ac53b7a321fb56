import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DeltaTable, DeltaTableError } from './index.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-props-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(root, `t${n++}`);
const schema = { id: { type: 'long', nullable: false }, name: 'string' } as const;
const commit = (path: string, v: number) => readFileSync(join(path, '_delta_log', `${String(v).padStart(20, '0')}.json`), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

test('enabling the change data feed on an existing table: a SET TBLPROPERTIES commit, writer 4, changes from then on', async () => {
  const path = fresh();
  const table = await DeltaTable.create(path, { schema, properties: { owner: 'team-a' } });
  await table.append([{ id: 1, name: 'a' }, { id: 2, name: 'b' }]);
  const set = await table.setProperties({ 'delta.enableChangeDataFeed': 'true' });
  assert.deepEqual(set, { version: 2, committed: true, changed: ['delta.enableChangeDataFeed'] });
  const actions = commit(path, 2);
  assert.equal(actions[0].commitInfo.operation, 'SET TBLPROPERTIES');
  assert.deepEqual(actions.find((a) => a.protocol)?.protocol, { minReaderVersion: 1, minWriterVersion: 4 });
  assert.deepEqual(actions.find((a) => a.metaData)?.metaData.configuration, { owner: 'team-a', 'delta.enableChangeDataFeed': 'true' });
  assert.equal((await table.snapshot()).metadata.id, (await table.snapshot(1)).metadata.id, 'same table id');
  await table.append([{ id: 3, name: 'c' }]);
  await table.delete({ id: 1 });
  const changes = (await table.changes({ startingVersion: 2 })).map((c) => [c._commit_version, c._change_type, c.id]);
  assert.deepEqual(changes, [[3n, 'insert', 3n], [4n, 'delete', 1n]]);
  await assert.rejects(table.changes({ startingVersion: 0 }), (e: unknown) => e instanceof DeltaTableError && /not enabled at version 0 .*\(it is on from version 2\)/.test(e.message) && /--from 2/.test(e.hint ?? ''));
  assert.deepEqual(await table.setProperties({ 'delta.enableChangeDataFeed': 'true' }), { version: 4, committed: false, changed: [] }, 'nothing to change: no commit');
});

test('delta.* keys and values are validated, with "did you mean"; user keys are free', async () => {
  const table = await DeltaTable.create(fresh(), { schema });
  await assert.rejects(table.setProperties({ 'delta.enableChangeDataFed': 'true' }), /'delta\.enableChangeDataFed' is not supported by Riffle yet \(did you mean `delta\.enableChangeDataFeed`\?\)/);
  await assert.rejects(table.setProperties({ 'delta.appendOnly': 'yes' }), /'delta\.appendOnly' is 'yes', not 'true' or 'false'/);
  await assert.rejects(table.setProperties({ 'delta.checkpointInterval': '0' }), /not a positive integer/);
  await assert.rejects(table.setProperties({}), /at least one property/);
  await assert.rejects(DeltaTable.create(fresh(), { schema, properties: { 'delta.logRetentionDurations': 'interval 1 day' } }), /did you mean `delta\.logRetentionDuration`/);
  assert.equal(await table.version(), 0, 'refused properties commit nothing');
  const r = await table.setProperties({ 'delta.appendOnly': 'true', 'team.owner': 'x' });
  assert.equal(r.version, 1);
  await table.append([{ id: 1, name: 'a' }]);
  await assert.rejects(table.delete({ id: 1 }), /append-only/);
});

test('a writer-7 table gets the changeDataFeed writer feature; a column named like a feed column is refused', async () => {
  const path = fresh();
  mkdirSync(join(path, '_delta_log'), { recursive: true });
  const fields = [{ name: 'id', type: 'long', nullable: true, metadata: {} }];
  const metaData = { id: 'x', format: { provider: 'parquet', options: {} }, schemaString: JSON.stringify({ type: 'struct', fields }), partitionColumns: [], configuration: {}, createdTime: 0 };
  const protocol = { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: [], writerFeatures: ['appendOnly'] };
  writeFileSync(join(path, '_delta_log', `${'0'.repeat(20)}.json`), `${JSON.stringify({ protocol })}\n${JSON.stringify({ metaData })}\n`);
  const table = await DeltaTable.open(path);
  await table.setProperties({ 'delta.enableChangeDataFeed': 'true' });
  assert.deepEqual((await table.snapshot()).protocol, { ...protocol, writerFeatures: ['appendOnly', 'changeDataFeed'] });
  await table.append([{ id: 7 }]);
  assert.deepEqual((await table.changes({ startingVersion: 2 })).map((c) => c.id), [7n]);

  const clash = await DeltaTable.create(fresh(), { schema: { id: 'long', _change_type: 'string' } });
  await assert.rejects(clash.setProperties({ 'delta.enableChangeDataFeed': 'true' }), /'_change_type' is a name the feed reserves/);
});

test('delta.dataSkippingNumIndexedCols limits statistics to the first data columns (and applies once set)', async () => {
  const path = fresh();
  const table = await DeltaTable.create(path, { schema: { id: 'long', name: 'string', n: 'integer' } });
  await table.append([{ id: 1, name: 'a', n: 1 }]);
  await table.setProperties({ 'delta.dataSkippingNumIndexedCols': '1' });
  await table.append([{ id: 2, name: 'b', n: 2 }]);
  const stats = (v: number) => JSON.parse(commit(path, v).find((a) => a.add).add.stats);
  assert.deepEqual(Object.keys(stats(1).minValues), ['id', 'name', 'n'], 'every column by default');
  assert.deepEqual(stats(3), { numRecords: 1, minValues: { id: 2 }, maxValues: { id: 2 }, nullCount: { id: 0 } });
  assert.deepEqual((await table.read({ where: { n: 2 } })).map((r) => r.id), [2n], 'a column without stats is read, never skipped');
});
