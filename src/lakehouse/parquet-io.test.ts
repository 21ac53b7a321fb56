import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parquetMetadata } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import { compressorsFor, readParquet, writeParquet } from './parquet-io.ts';
import type { SchemaField } from './schema.ts';

const fields: SchemaField[] = [{ name: 'id', type: 'long', nullable: true, metadata: {} }, { name: 's', type: 'string', nullable: true, metadata: {} }];

test('snappy files need no extra decompressor; other codecs load hyparquet-compressors and decode', async () => {
  const snappy = await writeParquet(fields, [[1n, 2n], ['a', null]]);
  const meta = (b: Uint8Array) => parquetMetadata(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
  assert.equal(await compressorsFor(meta(snappy)), undefined);
  // A GZIP file (another engine's choice), written with node's zlib as hyparquet-writer's compressor.
  const gzip = new Uint8Array(parquetWriteBuffer({
    schema: [{ name: 'schema', num_children: 2 }, { name: 'id', repetition_type: 'OPTIONAL', type: 'INT64' }, { name: 's', repetition_type: 'OPTIONAL', type: 'BYTE_ARRAY', converted_type: 'UTF8' }],
    columnData: [{ name: 'id', data: [7n, null, 9n] }, { name: 's', data: ['x', 'y', null] }],
    codec: 'GZIP', compressors: { GZIP: (bytes: Uint8Array) => new Uint8Array(gzipSync(bytes)) },
  }));
  assert.ok(meta(gzip).row_groups[0].columns.every((c) => c.meta_data?.codec === 'GZIP'));
  const compressors = await compressorsFor(meta(gzip));
  assert.ok(compressors && typeof compressors.ZSTD === 'function' && typeof compressors.GZIP === 'function');
  assert.deepEqual(await readParquet(gzip, fields), [{ id: 7n, s: 'x' }, { id: null, s: 'y' }, { id: 9n, s: null }]);
});
