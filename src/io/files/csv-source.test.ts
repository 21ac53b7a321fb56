import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { BoundedSource, ErrorRecord } from '../../model/index.ts';
import { ConfigError } from '../../model/index.ts';
import type { CsvValue } from './csv-columns.ts';
import { csvSource } from './csv-source.ts';

const dir = await mkdtemp(join(tmpdir(), 'riffle-csv-'));
let seq = 0;
async function csvFile(content: string | Buffer, name = `f${seq++}.csv`): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}
async function readAll<T>(source: BoundedSource<T>): Promise<{ values: T[]; errors: ErrorRecord<string>[] }> {
  const values: T[] = [];
  const errors: ErrorRecord<string>[] = [];
  for await (const b of source.read()) {
    values.push(...b.values);
    errors.push(...(b.errors ?? []));
  }
  return { values, errors };
}
type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
function expectType<_T extends true>(): void {}

test('csvSource: header line, RFC 4180 quoting, quoted newlines, CRLF, BOM, empty lines skipped', async () => {
  const path = await csvFile('\uFEFFname,note\r\n"a, b","say ""hi"""\r\n\r\n"multi\r\nline",x\r\nplain,"  "\r\n');
  const { values, errors } = await readAll(csvSource(path));
  assert.deepEqual(errors, []);
  assert.deepEqual(values, [
    { name: 'a, b', note: 'say "hi"' },
    { name: 'multi\r\nline', note: 'x' },
    { name: 'plain', note: '  ' },
  ]);
});

test('csvSource: given column names, no header; arrays without header; delimiter and quote options', async () => {
  const path = await csvFile("1;'a;b'\n2;'it''s'\n");
  const named = await readAll(csvSource(path, { header: ['id', 'text'], delimiter: ';', quote: "'" }));
  assert.deepEqual(named.values, [{ id: '1', text: 'a;b' }, { id: '2', text: "it's" }]);
  const arrays = await readAll(csvSource(path, { header: false, delimiter: ';', quote: "'" }));
  assert.deepEqual(arrays.values, [['1', 'a;b'], ['2', "it's"]]);
  const keepEmpty = await readAll(csvSource(await csvFile('a\n\nb\n'), { header: false, skipEmptyLines: false }));
  assert.deepEqual(keepEmpty.values, [['a'], [''], ['b']]);
});

test('csvSource: typed columns, nullable columns, precise types', async () => {
  const path = await csvFile(
    'name,revenue,count,active,at,note\n' +
      'x,1.5,3,true,2024-01-01T00:00:00Z,\n' +
      'y,-2e3, 4 ,no,2024-01-01T01:00:00+01:00,hi\n',
  );
  const source = csvSource(path, { columns: { revenue: 'number', count: 'integer', active: 'boolean', at: 'date', note: 'string?' } });
  const { values, errors } = await readAll(source);
  assert.deepEqual(errors, []);
  const t = Date.UTC(2024, 0, 1);
  assert.deepEqual(values, [
    { name: 'x', revenue: 1.5, count: 3, active: true, at: t, note: null },
    { name: 'y', revenue: -2000, count: 4, active: false, at: t, note: 'hi' },
  ]);
  type Row = (typeof values)[number];
  expectType<Equal<Row['revenue'], number>>();
  expectType<Equal<Row['active'], boolean>>();
  expectType<Equal<Row['note'], string | null>>();
  const _name: CsvValue = values[0].name; // undeclared columns: any CSV value
  const _named = csvSource(path, { header: ['a', 'b'], columns: { b: 'integer?' } });
  expectType<Equal<typeof _named, BoundedSource<{ a: string; b: number | null }>>>();
  const _arrays = csvSource(path, { header: false });
  expectType<Equal<typeof _arrays, BoundedSource<string[]>>>();
  const _parsed = csvSource(path, { columns: { revenue: 'number' }, parse: (r) => ({ r: r.revenue * 2 }) });
  expectType<Equal<typeof _parsed, BoundedSource<{ r: number }>>>();
});

test('csvSource: every malformed record goes to errors with its line and raw text; good rows still come out', async () => {
  const content = [
    'name,revenue,at', //                        1
    'ok1,1,2024-01-01', //                       2
    'bad-number,abc,2024-01-01', //              3
    'bad-count,1', //                            4
    '"multi', //                                 5
    'line",oops,2024-01-01', //                  6
    'bad-date,2,2024-13-01', //                  7
    '"after"x,1,2024-01-01', //                  8
    'throws,99,2024-01-01', //                   9
    'ok2,2,2024-01-02', //                       10
    '"unterminated,3,2024-01-01', //             11
    'ok3,3,2024-01-03', //                       12
  ].join('\r\n');
  const path = await csvFile(content);
  const source = csvSource(path, {
    columns: { revenue: 'number', at: 'date' },
    parse: (row) => {
      if (row.revenue === 99) throw new Error('revenue 99 is reserved');
      return `${row.name}:${row.revenue}`;
    },
  });
  const { values, errors } = await readAll(source);
  assert.deepEqual(values, ['ok1:1', 'ok2:2', 'ok3:3']);
  assert.deepEqual(
    errors.map((e) => [e.origin?.line, e.error, e.element]),
    [
      [3, "line 3: column 'revenue': 'abc' is not a number", 'bad-number,abc,2024-01-01'],
      [4, 'line 4: expected 3 fields (as the header), got 2', 'bad-count,1'],
      [5, "line 5: column 'revenue': 'oops' is not a number", '"multi\r\nline",oops,2024-01-01'],
      [7, "line 7: column 'at': '2024-13-01' is not an ISO-8601 date", 'bad-date,2,2024-13-01'],
      [8, 'line 8: unexpected "x" after the closing quote of field 1', '"after"x,1,2024-01-01'],
      [9, 'line 9: revenue 99 is reserved', 'throws,99,2024-01-01'],
      [11, 'line 11: unterminated quoted value (no closing " before the end of the file)', '"unterminated,3,2024-01-01'],
    ],
  );
  for (const e of errors) {
    assert.equal(e.step, source.describe());
    assert.equal(e.origin?.file, path);
    assert.ok(!Number.isNaN(Date.parse(e.time)));
  }
});

test('csvSource: an unterminated quote costs one line once the record exceeds maxRecordLines', async () => {
  const path = await csvFile(['a', '"open', ...Array.from({ length: 10 }, (_, i) => `r${i}`)].join('\n'));
  const { values, errors } = await readAll(csvSource(path, { maxRecordLines: 3 }));
  assert.deepEqual(errors.map((e) => [e.origin?.line, e.element]), [[2, '"open']]);
  assert.deepEqual(values.map((v) => v.a), Array.from({ length: 10 }, (_, i) => `r${i}`));
});

test('csvSource: a bad header skips its file with one error; other files are read; gzip; one split per file', async () => {
  const bad = await csvFile('a,a\n1,2\n', 'h1.csv');
  const missing = await csvFile('a,b\n1,2\n', 'h2.csv');
  const good = await csvFile(gzipSync('b,c\n5,6\n'), 'h3.csv.gz');
  const source = csvSource([bad, missing, good], { columns: { c: 'integer' } });
  const { values, errors } = await readAll(source);
  assert.deepEqual(values, [{ b: '5', c: 6 }]);
  assert.deepEqual(errors.map((e) => e.error), [
    "line 1: the header names column 'a' twice; the file is skipped",
    "line 1: the header lacks the declared column 'c'; the file is skipped",
  ]);
  assert.equal((await source.split(1)).length, 3);
});

test('csvSource: invalid options are ConfigErrors', () => {
  assert.throws(() => csvSource('x.csv', { delimiter: ',,' }), ConfigError);
  assert.throws(() => csvSource('x.csv', { delimiter: '"' }), ConfigError);
  assert.throws(() => csvSource('x.csv', { header: false, columns: { a: 'number' } } as never), ConfigError);
  assert.throws(() => csvSource('x.csv', { columns: { a: 'float' } } as never), ConfigError);
  assert.throws(() => csvSource('x.csv', { header: ['a'], columns: { b: 'number' } } as never), ConfigError);
});
