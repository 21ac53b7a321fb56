import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { deleteWhere } from './delete.ts';
import { ConcurrentModificationError, DeltaTable, DeltaTableError } from './index.ts';
import { optimizeTable } from './optimize.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-optimize-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(root, `t${n++}`);
type R = Record<string, unknown>;
const sorted = (rows: R[]): string[] => rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).sort();

/** Deterministic pseudo-random integers (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('bin-packing compacts small files per partition with dataChange false, same rows, delta-rs metrics', async () => {
  const table = await DeltaTable.create(fresh(), { schema: { id: 'long', country: 'string', v: 'double' }, partitionBy: ['country'] });
  for (let k = 0; k < 6; k++) await table.append(Array.from({ length: 5 }, (_, i) => ({ id: k * 5 + i, country: i % 2 ? 'fr' : 'de', v: i / 2 })));
  const before = await table.read();
  const r = await table.optimize();
  assert.equal(r.committed, true);
  assert.equal(r.version, 7);
  assert.deepEqual([r.metrics.numFilesRemoved, r.metrics.numFilesAdded, r.metrics.partitionsOptimized, r.metrics.totalConsideredFiles, r.metrics.totalFilesSkipped], [12, 2, 2, 12, 0]);
  assert.equal(r.metrics.filesRemoved.totalFiles, 12);
  assert.equal(r.metrics.filesAdded.totalFiles, 2);
  assert.deepEqual(sorted(await table.read()), sorted(before));
  assert.equal((await table.snapshot()).files.length, 2);
  const actions = await table.log.readCommit(7);
  assert.ok(actions.every((a) => !('add' in a) || a.add.dataChange === false));
  assert.ok(actions.every((a) => !('remove' in a) || a.remove.dataChange === false));
  const [h] = await table.history(1);
  assert.equal(h.operation, 'OPTIMIZE');
  assert.deepEqual(h.operationParameters, { targetSize: String(100 * 1024 * 1024), predicate: '[]' });
  const m = h.commitInfo.operationMetrics as Record<string, unknown>;
  assert.equal(typeof m.filesAdded, 'string', 'delta-rs writes filesAdded as a JSON string');
  assert.equal(JSON.parse(m.filesAdded as string).totalFiles, 2);
  // Nothing left to compact: no commit.
  const again = await table.optimize();
  assert.deepEqual([again.committed, again.version, again.metrics.numFilesRemoved], [false, undefined, 0]);
  assert.equal(await table.version(), 7);
  // Time travel still sees the pre-optimize files.
  assert.equal((await table.snapshot(6)).files.length, 12);
});

test('bin-packing respects targetFileSize, leaves big files and single-file bins alone, and where limits partitions', async () => {
  const table = await DeltaTable.create(fresh(), { schema: { id: 'long', country: 'string' }, partitionBy: ['country'] });
  for (let k = 0; k < 4; k++) await table.append([{ id: k, country: 'fr' }, { id: k, country: 'de' }]);
  const size = (await table.snapshot()).files[0].size;
  const r = await table.optimize({ targetFileSize: size * 2 + 1, where: { country: 'fr' } });
  assert.deepEqual([r.metrics.numFilesRemoved, r.metrics.numFilesAdded, r.metrics.totalConsideredFiles, r.metrics.numBatches], [4, 2, 4, 2]);
  const files = (await table.snapshot()).files;
  assert.equal(files.filter((f) => f.partitionValues.country === 'de').length, 4, 'other partitions untouched');
  assert.equal((await table.history(1))[0].operationParameters.predicate, JSON.stringify(["country = 'fr'"]));
  await assert.rejects(table.optimize({ where: { id: 1 } }), (e: unknown) => e instanceof DeltaTableError && /only use partition columns/.test(e.message));
  await assert.rejects(table.optimize({ zOrderBy: ['country'] }), /partition column/);
  await assert.rejects(table.optimize({ zOrderBy: ['id', 'id'] }), /twice/);
  await assert.rejects(table.optimize({ zOrderBy: ['a', 'b', 'c', 'd', 'e'] }), /1 to 4 columns/);
  await assert.rejects(table.optimize({ zOrderBy: ['nope'] }), /not in the schema/);
  await assert.rejects(table.optimize({ targetFileSize: 0 }), /positive/);
});

test('Z-order by two columns: a point predicate reads at most 10% of 100 files (all of them before)', async () => {
  const table = await DeltaTable.create(fresh(), { schema: { x: 'long', y: 'long', payload: 'string' } });
  const rnd = random(42);
  const all: R[] = [];
  for (let f = 0; f < 100; f++) {
    const rows = Array.from({ length: 100 }, () => ({ x: Math.floor(rnd() * 1000), y: Math.floor(rnd() * 1000), payload: 'p' }));
    all.push(...rows);
    await table.append(rows);
  }
  const probe = all[1234];
  const where = { x: probe.x as number, y: probe.y as number };
  const before = await table.snapshot();
  assert.equal(before.filesMatching(where).files.length, 100, 'random appends: every file spans the whole range');
  const totalSize = before.files.reduce((s, f) => s + f.size, 0);
  const r = await table.optimize({ zOrderBy: ['x', 'y'], targetFileSize: Math.ceil(totalSize / 100) });
  assert.equal(r.metrics.numFilesRemoved, 100);
  assert.ok(r.metrics.numFilesAdded >= 80 && r.metrics.numFilesAdded <= 120, `about 100 output files, got ${r.metrics.numFilesAdded}`);
  assert.equal(r.metrics.preserveInsertionOrder, false);
  assert.equal((await table.history(1))[0].operationParameters.zOrderBy, '["x","y"]');
  const after = await table.snapshot();
  const read = after.filesMatching(where).files.length;
  assert.ok(read / after.files.length <= 0.1, `a point predicate read ${read} of ${after.files.length} files`);
  // One column alone also skips most files (each file covers a narrow band of x or y).
  assert.ok(after.filesMatching({ x: probe.x as number }).files.length / after.files.length <= 0.35);
  const rows = await table.read({ where });
  assert.ok(rows.length >= 1 && rows.every((row) => Number(row.x) === probe.x && Number(row.y) === probe.y));
  assert.equal((await table.read()).length, 10_000);
});

test('optimize conflicts with a concurrent delete of the same files (either order); appends do not disturb it', async () => {
  const make = async (): Promise<DeltaTable> => {
    const t = await DeltaTable.create(fresh(), { schema: { id: 'long', country: 'string' }, partitionBy: ['country'] });
    for (let k = 0; k < 3; k++) await t.append([{ id: k, country: 'fr' }, { id: 10 + k, country: 'de' }]);
    return t;
  };
  // Delete wins, optimize (started before) fails.
  const a = await make();
  const opt = await a.startTransaction();
  await a.delete({ country: 'fr', id: 1 });
  await assert.rejects(optimizeTable(opt), (e: unknown) => e instanceof ConcurrentModificationError && ['concurrentDeleteDelete', 'concurrentDeleteRead'].includes(e.conflict));
  // Optimize wins, delete (started before) fails.
  const b = await make();
  const del = await b.startTransaction();
  await b.optimize();
  await assert.rejects(deleteWhere(del, { country: 'fr', id: 1 }), (e: unknown) => e instanceof ConcurrentModificationError);
  // A concurrent append does not conflict with optimize.
  const c = await make();
  const opt2 = await c.startTransaction();
  await c.append([{ id: 99, country: 'fr' }]);
  const r = await optimizeTable(opt2);
  assert.equal(r.version, 5);
  assert.equal((await c.read()).length, 7);
});

test('optimize runs on append-only tables (dataChange false removes are allowed)', async () => {
  const table = await DeltaTable.create(fresh(), { schema: { id: 'long' }, properties: { 'delta.appendOnly': 'true' } });
  for (let k = 0; k < 3; k++) await table.append([{ id: k }]);
  await assert.rejects(table.delete({ id: 1 }), /append-only/);
  const r = await table.optimize();
  assert.equal(r.metrics.numFilesRemoved, 3);
  assert.deepEqual((await table.read()).map((x) => x.id).sort(), [0n, 1n, 2n]);
});
