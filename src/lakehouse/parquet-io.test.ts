import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parquetMetadata } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { compressorsFor, readRowGroups, writeCompressors, writeParquet } from './parquet-io.ts';
import type { SchemaField } from './schema.ts';

const fields: SchemaField[] = [{ name: 'id', type: 'long', nullable: true, metadata: {} }, { name: 's', type: 'string', nullable: true, metadata: {} }];

test('snappy files decode with the native snappy alone; other codecs load hyparquet-compressors and decode', async () => {
  const snappy = await writeParquet(fields, [[1n, 2n], ['a', null]]);
  const meta = (b: Uint8Array) => parquetMetadata(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
  assert.deepEqual(Object.keys(await compressorsFor(meta(snappy)) ?? {}), ['SNAPPY'], 'the native snappy, not hyparquet-compressors');
  // A GZIP file (another engine's choice), written with node's zlib as hyparquet-writer's compressor.
  const gzip = new Uint8Array(parquetWriteBuffer({
    schema: [{ name: 'schema', num_children: 2 }, { name: 'id', repetition_type: 'OPTIONAL', type: 'INT64' }, { name: 's', repetition_type: 'OPTIONAL', type: 'BYTE_ARRAY', converted_type: 'UTF8' }],
    columnData: [{ name: 'id', data: [7n, null, 9n] }, { name: 's', data: ['x', 'y', null] }],
    codec: 'GZIP', compressors: { GZIP: (bytes: Uint8Array) => new Uint8Array(gzipSync(bytes)) },
  }));
  assert.ok(meta(gzip).row_groups[0].columns.every((c) => c.meta_data?.codec === 'GZIP'));
  const compressors = await compressorsFor(meta(gzip));
  assert.ok(compressors && typeof compressors.ZSTD === 'function' && typeof compressors.GZIP === 'function');
  const path = join(mkdtempSync(join(tmpdir(), 'riffle-parquet-io-')), 'gzip.parquet');
  writeFileSync(path, gzip);
  assert.deepEqual(await readColumns(path), [[7n, null, 9n], ['x', 'y', null]]);
});

async function readColumns(path: string, which: readonly SchemaField[] = fields): Promise<unknown[][]> {
  const out: unknown[][] = which.map(() => []);
  for await (const group of readRowGroups(path, which)) {
    group.columns.forEach((c, i) => { for (let r = 0; r < group.numRows; r++) out[i].push(c?.[r] ?? null); });
  }
  return out;
}

test('data files are snappy (native compressor when it loads), read back one row group at a time, absent columns as null', async () => {
  assert.equal(typeof (await writeCompressors()).SNAPPY, 'function', 'the snappy package loads on this platform');
  const ids = Array.from({ length: 300_000 }, (_x, i) => (i % 11 === 0 ? null : BigInt(i) * 3n));
  const texts = Array.from({ length: 300_000 }, (_x, i) => `row-${i % 1000}`);
  const bytes = await writeParquet(fields, [ids, texts]);
  const meta = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  assert.ok(meta.row_groups.length > 1 && meta.row_groups.every((g) => g.columns.every((c) => c.meta_data?.codec === 'SNAPPY')));
  const path = join(mkdtempSync(join(tmpdir(), 'riffle-parquet-io-')), 'snappy.parquet');
  writeFileSync(path, bytes);
  const added: SchemaField = { name: 'later', type: 'double', nullable: true, metadata: {} };
  const [gotIds, gotTexts, gotLater] = await readColumns(path, [...fields, added]);
  assert.deepEqual(gotIds, ids);
  assert.deepEqual(gotTexts, texts);
  assert.equal(gotLater.length, 300_000);
  assert.ok(gotLater.every((v) => v === null));
});
