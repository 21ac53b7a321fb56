// Pipelines with io.delta.write and io.delta.read on tables at s3:// and az:// URLs: the connector keeps the URL,
// stages data files as objects, commits through put-if-absent; a second batch run appends; reading back is exact.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, io, Pipeline } from '../../src/index.ts';
import { DeltaTable, type Row } from '../../src/lakehouse/index.ts';
import { AZURE_SKIP, freshAzureUrl, freshS3Url, S3_SKIP, useTierEnv } from './servers.ts';

useTierEnv();

const rows = (from: number, n: number): Row[] => Array.from({ length: n }, (_, i) => ({ id: BigInt(from + i), country: ['fr', 'de'][(from + i) % 2], amount: from + i + 0.5 }));

for (const [name, fresh, skip] of [['s3', freshS3Url, S3_SKIP], ['azure', freshAzureUrl, AZURE_SKIP]] as const) {
  test(`${name}: io.delta.write then io.delta.read at a URL`, skip ? { skip } : {}, async () => {
    const url = await fresh();
    for (const batch of [rows(0, 250), rows(250, 250)]) {
      const p = Pipeline.create();
      p.apply(create(batch)).apply(io.delta.write<Row>(url, { partitionBy: ['country'], stageRows: 100 }));
      await p.run();
    }
    const table = await DeltaTable.open(url);
    assert.equal(await table.version(), 2);
    const seen: Row[] = [];
    const p = Pipeline.create();
    p.apply(io.delta.read(url)).map((r) => { seen.push(r as Row); return r; });
    await p.run();
    const key = (r: Row): string => `${String(r.id)}:${String(r.country)}:${String(r.amount)}`;
    assert.deepEqual(seen.map(key).sort(), rows(0, 500).map(key).sort());
  });
}
