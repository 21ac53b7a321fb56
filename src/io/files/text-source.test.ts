import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { BoundedSource } from '../../model/index.ts';
import { textSource } from './text-source.ts';

const dir = await mkdtemp(join(tmpdir(), 'riffle-text-'));

async function readAll<T>(source: BoundedSource<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const b of source.read()) out.push(...b.values);
  return out;
}

test('textSource: reads files in path order, gzip included; size and describe', async () => {
  await writeFile(join(dir, 'b.txt'), 'b1\nb2\n');
  await writeFile(join(dir, 'a.txt.gz'), gzipSync('a1\r\na2'));
  const source = textSource(join(dir, '*.txt*'));
  assert.equal(source.kind, 'bounded');
  assert.equal(source.describe(), `text(${join(dir, '*.txt*')})`);
  assert.deepEqual(await readAll(source), ['a1', 'a2', 'b1', 'b2']);
  assert.equal(await source.estimateSizeBytes(), gzipSync('a1\r\na2').length + 6);
  const parts = await source.split(1);
  assert.equal(parts.length, 1 + 6); // the gzip file is never split; b.txt in 1-byte ranges
  assert.deepEqual((await Promise.all(parts.map(readAll))).flat(), ['a1', 'a2', 'b1', 'b2']);
});

test('textSource: byte-range splits cover every line exactly once, in order (property)', async () => {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.string({ unit: fc.constantFrom('a', 'é', '😀', ' ', '\r', 'x') }), { maxLength: 40 }),
      fc.boolean(),
      fc.boolean(),
      fc.integer({ min: 1, max: 40 }),
      async (lines, crlf, finalNewline, bundle) => {
        // A '\r' inside a line would be taken as part of a CRLF ending when it is last: keep lines free of a trailing '\r'.
        const clean = lines.map((l) => l.replace(/\r+$/, ''));
        let content = clean.join(crlf ? '\r\n' : '\n');
        if (finalNewline && clean.length > 0) content += crlf ? '\r\n' : '\n';
        const path = join(dir, `prop-${n++}.txt`);
        await writeFile(path, content);
        const whole = await readAll(textSource(path));
        // Oracle: the file's first line end says its terminator: a bare '\r' (classic Mac) or '\n' (LF or CRLF). A line
        // ends at it (for '\n', a '\r' before it dropped); text after the last terminator, if any, is a last line.
        const firstEnd = content.search(/\r(?!\n)|\n/);
        const bareCr = firstEnd !== -1 && content[firstEnd] === '\r';
        const term = bareCr ? '\r' : '\n';
        const expected = content.split(term).map((l) => (bareCr ? l : l.replace(/\r$/, '')));
        if (content === '' || content.endsWith(term)) expected.pop();
        assert.deepEqual(whole, expected);
        const parts = await textSource(path).split(bundle);
        const fromParts = (await Promise.all(parts.map(readAll))).flat();
        assert.deepEqual(fromParts, whole);
        const sizes = await Promise.all(parts.map((p) => p.estimateSizeBytes()));
        assert.equal(sizes.reduce((a, b) => a + b, 0), Buffer.byteLength(content));
      },
    ),
    { numRuns: 150 },
  );
});

test('textSource: read honors an abort signal', async () => {
  await writeFile(join(dir, 'big.txt'), 'x\n'.repeat(50_000));
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(async () => {
    for await (const _ of textSource(join(dir, 'big.txt')).read(ac.signal)) assert.fail('read after abort');
  }, { name: 'AbortError' });
});
