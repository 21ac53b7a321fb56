// enforceSchemaTyped: typed columns (no bigint per long written as a number) read back as enforceSchema's canonical
// values, and give the same statistics and file contents.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeStats } from './file-stats.ts';
import { enforceSchema, enforceSchemaTyped } from './schema-enforcement.ts';
import { toTableSchema } from './schema.ts';

const schema = toTableSchema({ id: 'long', ts: 'timestamp', amount: 'double', n: 'integer', name: 'string', maybe: 'long' });
const edge = [0, 1, -1, 2 ** 32, -(2 ** 32), 2 ** 32 - 1, -(2 ** 32) + 1, 2 ** 31, -(2 ** 31), Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 123_456_789_012, -987_654_321_098];
const rows = edge.map((id, i) => ({
  id, ts: i === 0 ? -62_135_596_800_000_000n : i === 1 ? 253_402_300_799_999_999n : BigInt(id), amount: i === 3 ? -0 : id / 7, n: i - 6, name: `n${i}`, maybe: i === 4 ? null : BigInt(i),
}));

test('typed columns read back as the canonical values, for every edge of the 32-bit word split', () => {
  const typed = enforceSchemaTyped(schema, rows);
  const canonical = enforceSchema(schema, rows);
  assert.ok(typed[0] instanceof BigInt64Array && typed[1] instanceof BigInt64Array && typed[2] instanceof Float64Array && typed[3] instanceof Int32Array);
  assert.ok(Array.isArray(typed[4]) && Array.isArray(typed[5])); // strings; a long column holding a null
  typed.forEach((column, c) => assert.deepEqual(Array.from(column), canonical[c], schema.fields[c].name));
  assert.equal(computeStats(schema.fields, typed, rows.length), computeStats(schema.fields, canonical, rows.length));
});

test('a value that does not fit is refused as enforceSchema refuses it', () => {
  assert.throws(() => enforceSchemaTyped(schema, [{ ...rows[0], id: 2 ** 53 }]), /column 'id' expects long/);
  assert.throws(() => enforceSchemaTyped(schema, [{ ...rows[0], id: 2n ** 63n }]), /column 'id' expects long/);
  assert.throws(() => enforceSchemaTyped(schema, [{ ...rows[0], extra: 1 }]), /column 'extra'/);
});

test('timestamps past a Date\'s range (any 64-bit microseconds) are written; that side of the statistics stays absent', () => {
  const ts = toTableSchema({ ts: 'timestamp' });
  const stats = JSON.parse(computeStats(ts.fields, enforceSchemaTyped(ts, [{ ts: -(2n ** 63n) }, { ts: 0n }, { ts: 2n ** 63n - 1n }]), 3)) as { minValues: object; maxValues: object };
  assert.deepEqual([stats.minValues, stats.maxValues], [{}, {}]);
  const inRange = JSON.parse(computeStats(ts.fields, enforceSchemaTyped(ts, [{ ts: 1n }, { ts: 2n ** 63n - 1n }]), 2)) as { minValues: object; maxValues: object };
  assert.deepEqual([inRange.minValues, inRange.maxValues], [{ ts: '1970-01-01T00:00:00.000Z' }, {}]);
});

test('a timestamp partition value past a Date\'s range is refused naming the row and column', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { DeltaTable } = await import('./index.ts');
  const dir = mkdtempSync(join(tmpdir(), 'riffle-ts-partition-'));
  try {
    const t = await DeltaTable.create(join(dir, 't'), { schema: { id: 'long', ts: 'timestamp' }, partitionBy: ['ts'] });
    await assert.rejects(t.append([{ id: 1, ts: 0n }, { id: 2, ts: 2n ** 63n - 1n }]), (e: Error & { code?: string }) => e.code === 'DELTA_SCHEMA_MISMATCH' && /row 1: partition column 'ts'/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
