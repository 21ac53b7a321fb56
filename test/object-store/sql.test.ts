// riffle SQL over delta('s3://…') and delta('az://…'): the snapshot is read through the object store, pruning
// happens on the log's statistics, and DuckDB scans local copies of the surviving files only.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeltaTable, type Row } from '../../src/lakehouse/index.ts';
import { SqlSession } from '../../src/sql/index.ts';
import { AZURE_SKIP, freshAzureUrl, freshS3Url, S3_SKIP, useTierEnv } from './servers.ts';

useTierEnv();

const rows = (from: number, n: number): Row[] => Array.from({ length: n }, (_, i) => ({ id: BigInt(from + i), country: ['fr', 'de', 'jp'][(from + i) % 3], amount: from + i }));

for (const [name, fresh, skip] of [['s3', freshS3Url, S3_SKIP], ['azure', freshAzureUrl, AZURE_SKIP]] as const) {
  test(`${name}: SQL over delta('<url>') with partition pruning and time travel`, skip ? { skip } : {}, async () => {
    const url = await fresh();
    const table = await DeltaTable.create(url, { schema: { id: 'long', country: 'string', amount: 'double' }, partitionBy: ['country'] });
    await table.append(rows(0, 300));
    await table.append(rows(300, 300));
    const session = await SqlSession.open();
    try {
      const all = await session.query(`SELECT count(*) AS n, sum(amount) AS s FROM delta('${url}')`);
      assert.deepEqual(all.rows, [[600, (599 * 600) / 2]]);
      const fr = await session.query(`SELECT count(*) AS n FROM delta('${url}') WHERE country = 'fr'`);
      assert.deepEqual(fr.rows, [[200]]);
      assert.equal(fr.scans[0].filesTotal, 6);
      assert.equal(fr.scans[0].filesRead, 2, 'only the fr files are copied and scanned');
      const old = await session.query(`SELECT count(*) AS n FROM delta('${url}', version => 1)`);
      assert.deepEqual(old.rows, [[300]]);
    } finally {
      session.close();
    }
  });
}
