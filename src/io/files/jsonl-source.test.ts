import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { BoundedSource, ErrorRecord } from '../../model/index.ts';
import { jsonlSource } from './jsonl-source.ts';

const dir = await mkdtemp(join(tmpdir(), 'riffle-jsonl-'));
async function readAll<T>(source: BoundedSource<T>): Promise<{ values: T[]; errors: ErrorRecord<string>[] }> {
  const values: T[] = [];
  const errors: ErrorRecord<string>[] = [];
  for await (const b of source.read()) {
    values.push(...b.values);
    errors.push(...(b.errors ?? []));
  }
  return { values, errors };
}

test('jsonlSource: values, blank lines skipped, bad JSON and parse errors with line numbers and raw text', async () => {
  const path = join(dir, 'a.jsonl');
  await writeFile(path, '{"n":1}\r\n\n{"n":2\n"str"\n{"n":-1}\n{"n":3}');
  const source = jsonlSource(path, {
    parse: (o) => {
      const n = (o as { n?: unknown }).n;
      if (typeof n !== 'number' || n < 0) throw new Error(`n must be a non-negative number, got ${JSON.stringify(n)}`);
      return n;
    },
  });
  const { values, errors } = await readAll(source);
  assert.deepEqual(values, [1, 3]);
  assert.deepEqual(errors.map((e) => [e.origin?.line, e.element]), [[3, '{"n":2'], [4, '"str"'], [5, '{"n":-1}']]);
  assert.match(errors[0].error, /^line 3: invalid JSON: /);
  assert.equal(errors[1].error, 'line 4: n must be a non-negative number, got undefined');
  assert.equal(errors[0].step, source.describe());
  const gz = join(dir, 'b.jsonl.gz');
  await writeFile(gz, gzipSync('[1]\n[2]\n'));
  assert.deepEqual((await readAll(jsonlSource<number[]>(gz))).values, [[1], [2]]);
});

test('jsonlSource: splits keep file line numbers in errors', async () => {
  const path = join(dir, 'c.jsonl');
  const lines = Array.from({ length: 200 }, (_, i) => (i % 37 === 5 ? `bad ${i + 1}` : JSON.stringify({ i: i + 1 })));
  await writeFile(path, `${lines.join('\n')}\n`);
  const parts = await jsonlSource(path).split(300);
  assert.ok(parts.length > 5);
  const all = await Promise.all(parts.map(readAll));
  assert.deepEqual(all.flatMap((r) => r.values), lines.filter((l) => !l.startsWith('bad')).map((l) => JSON.parse(l)));
  const errors = all.flatMap((r) => r.errors);
  assert.deepEqual(errors.map((e) => e.origin?.line), lines.flatMap((l, i) => (l.startsWith('bad') ? [i + 1] : [])));
  for (const e of errors) assert.equal(e.element, `bad ${e.origin?.line}`);
});

test('jsonlSource: limits at the reader: nesting deeper than maxDepth and lines over maxRecordBytes go to the errors', async () => {
  const deep = `${'['.repeat(1500)}${']'.repeat(1500)}`;
  const path = join(dir, `limits-${Date.now()}.jsonl`);
  await writeFile(path, `{"a":1}\n${deep}\n{"s":"${'['.repeat(2000)}"}\n${JSON.stringify({ big: 'x'.repeat(5000) })}\n{"b":2}\n`);
  const { values, errors } = await readAll(jsonlSource(path, { maxRecordBytes: 4096 }));
  assert.deepEqual(values, [{ a: 1 }, { s: '['.repeat(2000) }, { b: 2 }]);
  assert.deepEqual(errors.map((e) => e.origin?.line), [2, 4]);
  assert.match(errors[0]!.error, /^line 2: nested deeper than 1000 levels/);
  assert.ok(errors[0]!.element.length <= 64 * 1024 + 40);
  assert.match(errors[1]!.error, /^line 4: line longer than the limit of 4096 bytes/);
  const shallow = await readAll(jsonlSource(path, { maxDepth: 10_000, maxRecordBytes: 1 << 20 }));
  assert.equal(shallow.values.length, 5);
});
