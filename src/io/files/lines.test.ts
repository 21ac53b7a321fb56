import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { alignToLineStart, countLinesBefore, readLines } from './lines.ts';
import type { ReadLinesOptions } from './lines.ts';

const dir = await mkdtemp(join(tmpdir(), 'riffle-lines-'));
let seq = 0;
async function file(content: string | Buffer, name = `f${seq++}.txt`): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}
async function all(path: string, opts?: ReadLinesOptions): Promise<Array<[number, string]>> {
  const out: Array<[number, string]> = [];
  for await (const b of readLines(path, opts)) b.lines.forEach((l, i) => out.push([b.firstLine + i, l]));
  return out;
}

test('readLines: LF, CRLF, empty lines, a last line without newline, BOM stripped', async () => {
  const path = await file('\uFEFFa\r\nb\n\nc\r\nd');
  assert.deepEqual(await all(path), [[1, 'a'], [2, 'b'], [3, ''], [4, 'c'], [5, 'd']]);
  assert.deepEqual(await all(await file('x\n')), [[1, 'x']]);
  assert.deepEqual(await all(await file('')), []);
  assert.deepEqual((await all(await file('a\r\nb'), { keepCarriageReturn: true })).map((x) => x[1]), ['a\r', 'b']);
});

test('readLines: batches, tiny chunks splitting multi-byte characters and CRLF', async () => {
  const lines = Array.from({ length: 1000 }, (_, i) => `line ${i} é€😀`);
  const path = await file(lines.join('\r\n'));
  const got: string[] = [];
  let batches = 0;
  for await (const b of readLines(path, { batchSize: 7, chunkSize: 5 })) {
    assert.ok(b.lines.length <= 7);
    assert.equal(b.firstLine, got.length + 1);
    got.push(...b.lines);
    batches++;
  }
  assert.deepEqual(got, lines);
  assert.equal(batches, Math.ceil(1000 / 7));
});

test('readLines: gzip by extension and by magic bytes', async () => {
  const content = '\uFEFFone\ntwo\r\nthree';
  const expected = [[1, 'one'], [2, 'two'], [3, 'three']];
  assert.deepEqual(await all(await file(gzipSync(content), 'a.txt.gz')), expected);
  assert.deepEqual(await all(await file(gzipSync(content), 'a-no-ext')), expected);
  // Concatenated gzip members read as one stream.
  assert.deepEqual(await all(await file(Buffer.concat([gzipSync('a\n'), gzipSync('b\n')]), 'multi.gz')), [[1, 'a'], [2, 'b']]);
  await assert.rejects(all(await file(Buffer.from([0x1f, 0x8b, 1, 2, 3]), 'bad.gz')));
});

test('readLines: byte ranges read the lines beginning in them', async () => {
  const path = await file('aa\nbb\ncc\n'); // line starts at 0, 3, 6
  assert.deepEqual(await alignToLineStart(path, 3), 3);
  assert.deepEqual(await alignToLineStart(path, 4), 6);
  assert.deepEqual(await alignToLineStart(path, 8), 9);
  assert.deepEqual((await all(path, { start: 0, end: 3 })).map((x) => x[1]), ['aa']);
  assert.deepEqual((await all(path, { start: 1, end: 4 })).map((x) => x[1]), ['bb']);
  assert.deepEqual((await all(path, { start: 4, end: 5 })).map((x) => x[1]), []);
  assert.deepEqual((await all(path, { start: 4, end: 100 })).map((x) => x[1]), ['cc']);
  assert.equal(await countLinesBefore(path, 6), 2);
});

test('readLines: honors an abort signal', async () => {
  const path = await file('a\n'.repeat(10_000));
  const ac = new AbortController();
  let n = 0;
  await assert.rejects(async () => {
    for await (const b of readLines(path, { batchSize: 100, signal: ac.signal })) {
      n += b.lines.length;
      if (n >= 300) ac.abort();
    }
  }, { name: 'AbortError' });
  assert.equal(n, 300);
});
