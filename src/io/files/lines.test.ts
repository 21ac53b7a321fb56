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

async function withErrors(path: string, opts?: ReadLinesOptions): Promise<Array<[number, string]>> {
  const out: Array<[number, string]> = [];
  for await (const b of readLines(path, opts)) {
    b.lines.forEach((l, i) => out.push([b.firstLine + i, l]));
    if (b.error) out.push([b.firstLine + b.lines.length, `ERROR ${b.error.reason.split(' ')[0]} ${b.error.raw}`]);
  }
  return out;
}

test('readLines: bare CR line endings are detected per file (the header does not swallow the first record)', async () => {
  assert.deepEqual(await all(await file('a,b\r1,2\r3,4\r')), [[1, 'a,b'], [2, '1,2'], [3, '3,4']]);
  assert.deepEqual(await all(await file('a\rb')), [[1, 'a'], [2, 'b']]);
  // Tiny chunks: a CR at a chunk's end cannot tell CR from CRLF until the next chunk.
  for (const chunkSize of [1, 2, 3]) {
    assert.deepEqual(await all(await file('\uFEFFab\rcd\r\ref'), { chunkSize }), [[1, 'ab'], [2, 'cd'], [3, ''], [4, 'ef']]);
    assert.deepEqual(await all(await file('ab\r\ncd\r\n'), { chunkSize }), [[1, 'ab'], [2, 'cd']]);
  }
  // Byte ranges of a CR file align on CRs.
  const path = await file('aa\rbb\rcc\r');
  assert.equal(await alignToLineStart(path, 4), 6);
  assert.deepEqual((await all(path, { start: 1, end: 4 })).map((x) => x[1]), ['bb']);
  assert.equal(await countLinesBefore(path, 6), 2);
  assert.equal((await readLines(path).next()).value?.terminator, '\r');
});

test('readLines: invalid UTF-8 is an error with the bytes in base64 (or U+FFFD on request), the next lines go on', async () => {
  const bytes = Buffer.concat([Buffer.from('ok\nbad '), Buffer.from([0xff, 0xfe]), Buffer.from('\nlast é\n')]);
  for (const chunkSize of [1, 4, 1024]) {
    const got = await withErrors(await file(bytes), { chunkSize });
    assert.deepEqual(got, [[1, 'ok'], [2, `ERROR invalid ${Buffer.from([0x62, 0x61, 0x64, 0x20, 0xff, 0xfe]).toString('base64')}`], [3, 'last é']]);
  }
  assert.deepEqual(await all(await file(bytes), { invalidUtf8: 'replace' }), [[1, 'ok'], [2, 'bad \uFFFD\uFFFD'], [3, 'last é']]);
});

test('readLines: a line over maxLineBytes is skipped in bounded memory and reported with an excerpt', async () => {
  const long = 'x'.repeat(5000);
  for (const chunkSize of [7, 100, 1 << 16]) {
    const got = await withErrors(await file(`a\n${long}\nb\n${long}`), { maxLineBytes: 1000, chunkSize });
    assert.deepEqual(got.map(([n, l]) => [n, l.slice(0, 10)]), [[1, 'a'], [2, 'ERROR line'], [3, 'b'], [4, 'ERROR line']]);
    assert.ok(got[1]![1].length < 1100);
  }
  // Exactly the limit passes (CRLF's CR does not count).
  assert.deepEqual(await all(await file(`${'y'.repeat(10)}\r\nz`), { maxLineBytes: 10, chunkSize: 3 }), [[1, 'y'.repeat(10)], [2, 'z']]);
});

test('readLines: a corrupt or truncated gzip stream is one error after the lines read so far, never a zlib stack', async () => {
  const good = gzipSync(Array.from({ length: 2000 }, (_, i) => `line ${i}`).join('\n'));
  const truncated = good.subarray(0, Math.floor(good.length / 2));
  const got = await withErrors(await file(truncated, 'trunc.gz'), { chunkSize: 512 });
  const last = got.at(-1)!;
  assert.match(last[1], /^ERROR corrupt/);
  assert.equal(got.length - 1, last[0] - 1); // every line before the error is a line
  const garbage = await withErrors(await file(Buffer.from([0x1f, 0x8b, 1, 2, 3]), 'bad.gz'));
  assert.equal(garbage.length, 1);
  assert.match(garbage[0]![1], /^ERROR corrupt/);
});
