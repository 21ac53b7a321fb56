import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConfigError } from '../../model/index.ts';
import { csvFormat } from './csv-format.ts';
import { csvSource } from './csv-source.ts';
import { commitFiles, finalShardPath, TempFileWriter, tempDirFor } from './file-sink.ts';

test('csvFormat: header, quoting only when needed, value rendering', () => {
  const f = csvFormat({ columns: ['name', 'n', 'at', 'tags'] });
  assert.equal(f.header(), 'name,n,at,tags\n');
  assert.equal(f.encode({ name: 'plain', n: 1.5, at: new Date(0), tags: ['a'] }), 'plain,1.5,1970-01-01T00:00:00.000Z,"[""a""]"\n');
  assert.equal(f.encode({ name: 'a, "b"\nc', n: null }), '"a, ""b""\nc",,,\n');
  assert.equal(f.encode({ name: ' padded ', n: true }), '" padded ",true,,\n');
  assert.equal(csvFormat({ delimiter: '\t', lineEnding: '\r\n' }).encode(['a\tb', 'c']), '"a\tb"\tc\r\n');
  assert.equal(csvFormat().header(), '');
  assert.throws(() => csvFormat({ header: true }), ConfigError);
  assert.throws(() => csvFormat().encode({ a: 1 }), ConfigError);
});

test('csvFormat → csvSource round trip with awkward values (property)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'riffle-csv-rt-'));
  const awkward = fc.string({ unit: fc.constantFrom('a', 'Z', ',', '"', '\n', '\r\n', ' ', 'é', '😀', '中', ';', "'") });
  let run = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(fc.record({ name: awkward, note: awkward, n: fc.integer() }), { maxLength: 30 }), fc.boolean(), async (rows, crlf) => {
      const prefix = join(dir, `r${run++}`, 'part');
      const w = await TempFileWriter.open(tempDirFor(prefix, 'j'), csvFormat({ columns: ['name', 'note', 'n'], lineEnding: crlf ? '\r\n' : '\n' }), 'gzip');
      w.write(rows);
      const { tempPath } = await w.close();
      const finalPath = finalShardPath({ prefix, shardIndex: 0, numShards: 1 }, 'csv', 'gzip');
      await commitFiles([{ tempPath, finalPath }]);
      const values: unknown[] = [];
      for await (const b of csvSource(finalPath, { columns: { n: 'integer' }, skipEmptyLines: false }).read()) {
        assert.deepEqual(b.errors ?? [], []);
        values.push(...b.values);
      }
      assert.deepEqual(values, rows.map((r) => ({ ...r }))); // fast-check records have a null prototype
    }),
    { numRuns: 100 },
  );
});
