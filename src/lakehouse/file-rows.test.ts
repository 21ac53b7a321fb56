import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { compilePredicate, DeltaTable, readDataFile } from './index.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-file-rows-'));
after(() => rmSync(root, { recursive: true, force: true }));

async function collect(batches: AsyncIterable<Record<string, unknown>[]>): Promise<{ rows: Record<string, unknown>[]; batches: number }> {
  const rows: Record<string, unknown>[] = [];
  let n = 0;
  for await (const batch of batches) {
    n++;
    for (const row of batch) rows.push(row);
  }
  return { rows, batches: n };
}

test('readDataFile streams row groups, projects columns (partition ones from the log), filters on unprojected columns', async () => {
  const table = await DeltaTable.create(join(root, 't'), { schema: { id: 'long', country: 'string', v: 'double', note: 'string' }, partitionBy: ['country'] });
  // 300k rows in one file: three row groups (128K rows each); note is null in every row (an OPTIONAL column), v in none.
  await table.append(Array.from({ length: 300_000 }, (_x, i) => ({ id: BigInt(i), country: 'fr', v: i % 1000, note: null })));
  const snap = await table.snapshot();
  const [file] = snap.files;
  const all = await collect(readDataFile(file, snap.schema));
  assert.equal(all.batches, 3);
  assert.deepEqual(all.rows[299_999], { id: 299_999n, country: 'fr', v: 999, note: null });
  const onlyPartition = await collect(readDataFile(file, snap.schema, { columns: ['country'] }));
  assert.equal(onlyPartition.rows.length, 300_000);
  assert.deepEqual(onlyPartition.rows[5], { country: 'fr' });
  const terms = compilePredicate({ v: { gte: 998 }, id: { lt: 5000 } }, snap.schema);
  const filtered = await collect(readDataFile(file, snap.schema, { columns: ['id'], terms }));
  assert.deepEqual(filtered.rows, [{ id: 998n }, { id: 999n }, { id: 1998n }, { id: 1999n }, { id: 2998n }, { id: 2999n }, { id: 3998n }, { id: 3999n }, { id: 4998n }, { id: 4999n }]);
  assert.equal(filtered.batches, 1, 'row groups without a matching row yield nothing');
  const partitionMiss = await collect(readDataFile(file, snap.schema, { terms: compilePredicate({ country: 'de' }, snap.schema) }));
  assert.deepEqual(partitionMiss, { rows: [], batches: 0 });
  assert.throws(() => readDataFile(file, snap.schema, { columns: ['nope'] }), /unknown column 'nope'/); // before any I/O
  unlinkSync(file.absolutePath);
  await assert.rejects(collect(readDataFile(file, snap.schema)), /data file .* referenced by the log of .* is missing/);
});
