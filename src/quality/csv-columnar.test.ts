import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { asset, scanAsset, type MalformedRecords } from './data-asset.ts';

test('columnar CSV: records straddling read chunks never leave values behind (wide rows, few records per chunk)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-columnar-'));
  try {
    const pad = 'p'.repeat(180);
    const lines = ['id,amount,note,flag'];
    for (let i = 0; i < 6000; i++) lines.push(`${i},${i % 100}.5,${i % 7 === 0 ? `"${pad}, quoted ${i}"` : `${pad}${i}`},${i % 2 === 0}`);
    const path = join(dir, 'wide.csv');
    writeFileSync(path, `${lines.join('\n')}\n`);
    for (const chunkSize of [4096, 1000, 1 << 20]) {
      const malformed: MalformedRecords = { count: 0, examples: [] };
      let rows = 0;
      const ids: unknown[] = [];
      let sum = 0;
      for await (const b of scanAsset(asset.file(path), { malformed, chunkSize })) {
        for (const column of b.data!) assert.equal(column.length, b.length, `chunk ${chunkSize}: every column has one value per row`);
        rows += b.length;
        for (let i = 0; i < b.length; i++) {
          ids.push(b.data![0]![i]);
          sum += b.data![1]![i] as number;
          assert.equal(b.data![3]![i], (b.data![0]![i] as number) % 2 === 0);
        }
      }
      assert.equal(malformed.count, 0);
      assert.equal(rows, 6000);
      assert.deepEqual(ids, Array.from({ length: 6000 }, (_, i) => i));
      assert.equal(sum, 60 * (99 * 100 / 2) + 6000 * 0.5);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('columnar CSV: an unterminated quote mid-file costs one line (the shared reader takes over), not the rest of the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-columnar-'));
  try {
    const lines = ['id,name,amount'];
    for (let i = 1; i <= 300; i++) lines.push(i === 152 ? `${i},"broken,${i}` : `${i},name ${i},${i}`);
    const path = join(dir, 'broken.csv');
    writeFileSync(path, `${lines.join('\n')}\n`);
    const malformed: MalformedRecords = { count: 0, examples: [] };
    const ids: unknown[] = [];
    for await (const b of scanAsset(asset.file(path), { malformed })) ids.push(...b.rows.map((r) => r.id));
    assert.equal(ids.length, 299);
    assert.equal(malformed.count, 1);
    assert.equal(malformed.examples[0]!.line, 153);
    assert.deepEqual(ids.slice(150, 152), [151, 153]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('quality CSV typing: NaN, N/A, null and inf in a score column read as missing and floats; 007 stays text', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-columnar-'));
  try {
    const path = join(dir, 'scores.csv');
    writeFileSync(path, 'score,zip,country\n1.5,007,FR\nNaN,01234,NA\nN/A,12345,US\nnull,00501,\ninf,99950,DE\n-Infinity,10001,IT\n');
    for (const gz of [false, true]) {
      const p = gz ? `${path}.gz` : path;
      if (gz) writeFileSync(p, (await import('node:zlib')).gzipSync(`score,zip,country\n1.5,007,FR\nNaN,01234,NA\nN/A,12345,US\nnull,00501,\ninf,99950,DE\n-Infinity,10001,IT\n`));
      const rows: Array<Record<string, unknown>> = [];
      for await (const b of scanAsset(asset.file(p))) rows.push(...b.rows);
      assert.deepEqual(rows.map((r) => r.score), [1.5, null, null, null, Infinity, -Infinity]);
      assert.deepEqual(rows.map((r) => r.zip), ['007', '01234', '12345', '00501', '99950', '10001']);
      assert.deepEqual(rows.map((r) => r.country), ['FR', null, 'US', null, 'DE', 'IT']);
      // Declared string keeps NA (Namibia) as written.
      const kept: Array<Record<string, unknown>> = [];
      for await (const b of scanAsset(asset.file(p, { columnKinds: { country: 'string' } }))) kept.push(...b.rows);
      assert.deepEqual(kept.map((r) => r.country), ['FR', 'NA', 'US', null, 'DE', 'IT']);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
