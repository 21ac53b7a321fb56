// Maintenance and schema-evolution interop with delta-rs: delta-rs reads Riffle tables after optimize (bin-packing
// and Z-order), restore, mergeSchema/overwriteSchema and vacuum — identical rows at every version it can still read,
// the same history — and Riffle reads tables delta-rs compacted, z-ordered (ZSTD files), restored, evolved
// (schema_mode='merge') and vacuumed. Skips without the venv, unless RIFFLE_INTEGRATION=1.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DeltaTable } from '../../../src/lakehouse/index.ts';
import { assertAgreesWithDeltaRs, assertSameAsDeltaRs, type Described, deltaRs, interopRows, interopSchema, skip } from './harness.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-delta-ops-'));
after(() => rmSync(root, { recursive: true, force: true }));

type Ops = Described & { results: unknown[]; operations: string[] };
const schema = interopSchema;
const countries = [null, 'fr', 'de', 'a b/c:d%'];
const rowsFrom = (start: number, count: number) => interopRows(start, count, { countries, day: '2024-02-28' });

test('delta-rs reads a Riffle table after optimize, Z-order, mergeSchema, restore, overwriteSchema and vacuum; histories agree', { skip }, async () => {
  const path = join(root, 'riffle-ops');
  const table = await DeltaTable.create(path, { schema, partitionBy: ['country'] });
  for (let k = 0; k < 4; k++) await table.append(rowsFrom(k * 10, 10));             // v1-4
  const compact = await table.optimize();                                            // v5
  assert.ok(compact.committed && compact.metrics.numFilesRemoved > compact.metrics.numFilesAdded);
  await table.append(rowsFrom(100, 8));                                              // v6
  const z = await table.optimize({ zOrderBy: ['n', 'id'] });                         // v7
  assert.equal(z.committed, true);
  await table.append(rowsFrom(200, 5).map((r, i) => ({ ...r, extra: i % 2 ? `e${i}` : null })), { mergeSchema: true }); // v8
  await table.delete({ n: { lt: 3 } });                                              // v9
  await table.restore({ version: 6 });                                               // v10 (checkpoint)
  await table.append(rowsFrom(300, 4).map((r) => ({ ...r, n: 2 ** 40 + r.n, big: true })), { mergeSchema: true })
    .then(() => assert.fail('an integer column must not widen in place'), (e: Error) => assert.match(e.message, /typeWidening/));
  await table.overwrite([...(await table.read()).map((r) => ({ ...r, n: Number(r.n) })), ...rowsFrom(300, 4).map((r) => ({ ...r, n: 2 ** 40 + r.n }))], { overwriteSchema: true }); // v11
  assert.equal((await table.schema()).fields.find((f) => f.name === 'n')?.type, 'long');

  const before = deltaRs('read', path);
  await assertSameAsDeltaRs(table, before);
  assert.deepEqual(before.history.map((h) => h.operation).slice(0, 8), ['WRITE', 'RESTORE', 'DELETE', 'WRITE', 'OPTIMIZE', 'WRITE', 'OPTIMIZE', 'WRITE']);

  const vac = await table.vacuum({ retentionHours: 0, enforceRetentionDuration: false });
  assert.ok(vac.filesDeleted.length > 0);
  const afterVacuum = deltaRs('read', path);
  const readable = await assertAgreesWithDeltaRs(table, afterVacuum);
  assert.ok(readable.includes(13) && readable.includes(11), 'the latest versions stay readable');
  assert.ok(!readable.includes(1), 'version 1 needed vacuumed files');
  assert.deepEqual(afterVacuum.history.slice(0, 2).map((h) => h.operation), ['VACUUM END', 'VACUUM START']);
  // Riffle's vacuum left only live files (delta-rs' vacuum lists tombstones from the log, present or not).
  const onDisk = (readdirSync(path, { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet') && !f.startsWith('_delta_log')).map((f) => join(path, f)).sort();
  assert.deepEqual(onDisk, (await table.snapshot()).files.map((f) => f.absolutePath).sort());
  const rsVacuum = deltaRs<Ops>('ops', path, JSON.stringify(['vacuum']));
  await assertAgreesWithDeltaRs(table, rsVacuum);
});

test('Riffle reads a delta-rs table after compact, z_order (ZSTD files), schema_mode merge, restore and vacuum', { skip }, async () => {
  const path = join(root, 'rs-ops');
  const steps = ['create', 'append', 'append', 'append', 'compact', 'zorder:n,id', 'evolve', 'restore:5', 'evolve', 'checkpoint', 'append'];
  const described = deltaRs<Ops>('ops', path, JSON.stringify(steps));
  assert.deepEqual(described.operations.slice(0, 7), ['WRITE', 'WRITE', 'RESTORE', 'WRITE', 'OPTIMIZE', 'OPTIMIZE', 'WRITE']);
  const table = await DeltaTable.open(path);
  await assertSameAsDeltaRs(table, described);
  assert.ok((await table.snapshot(5)).files.some((f) => f.path.endsWith('.zstd.parquet')), 'delta-rs wrote ZSTD files (its default) and Riffle read them');
  assert.deepEqual((await table.schema()).fields.at(-1)?.name, 'extra');
  // delta-rs vacuums; Riffle agrees on what is left.
  const vacuumed = deltaRs<Ops>('ops', path, JSON.stringify(['vacuum']));
  assert.ok((vacuumed.results[0] as string[]).length > 0);
  await assertAgreesWithDeltaRs(table, vacuumed);
  // Riffle maintains delta-rs' table: Z-order, restore, vacuum (dry run first); delta-rs reads the result.
  await table.optimize({ zOrderBy: ['id'] });
  const latest = await table.version();
  await table.append(rowsFrom(500, 3).map((r) => ({ ...r, extra: 'riffle' })));
  await table.restore({ version: latest });
  const dry = await table.vacuum({ retentionHours: 0, enforceRetentionDuration: false, dryRun: true });
  const done = await table.vacuum({ retentionHours: 0, enforceRetentionDuration: false });
  assert.deepEqual(done.filesDeleted, dry.filesDeleted);
  await assertAgreesWithDeltaRs(table, deltaRs('read', path));
});

test('delta-rs compacts and z-orders a Riffle table; Riffle reads it identically', { skip }, async () => {
  const path = join(root, 'riffle-then-rs');
  const table = await DeltaTable.create(path, { schema, partitionBy: ['country'] });
  for (let k = 0; k < 3; k++) await table.append(rowsFrom(k * 10, 10));
  await table.append(rowsFrom(50, 4).map((r) => ({ ...r, extra: 7 })), { mergeSchema: true });
  const described = deltaRs<Ops>('ops', path, JSON.stringify(['compact', 'zorder:id']));
  assert.deepEqual(described.operations.slice(0, 2), ['OPTIMIZE', 'OPTIMIZE']);
  await assertSameAsDeltaRs(table, described);
  // Riffle's optimize then finds delta-rs' files already compacted.
  const r = await table.optimize();
  assert.equal(r.committed, false);
});
