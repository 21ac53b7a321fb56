import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { assertThat, ConfigError, Pipeline, type BoundedSource, type PCollection, type ReadSpec } from '../../index.ts';
import { io } from '../../index.ts';
import type { CsvValue } from './csv-columns.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'riffle-read-'));

const SALES = ['country,revenue,at', 'FR,7,2024-01-01', 'US,x,2024-01-02', 'DE,3', '"BROKEN,1,2024-01-03'].join('\n') + '\n';

test('readCsv(...).withErrors(): typed rows in main, malformed rows in errors with their line and reason', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'sales.csv'), SALES);
  const p = Pipeline.create();
  const { main, errors } = p.apply(io.files.readCsv(join(dir, '*.csv'), { header: true, columns: { revenue: 'number', at: 'date' } }).withErrors());
  // The row type follows the declared columns.
  const typed: PCollection<{ revenue: number; at: number } & Record<string, CsvValue>> = main;
  assertThat(typed.map((r) => `${String(r.country)}:${r.revenue}:${r.at}`)).containsInAnyOrder([`FR:7:${Date.UTC(2024, 0, 1)}`]);
  assertThat(errors.map((e) => e.error)).satisfies((obs) => {
    const reasons = obs.map((o) => o.value).sort();
    assert.equal(reasons.length, 3);
    assert.match(reasons[0]!, /^line 3: column 'revenue': 'x' is not a number/);
    assert.match(reasons[1]!, /^line 4: expected 3 fields \(as the header\), got 2/);
    assert.match(reasons[2]!, /^line 5: .*quote/);
  });
  assertThat(errors.map((e) => e.step)).containsInAnyOrder(['ReadCsv', 'ReadCsv', 'ReadCsv']);
  const r = await p.run();
  assert.equal(r.state, 'DONE');
  assert.equal(r.deadLetters.length, 0);
  assert.ok(r.metrics.steps.some((s) => s.step === 'ReadCsv'));
});

test('readCsv without withErrors: malformed rows go to the dead letters and the job completes', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'sales.csv'), SALES);
  const p = Pipeline.create();
  const rows = p.apply(io.files.readCsv(join(dir, 'sales.csv'), { columns: { revenue: 'number' } }));
  assertThat(rows.map((r) => r.revenue)).containsInAnyOrder([7]);
  const r = await p.run();
  assert.equal(r.state, 'DONE');
  assert.equal(r.deadLetters.length, 3);
  assert.deepEqual(
    r.deadLetters.map((d) => d.error.slice(0, 7)),
    ['line 3:', 'line 4:', 'line 5:'],
  );
  assert.equal(r.deadLetters[0]!.element, 'US,x,2024-01-02');
});

test('readText and readJsonl (gzip detected, bad JSON to the errors)', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'a.log'), 'one\ntwo\n');
  writeFileSync(join(dir, 'b.log.gz'), gzipSync('three\n'));
  writeFileSync(join(dir, 'e.jsonl'), '{"n":1}\nnot json\n\n{"n":2}\n');
  const p = Pipeline.create();
  assertThat(p.apply(io.files.readText(join(dir, '*.log*')))).containsInAnyOrder(['one', 'two', 'three']);
  const { main, errors } = p.apply(io.files.readJsonl<{ n: number }>(join(dir, 'e.jsonl')).withErrors());
  assertThat(main.map((o) => o.n)).containsInAnyOrder([1, 2]);
  assertThat(errors.map((e) => e.origin?.line)).containsInAnyOrder([2]);
  await p.run();
});

test('a pattern that matches nothing fails the job before any data is read, naming the pattern', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'present.txt'), Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n'));
  const missing = join(dir, 'nope-*.csv');
  const p = Pipeline.create();
  let processed = 0;
  // Another file read in the same pipeline must not get data through before the failure.
  p.apply(io.files.readText(join(dir, 'present.txt'))).map((l) => (processed++, l));
  p.apply(io.files.readCsv(missing)).map((r) => (processed++, r));
  await assert.rejects(p.run(), (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.ok(e.message.includes(`no file matches '${missing}'`), e.message);
    return true;
  });
  assert.equal(processed, 0);

  // Deterministically: the other read yields nothing until every file read of the pipeline has expanded its patterns.
  const readText = [...p.graph.nodes.values()].find((n) => n.name === 'ReadText')!;
  const source = (readText.spec as ReadSpec).source as BoundedSource<string>;
  await assert.rejects(async () => {
    for await (const _batch of source.read()) assert.fail('a batch was read before the failing pattern was found');
  }, new RegExp(`no file matches '${missing.replace(/[.*]/g, '\\$&')}'`));
});

test('reads are lazy: building the pipeline does not touch the file system', () => {
  const p = Pipeline.create();
  p.apply(io.files.readText('/definitely/not/here/*.txt'));
  p.apply(io.files.readJsonl('/definitely/not/here.jsonl'));
});

test('a corrupt gzip file is one error record (file, offset, reason), the other files are read; without withErrors it is a dead letter', async () => {
  const dir = tmp();
  const good = gzipSync('a,b\n1,2\n3,4\n');
  writeFileSync(join(dir, 'a.csv.gz'), good);
  const flipped = Buffer.from(gzipSync(Array.from({ length: 3000 }, (_, i) => `${i},${i * 7}`).join('\n')));
  flipped[flipped.length >> 1] ^= 0xff;
  writeFileSync(join(dir, 'b.csv.gz'), Buffer.concat([gzipSync('a,b\n'), flipped]));
  writeFileSync(join(dir, 'c.csv.gz'), good.subarray(0, 12)); // truncated header
  const p = Pipeline.create();
  const { main, errors } = p.apply(io.files.readCsv(join(dir, '*.csv.gz')).withErrors());
  const seen: Array<{ file: unknown; offset: unknown; error: string }> = [];
  errors.map((e) => seen.push({ file: e.origin?.file, offset: e.origin?.byteOffset, error: e.error }));
  const rows: unknown[] = [];
  main.map((r) => rows.push(r));
  const r = await p.run();
  assert.equal(r.state, 'DONE');
  assert.ok(rows.length >= 2);
  assert.deepEqual(seen.map((s) => String(s.file).slice(-8)).sort(), ['b.csv.gz', 'c.csv.gz']);
  for (const s of seen) {
    assert.match(s.error, /corrupt gzip data after \d+ compressed bytes/);
    assert.equal(typeof s.offset, 'number');
  }
  const q = Pipeline.create();
  q.apply(io.files.readCsv(join(dir, '*.csv.gz')));
  const r2 = await q.run();
  assert.equal(r2.state, 'DONE');
  assert.equal(r2.deadLetters.length, 2);
});

test('empty inputs are counted as warnings of the pipeline (fileReadWarnings)', async () => {
  const dir = tmp();
  writeFileSync(join(dir, 'empty.csv'), '');
  writeFileSync(join(dir, 'header.csv'), 'a,b\n');
  writeFileSync(join(dir, 'empty.log'), '');
  const p = Pipeline.create();
  p.apply(io.files.readCsv(join(dir, '*.csv')));
  p.apply(io.files.readText(join(dir, '*.log')));
  const r = await p.run();
  assert.equal(r.state, 'DONE');
  const warnings = io.files.fileReadWarnings(p.graph);
  assert.deepEqual(warnings.map((w) => [w.kind, w.file.split('/').at(-1)]).sort(), [['empty-file', 'empty.csv'], ['empty-file', 'empty.log'], ['header-only', 'header.csv']]);
});
