// Delta tables at s3:// (moto) and az:// (Azurite) URLs written and read by Riffle: create, append, read with a
// predicate, history, checkpoints, time travel, DML, and two writers racing for one version (exactly one wins each
// put-if-absent; the loser retries through the conflict checker, so both appends land).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeltaTable, type Row } from '../../src/lakehouse/index.ts';
import { openObjectStore } from '../../src/object-store/index.ts';
import { AZURE_SKIP, freshAzureUrl, freshS3Url, S3_SKIP, useTierEnv } from './servers.ts';

useTierEnv();

const rows = (from: number, n: number): Row[] => Array.from({ length: n }, (_, i) => ({ id: BigInt(from + i), country: ['fr', 'de', 'jp'][(from + i) % 3], amount: (from + i) * 1.5 }));
const byId = (a: Row, b: Row): number => Number((a.id as bigint) - (b.id as bigint));

for (const [name, fresh, skip] of [['s3', freshS3Url, S3_SKIP], ['azure', freshAzureUrl, AZURE_SKIP]] as const) {
  const opts = skip ? { skip } : {};

  test(`${name}: create, append, read, history, checkpoint and time travel at a URL`, opts, async () => {
    const url = await fresh();
    const table = await DeltaTable.create(url, {
      schema: { id: { type: 'long', nullable: false }, country: 'string', amount: 'double' }, partitionBy: ['country'],
      properties: { 'delta.checkpointInterval': '3' },
    });
    for (let v = 0; v < 4; v++) await table.append(rows(v * 100, 100));
    const reopened = await DeltaTable.open(url);
    assert.equal(await reopened.version(), 4);
    const all = (await reopened.read()).sort(byId);
    assert.deepEqual(all, rows(0, 400).sort(byId));
    const fr = await reopened.read({ where: { country: 'fr' } });
    assert.equal(fr.length, rows(0, 400).filter((r) => r.country === 'fr').length);
    const keys = (await openObjectStore(url).list('_delta_log/')).map((o) => o.key);
    assert.ok(keys.includes('_delta_log/00000000000000000003.checkpoint.parquet'), `a checkpoint was written: ${keys.join(', ')}`);
    assert.ok(keys.includes('_delta_log/_last_checkpoint'));
    const data = (await openObjectStore(url).list('country=fr/')).map((o) => o.key);
    assert.ok(data.length === 4 && data.every((k) => /^country=fr\/part-.*\.parquet$/.test(k)), `data files are under partition prefixes: ${data.join(', ')}`);
    // Read through the checkpoint (a fresh reader lists it) and travel back.
    assert.deepEqual((await reopened.read({ version: 1 })).sort(byId), rows(0, 100).sort(byId));
    const history = await reopened.history();
    assert.deepEqual(history.map((h) => h.version), [4, 3, 2, 1, 0]);
    assert.equal(history[4].operation, 'CREATE TABLE');
  });

  test(`${name}: delete and update rewrite files in the store`, opts, async () => {
    const url = await fresh();
    const table = await DeltaTable.create(url, { schema: { id: 'long', country: 'string', amount: 'double' } });
    await table.append(rows(0, 30));
    await table.delete({ country: 'de' });
    await table.update({ country: 'fr' }, { amount: 0 });
    const after = (await (await DeltaTable.open(url)).read()).sort(byId);
    assert.deepEqual(after, rows(0, 30).filter((r) => r.country !== 'de').map((r) => (r.country === 'fr' ? { ...r, amount: 0 } : r)).sort(byId));
  });

  test(`${name}: two writers racing: every put-if-absent has one winner, both appends land`, opts, async () => {
    const url = await fresh();
    await DeltaTable.create(url, { schema: { id: 'long', country: 'string', amount: 'double' } });
    const a = await DeltaTable.open(url);
    const b = await DeltaTable.open(url);
    for (let round = 0; round < 4; round++) {
      await Promise.all([a.append(rows(round * 1000, 10)), b.append(rows(round * 1000 + 500, 10))]);
    }
    const table = await DeltaTable.open(url);
    assert.equal(await table.version(), 8, 'eight appends, eight versions: no commit lost or overwritten');
    assert.equal((await table.read()).length, 80);
    const ops = (await table.history()).map((h) => h.operation);
    assert.equal(ops.filter((o) => o === 'WRITE').length, 8);
  });

  test(`${name}: merge, change data feed, optimize, restore and vacuum on a table in the store`, opts, async () => {
    const url = await fresh();
    const table = await DeltaTable.create(url, { schema: { id: 'long', country: 'string', amount: 'double' }, properties: { 'delta.enableChangeDataFeed': 'true' } });
    for (let i = 0; i < 3; i++) await table.append(rows(i * 10, 10)); // v1–v3: three small files
    await table.merge([{ id: 5n, country: 'fr', amount: -1 }, { id: 99n, country: 'jp', amount: 9 }], { on: ['id'] })
      .whenMatchedUpdate({ all: true }).whenNotMatchedInsert({ all: true }).execute(); // v4
    const changes = await table.changes({ startingVersion: 4 });
    assert.deepEqual(changes.map((c) => `${String(c.id)}:${c._change_type}`).sort(), ['5:update_postimage', '5:update_preimage', '99:insert']);
    const expected = (await table.read()).sort(byId);
    assert.equal(expected.length, 31);
    const optimized = await table.optimize(); // v5
    assert.ok(optimized.committed && optimized.metrics.numFilesRemoved >= 3, `optimize compacted ${optimized.metrics.numFilesRemoved} files`);
    assert.deepEqual((await (await DeltaTable.open(url)).read()).sort(byId), expected);
    const restored = await table.restore({ version: 1 }); // v6
    assert.equal(restored.version, 6);
    assert.deepEqual((await table.read()).sort(byId), rows(0, 10).sort(byId));
    const before = (await openObjectStore(url).list('')).filter((o) => o.key.endsWith('.parquet') && !o.key.startsWith('_delta_log/')).length;
    const vacuumed = await table.vacuum({ retentionHours: 0, enforceRetentionDuration: false });
    const after = (await openObjectStore(url).list('')).filter((o) => o.key.endsWith('.parquet') && !o.key.startsWith('_delta_log/')).length;
    assert.ok(vacuumed.filesDeleted.length > 0 && after === before - vacuumed.filesDeleted.length, `vacuum deleted ${vacuumed.filesDeleted.length} of ${before}, ${after} left`);
    assert.deepEqual((await (await DeltaTable.open(url)).read()).sort(byId), rows(0, 10).sort(byId), 'the current version reads the same after vacuum');
  });

  test(`${name}: a writer whose read the other writer's commit changed fails with ConcurrentModificationError`, opts, async () => {
    const url = await fresh();
    const table = await DeltaTable.create(url, { schema: { id: 'long', country: 'string', amount: 'double' } });
    await table.append(rows(0, 10));
    const a = await DeltaTable.open(url);
    const b = await DeltaTable.open(url);
    const tx = await a.startTransaction(); // reads version 1 and removes its file …
    tx.readTable();
    for (const f of tx.snapshot?.files ?? []) tx.removeFile(f);
    await b.delete({ country: 'fr' }); // … which b rewrites first (version 2)
    await assert.rejects(tx.commit({ operation: 'DELETE' }), (e: unknown) => (e as { code?: string }).code === 'DELTA_CONCURRENT_MODIFICATION');
    assert.equal(await (await DeltaTable.open(url)).version(), 2, 'the loser committed nothing');
  });

  test(`${name}: a URL with no table is DELTA_TABLE_NOT_FOUND`, opts, async () => {
    const url = await fresh();
    await assert.rejects(DeltaTable.open(url), (e: unknown) => (e as { code?: string }).code === 'DELTA_TABLE_NOT_FOUND' && (e as Error).message.includes(url));
  });
}

test('azure: a table at abfss://container@account.dfs.core.windows.net/… with the account from the URL and the key from the environment', AZURE_SKIP ? { skip: AZURE_SKIP } : {}, async () => {
  const url = await freshAzureUrl(); // creates the container
  const prefix = url.slice(`az://${'riffle-tier'}/`.length);
  const endpoint = (/BlobEndpoint=([^;]+)/.exec(process.env.AZURE_STORAGE_CONNECTION_STRING ?? '') ?? [])[1];
  const key = (/AccountKey=([^;]+)/.exec(process.env.AZURE_STORAGE_CONNECTION_STRING ?? '') ?? [])[1];
  const saved = process.env.AZURE_STORAGE_CONNECTION_STRING;
  delete process.env.AZURE_STORAGE_CONNECTION_STRING;
  Object.assign(process.env, { AZURE_STORAGE_ACCOUNT_KEY: key, AZURE_STORAGE_ENDPOINT: endpoint });
  try {
    const abfss = `abfss://riffle-tier@devstoreaccount1.dfs.core.windows.net/${prefix}`;
    const table = await DeltaTable.create(abfss, { schema: { id: 'long', country: 'string', amount: 'double' }, partitionBy: ['country'] });
    await table.append(rows(0, 20));
    assert.deepEqual((await (await DeltaTable.open(abfss)).read()).sort(byId), rows(0, 20).sort(byId));
  } finally {
    process.env.AZURE_STORAGE_CONNECTION_STRING = saved;
    delete process.env.AZURE_STORAGE_ACCOUNT_KEY;
    delete process.env.AZURE_STORAGE_ENDPOINT;
  }
});
