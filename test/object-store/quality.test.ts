// Quality over object-store URLs (moto S3 and Azurite): a CSV validated at an s3:// / az:// URL takes the columnar
// fast path (ranged GETs through io/files' input streams) and gives the result the same file gives locally — every
// expectation, the row count, the unexpected values — including a malformed record handed to the shared reader and
// records cut by the 8 MiB ranges of the object stream.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openObjectStore } from '../../src/object-store/index.ts';
import { asset, assetFromPath, expect, scanAsset, suite, validateAsset, type MalformedRecords } from '../../src/quality/index.ts';
import { AZURE_SKIP, freshAzureUrl, freshS3Url, S3_SKIP, useTierEnv } from './servers.ts';

useTierEnv();

const checks = suite('orders', [
  expect.tableRowCountToBeBetween({ min_value: 1 }),
  expect.columnValuesToNotBeNull('id'),
  expect.columnValuesToBeBetween('amount', { min_value: 0, max_value: 900 }),
  expect.columnValuesToBeInSet('status', ['new', 'paid']),
  expect.columnMeanToBeBetween('amount', { min_value: 0 }),
  expect.columnValuesToMatchRegex('email', '^u[0-9]+@x\\.org$'),
]);

/** About 9 MB: more than one ranged GET, with a malformed line in the middle and a few unexpected values. */
function orders(): string {
  const lines = ['id,amount,status,email'];
  for (let i = 0; i < 300_000; i++) {
    if (i === 150_000) lines.push('oops,"unterminated');
    lines.push(`${i},${i % 1000}.25,${i % 97 === 0 ? 'lost' : i % 2 ? 'new' : 'paid'},u${i % 5000}@x.org`);
  }
  return `${lines.join('\n')}\n`;
}

const comparable = (r: Awaited<ReturnType<typeof validateAsset>>) => ({
  success: r.success, rows: r.meta.row_count, results: r.results.map((x) => ({ type: x.expectation_config.expectation_type, success: x.success, result: x.result })),
});

for (const [name, fresh, skip] of [['s3', freshS3Url, S3_SKIP], ['azure', freshAzureUrl, AZURE_SKIP]] as const) {
  test(`${name}: a CSV validated at its URL gives the local file's result`, skip ? { skip } : {}, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'riffle-quality-store-'));
    try {
      const local = join(dir, 'orders.csv');
      writeFileSync(local, orders());
      const url = await fresh();
      await openObjectStore(url).put('raw/orders.csv', readFileSync(local));
      const there = `${url}/raw/orders.csv`;
      const expected = comparable(await validateAsset(asset.file(local), checks));
      assert.equal(expected.rows, 300_000);
      assert.deepEqual(comparable(await validateAsset(asset.file(there), checks)), expected);
      // A path given as on a command line or in a checkpoint file stays a URL.
      assert.equal((assetFromPath(there, '/somewhere') as { path: string }).path, there);
      const malformed: MalformedRecords = { count: 0, examples: [] };
      let rows = 0;
      for await (const b of scanAsset(asset.file(there), { malformed })) rows += b.length;
      assert.equal(rows, 300_000);
      assert.equal(malformed.count, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
