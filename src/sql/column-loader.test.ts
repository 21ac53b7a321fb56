// Typed columns and Arrow batches into DuckDB by data chunks (column-loader.ts): values, nulls from validity
// bitmaps and from null strings, dictionary strings, decimals and timestamps arrive exactly; results come back typed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import * as A from 'apache-arrow';
import { loadBatches, loadColumns, readColumns } from './column-loader.ts';

async function connect() {
  return (await DuckDBInstance.create(':memory:')).connect();
}

test('typed columns load by chunks: numbers, validity bitmaps, strings and dictionary strings, past one chunk', async () => {
  const conn = await connect();
  const n = 5000; // more than one 2048-row chunk
  const ids = BigInt64Array.from({ length: n }, (_, i) => BigInt(i));
  const amounts = Float64Array.from({ length: n }, (_, i) => i / 4);
  const validity = new Uint8Array(Math.ceil(n / 8)).fill(0xff);
  for (let i = 0; i < n; i += 3) validity[i >> 3] &= ~(1 << (i & 7)); // every third amount null
  const names = Array.from({ length: n }, (_, i) => (i % 10 === 0 ? null : `n${i}`));
  const country = { indices: Int32Array.from({ length: n }, (_, i) => i % 3), dictionary: ['fr', 'de', null] };
  await loadColumns(conn, 't', [
    { name: 'id', type: 'BIGINT', values: ids }, { name: 'amount', type: 'DOUBLE', values: amounts, validity },
    { name: 'name', type: 'VARCHAR', values: names }, { name: 'country', type: 'VARCHAR', values: country },
    { name: 'total', type: 'DECIMAL(12,2)', values: BigInt64Array.from({ length: n }, (_, i) => BigInt(i * 101)) },
  ], n);
  const r = await conn.runAndReadAll(`SELECT count(*), count(amount), sum(amount), count(name), count(country), sum(CASE WHEN country = 'de' THEN 1 ELSE 0 END),
    sum(total)::VARCHAR, max(id) FROM t`);
  let expectSum = 0;
  for (let i = 0; i < n; i++) if (i % 3 !== 0) expectSum += i / 4;
  assert.deepEqual(r.getRowsJS()[0], [5000n, 3333n, expectSum, 4500n, 3334n, 1667n, String((101 * n * (n - 1)) / 2 / 100) + '.00', 4999n]);
  const back: bigint[] = [];
  for await (const b of readColumns(conn, 'SELECT id FROM t WHERE id % 1000 = 0 ORDER BY id')) back.push(...(b.columns[0] as BigInt64Array));
  assert.deepEqual(back, [0n, 1000n, 2000n, 3000n, 4000n]);
  await assert.rejects(loadColumns(conn, 'u', [{ name: 'x', type: 'DOUBLE', values: ['a'] }], 1), /expected a typed array/);
});

test('Arrow record batches load as they are: Int64, Float64 with nulls, Utf8, dictionaries, timestamps, Decimal128', async () => {
  const conn = await connect();
  const batch = (start: number) => {
    const n = 3;
    const ts = A.makeData({ type: new A.TimestampMicrosecond('UTC'), length: n, data: BigInt64Array.from([1n, 2n, 3n], (x) => x + BigInt(start) * 1_000_000n) });
    const dec = A.makeData({ type: new A.Decimal(2, 10, 128), length: n, data: new Uint32Array(new BigInt64Array([150n, 0n, -1n, -1n, 7n, 0n]).buffer) });
    const table = new A.Table({
      id: A.vectorFromArray([start, start + 1, start + 2].map(BigInt), new A.Int64()),
      amount: A.vectorFromArray([1.5, null, 2.5], new A.Float64()),
      s: A.vectorFromArray(['é', null, 'x'], new A.Utf8()),
      c: A.vectorFromArray(['fr', 'fr', null], new A.Dictionary(new A.Utf8(), new A.Int32())),
      ts: A.makeVector(ts), d: A.makeVector(dec),
    });
    return table.batches[0];
  };
  assert.equal(await loadBatches(conn, 'b', [batch(0), batch(10)]), 6);
  const r = await conn.runAndReadAll(`SELECT id, amount, s, c, epoch_us(ts), d::VARCHAR FROM b ORDER BY id`);
  assert.deepEqual(r.getRowsJS(), [
    [0n, 1.5, 'é', 'fr', 1n, '1.50'], [1n, null, null, 'fr', 2n, '-0.01'], [2n, 2.5, 'x', null, 3n, '0.07'],
    [10n, 1.5, 'é', 'fr', 10000001n, '1.50'], [11n, null, null, 'fr', 10000002n, '-0.01'], [12n, 2.5, 'x', null, 10000003n, '0.07'],
  ]);
});

test('sliced record batches load their own rows (apache-arrow views values from the slice, bitmaps from its offset)', async () => {
  const conn = await connect();
  const n = 12;
  const ids = Array.from({ length: n }, (_, i) => i);
  const dec = A.makeData({ type: new A.Decimal(2, 10, 128), length: n, data: new Uint32Array(BigInt64Array.from(ids.flatMap((i) => [BigInt(i * 100 + 1), 0n])).buffer) });
  const table = new A.Table({
    id: A.vectorFromArray(ids.map(BigInt), new A.Int64()),
    amount: A.vectorFromArray(ids.map((i) => (i % 3 === 0 ? null : i + 0.5)), new A.Float64()),
    s: A.vectorFromArray(ids.map((i) => (i % 4 === 1 ? null : `s${i}`)), new A.Utf8()),
    c: A.vectorFromArray(ids.map((i) => ['fr', 'de', null][i % 3]), new A.Dictionary(new A.Utf8(), new A.Int32())),
    b: A.vectorFromArray(ids.map((i) => (i % 5 === 0 ? null : i % 2 === 0)), new A.Bool()),
    d: A.makeVector(dec),
  });
  const whole = table.batches[0];
  // Offsets 3 and 5 are not multiples of 8: the bitmaps are read bit by bit.
  assert.equal(await loadBatches(conn, 'sliced', [whole.slice(3, 8), whole.slice(8, 12), whole.slice(0, 3)]), n);
  const r = await conn.runAndReadAll(`SELECT id, amount, s, c, b, d::VARCHAR FROM sliced ORDER BY id`);
  assert.deepEqual(
    r.getRowsJS(),
    ids.map((i) => [BigInt(i), i % 3 === 0 ? null : i + 0.5, i % 4 === 1 ? null : `s${i}`, ['fr', 'de', null][i % 3], i % 5 === 0 ? null : i % 2 === 0, (i + 0.01).toFixed(2)]),
  );
});
