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

test('csvSource: recovery rule: an unterminated quote on line 153 of 301 costs that line only; the next line is a new record', async () => {
  const lines = ['id,name,amount'];
  for (let i = 1; i <= 300; i++) lines.push(i === 152 ? `${i},"broken,${i}` : `${i},name ${i},${i}`);
  const path = await csvFile(`${lines.join('\n')}\n`);
  const { values, errors } = await readAll(csvSource(path));
  assert.equal(values.length, 299);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.origin?.line, 153);
  assert.equal(errors[0]!.element, '152,"broken,152');
  assert.match(errors[0]!.error, /^line 153: unterminated quoted value/);
  assert.deepEqual(values[151], { id: '153', name: 'name 153', amount: '153' });
  // A quote that closes on a later line into a record of the wrong width is unterminated too (not a 3-line error).
  const path2 = await csvFile('a,b\n1,"x\n2,3\n4,"y"\n5,6\n');
  const r2 = await readAll(csvSource(path2));
  assert.deepEqual(r2.values, [{ a: '2', b: '3' }, { a: '4', b: 'y' }, { a: '5', b: '6' }]);
  assert.deepEqual(r2.errors.map((e) => e.origin?.line), [2]);
  // A legitimate multi-line value of the right width is one record.
  const r3 = await readAll(csvSource(await csvFile('a,b\n1,"x\ny"\n2,3\n')));
  assert.deepEqual(r3.values, [{ a: '1', b: 'x\ny' }, { a: '2', b: '3' }]);
});

test('csvSource: bare CR line ends (detected per file): the header does not swallow the first record', async () => {
  const { values, errors } = await readAll(csvSource(await csvFile('a,b\r1,"x\ry"\r2,3\r')));
  assert.deepEqual(errors, []);
  assert.deepEqual(values, [{ a: '1', b: 'x\ry' }, { a: '2', b: '3' }]);
});

test('csvSource: invalid UTF-8 goes to the errors with the bytes in base64 (or U+FFFD by option); gzip corruption is one error', async () => {
  const bad = Buffer.concat([Buffer.from('a,b\n1,ok\n2,'), Buffer.from([0xff, 0x41]), Buffer.from('\n3,fine\n')]);
  const path = await csvFile(bad);
  const { values, errors } = await readAll(csvSource(path));
  assert.deepEqual(values, [{ a: '1', b: 'ok' }, { a: '3', b: 'fine' }]);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.origin?.line, 3);
  assert.equal(errors[0]!.origin?.rawEncoding, 'base64');
  assert.deepEqual(Buffer.from(errors[0]!.element, 'base64'), Buffer.concat([Buffer.from('2,'), Buffer.from([0xff, 0x41])]));
  assert.match(errors[0]!.error, /^line 3: invalid UTF-8/);
  const replaced = await readAll(csvSource(path, { invalidUtf8: 'replace' }));
  assert.deepEqual(replaced.values[1], { a: '2', b: '\uFFFDA' });
  const text = Array.from({ length: 5000 }, (_, i) => `${i},v${i}`).join('\n');
  const gz = gzipSync(`a,b\n${text}\n`);
  const truncated = await readAll(csvSource(await csvFile(gz.subarray(0, gz.length - 40), 'cut.csv.gz')));
  assert.equal(truncated.errors.length, 1);
  assert.match(truncated.errors[0]!.error, /corrupt gzip data after \d+ compressed bytes/);
  assert.equal(typeof truncated.errors[0]!.origin?.byteOffset, 'number');
  assert.ok(truncated.values.length > 4000 && truncated.values.length < 5000);
});

test('csvSource: a record over maxRecordBytes is an error with an excerpt, the read goes on', async () => {
  const path = await csvFile(`a,b\n1,${'x'.repeat(10_000)}\n2,"${'y\n'.repeat(3000)}"\n3,z\n`);
  const { values, errors } = await readAll(csvSource(path, { maxRecordBytes: 1000 }));
  assert.deepEqual(values.map((v) => (v as Record<string, string>).a), ['3']);
  assert.equal(errors[0]!.origin?.line, 2);
  assert.match(errors[0]!.error, /longer than the limit of 1000 bytes/);
  assert.ok(errors[0]!.element.length <= 1024);
  assert.match(errors[1]!.error, /^line 3: unterminated quoted value \(no closing " within 1000 characters\)/);
});

test('csvSource: empty files, header-only files and missing declared columns are warnings on the source', async () => {
  const empty = await csvFile('');
  const headerOnly = await csvFile('a,b\n');
  const missing = await csvFile('a\n1\n');
  const source = csvSource([empty, headerOnly, missing], { columns: { b: 'number' } }) as BoundedSource<unknown> & { warnings(): readonly { kind: string }[] };
  await readAll(source);
  assert.deepEqual(source.warnings().map((w) => w.kind), ['empty-file', 'header-only', 'missing-column']);
});
