import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { io, Pipeline } from '../../index.ts';
import { DeltaTable } from '../../lakehouse/index.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-delta-external-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('io.delta.read refuses a log naming a file outside the table unless allowExternalFiles', async () => {
  const table = join(root, 't');
  const t = await DeltaTable.create(table, { schema: { id: 'long' } });
  await t.append([{ id: 7 }]);
  const outside = join(root, 'outside');
  mkdirSync(outside);
  copyFileSync(join(table, readdirSync(table).find((f) => f.endsWith('.parquet'))!), join(outside, 'x.parquet'));
  const commit = join(table, '_delta_log', '00000000000000000001.json');
  writeFileSync(commit, readFileSync(commit, 'utf8').replace(/"path":"[^"]+"/, `"path":"file://${outside}/x.parquet"`));

  const refused = Pipeline.create();
  refused.apply(io.delta.read(table));
  await assert.rejects(refused.run(), /x\.parquet', an absolute URI outside the table/);

  const rows: Record<string, unknown>[] = [];
  const allowed = Pipeline.create();
  allowed.apply(io.delta.read(table, { allowExternalFiles: true })).map((r) => rows.push(r));
  await allowed.run();
  assert.deepEqual(rows, [{ id: 7n }]);
});
