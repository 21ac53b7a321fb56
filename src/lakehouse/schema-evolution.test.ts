import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DeltaTable, SchemaMismatchError } from './index.ts';
import { inferColumnType } from './schema-evolution.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-evolve-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(root, `t${n++}`);
const fields = async (t: DeltaTable): Promise<string[]> => (await t.schema()).fields.map((f) => `${f.name}:${f.type}${f.nullable ? '' : '!'}`);
const mismatch = (column: string, re: RegExp) => (e: unknown): boolean => e instanceof SchemaMismatchError && e.column === column && re.test(e.message);

test('new column types are inferred from values, or refused with a clear error', () => {
  assert.equal(inferColumnType('a', [1, 2, null]), 'long');
  assert.equal(inferColumnType('a', [1, 2.5]), 'double');
  assert.equal(inferColumnType('a', [1n, 2]), 'long');
  assert.equal(inferColumnType('a', ['x']), 'string');
  assert.equal(inferColumnType('a', [true]), 'boolean');
  assert.equal(inferColumnType('a', [new Date()]), 'timestamp');
  assert.throws(() => inferColumnType('a', [null, undefined]), mismatch('a', /every value is null/));
  assert.throws(() => inferColumnType('a', [1, 'x']), mismatch('a', /number and string/));
});

test('append with mergeSchema adds nullable columns in the data commit; without it the column is refused', async () => {
  const table = await DeltaTable.create(fresh(), { schema: { id: { type: 'long', nullable: false }, name: 'string' } });
  await table.append([{ id: 1, name: 'a' }]);
  await assert.rejects(table.append([{ id: 2, email: 'b@x' }]), mismatch('email', /not in the table schema/));
  const r = await table.append([{ id: 2, email: 'b@x', score: 1.5, seen: new Date(0), day: '2024-01-02' }], { mergeSchema: true, schema: { day: 'date' } });
  assert.equal(r.version, 2);
  const actions = await table.log.readCommit(2);
  assert.ok(actions.some((a) => 'metaData' in a) && actions.some((a) => 'add' in a), 'schema and data in one commit');
  assert.deepEqual(await fields(table), ['id:long!', 'name:string', 'email:string', 'score:double', 'seen:timestamp', 'day:date']);
  const rows = (await table.read()).sort((a, b) => Number(a.id) - Number(b.id));
  assert.deepEqual(rows[0], { id: 1n, name: 'a', email: null, score: null, seen: null, day: null });
  assert.deepEqual(rows[1], { id: 2n, name: null, email: 'b@x', score: 1.5, seen: 0n, day: '2024-01-02' });
  assert.deepEqual(await fields(await DeltaTable.open(table.path)), await fields(table));
  // Old versions keep their schema.
  assert.deepEqual((await table.snapshot(1)).schema.fields.map((f) => f.name), ['id', 'name']);
});

test('in-place widening is refused, naming column, type and the overwriteSchema way; overwriteSchema widens', async () => {
  const table = await DeltaTable.create(fresh(), { schema: { id: 'long', n: 'integer', label: 'string' } });
  await table.append([{ id: 1, n: 5, label: 'a' }]);
  const big = 2 ** 40;
  await assert.rejects(table.append([{ id: 2, n: big }], { mergeSchema: true }), mismatch('n', /'n' is integer and the value 1099511627776 needs long.*typeWidening/s));
  await assert.rejects(table.append([{ id: 2, n: big }]), mismatch('n', /overwriteSchema/));
  await assert.rejects(table.append([{ id: 2, n: 'x' }], { mergeSchema: true }), mismatch('n', /expects integer, got string 'x'/));
  await assert.rejects(table.overwrite([{ id: 2, n: big }], { overwriteSchema: true, replaceWhere: { id: 1 } }), /cannot be combined with replaceWhere/);
  await assert.rejects(table.append([{ id: 2 }], { overwriteSchema: true } as never), /options of overwrite/);
  const r = await table.overwrite([{ id: 2, n: big, label: 'b' }, { id: 3, n: 1.5, label: null }], { overwriteSchema: true });
  assert.ok('version' in r);
  assert.deepEqual(await fields(table), ['id:long', 'n:double', 'label:string']);
  assert.deepEqual((await table.read()).map((x) => x.n).sort(), [1.5, big]);
  // Columns the rows no longer carry are dropped; an explicit schema and new partitioning are taken as given.
  await table.overwrite([{ id: 4, day: '2024-01-01' }], { overwriteSchema: true, schema: { id: 'long', day: 'date' }, partitionBy: ['day'] });
  assert.deepEqual(await fields(table), ['id:long', 'day:date']);
  assert.deepEqual((await table.snapshot()).partitionColumns, ['day']);
  await assert.rejects(table.overwrite([{ id: 5, day: '2024-01-01' }], { partitionBy: ['id'] }), /needs overwrite\(rows, \{ overwriteSchema: true, partitionBy \}\)/);
});

test('replaceWhere with mergeSchema, and MERGE with mergeSchema adds the source columns', async () => {
  const table = await DeltaTable.create(fresh(), { schema: { id: 'long', country: 'string' }, partitionBy: ['country'] });
  await table.append([{ id: 1, country: 'fr' }, { id: 2, country: 'de' }]);
  await table.overwrite([{ id: 3, country: 'fr', tier: 'gold' }], { replaceWhere: { country: 'fr' }, mergeSchema: true });
  assert.deepEqual(await fields(table), ['id:long', 'country:string', 'tier:string']);
  const m = await table.merge([{ id: 2, country: 'de', tier: 'silver', points: 10 }, { id: 4, country: 'es', tier: null, points: 5 }], { on: ['id'], mergeSchema: true })
    .whenMatchedUpdate({ all: true })
    .whenNotMatchedInsert({ all: true })
    .execute();
  assert.deepEqual([m.metrics.numTargetRowsUpdated, m.metrics.numTargetRowsInserted], [1, 1]);
  assert.deepEqual(await fields(table), ['id:long', 'country:string', 'tier:string', 'points:long']);
  const rows = Object.fromEntries((await table.read()).map((r) => [String(r.id), r]));
  assert.deepEqual(rows['2'], { id: 2n, country: 'de', tier: 'silver', points: 10n });
  assert.deepEqual(rows['3'], { id: 3n, country: 'fr', tier: 'gold', points: null });
  assert.deepEqual(rows['4'], { id: 4n, country: 'es', tier: null, points: 5n });
  // Without mergeSchema, MERGE ignores source columns the target lacks (as before).
  await table.merge([{ id: 2, country: 'de', tier: 'x', points: 1, other: 1 }], { on: ['id'] }).whenMatchedUpdate({ all: true }).execute();
  assert.deepEqual(await fields(table), ['id:long', 'country:string', 'tier:string', 'points:long']);
});
