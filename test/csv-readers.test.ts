/**
 * Every CSV reader of Riffle against a reference parse (csv-parse) and against each other: the pipeline's csvSource,
 * quality's assets (columnar fast path and the shared text path, at tiny chunk sizes so record and chunk boundaries
 * fall everywhere), and `riffle table write`'s input reader. Random widths, quoting (quotes, delimiters, CR and LF
 * inside quotes), LF/CRLF/CR line ends, BOMs; then malformed files (stray quotes, wrong widths, invalid UTF-8, blank
 * lines), on which all readers must give the same rows and the same error lines.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parse as csvParse } from 'csv-parse/sync';
import fc from 'fast-check';
import { readInputFile } from '../src/cli/table-input.ts';
import { files } from '../src/io/index.ts';
import { asset, scanAsset, type MalformedRecords } from '../src/quality/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'riffle-csv-readers-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let seq = 0;
const runs = Number(process.env.RIFFLE_CSV_PROPERTY_RUNS ?? 60);

const cellArb = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: fc.constantFrom('a', 'b', ' ', ',', '"', '\n', '\r', 'é', '1', '0', '😀'), maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom('NA', 'null', 'NaN', '', '007', 'inf') },
);
const fileArb = fc.record({
  width: fc.integer({ min: 1, max: 5 }),
  rows: fc.array(fc.array(cellArb, { minLength: 5, maxLength: 5 }), { maxLength: 25 }),
  eol: fc.constantFrom('\n', '\r\n', '\r'),
  finalEol: fc.boolean(),
  bom: fc.boolean(),
  quoteAll: fc.boolean(),
  chunkSize: fc.constantFrom(1, 3, 7, 64, 1 << 16),
});

function quoteCell(c: string, quoteAll: boolean): string {
  return quoteAll || /[",\r\n]/.test(c) || c === '' ? `"${c.replace(/"/g, '""')}"` : c;
}

/** A file's text: the header h0..hN, then the rows (cut to the width). Cells needing it are quoted. */
function render(f: { width: number; rows: string[][]; eol: string; finalEol: boolean; bom: boolean; quoteAll: boolean }): { text: string; header: string[]; rows: string[][] } {
  const header = Array.from({ length: f.width }, (_, i) => `h${i}`);
  const rows = f.rows.map((r) => r.slice(0, f.width));
  const lines = [header.join(','), ...rows.map((r) => r.map((c) => quoteCell(c, f.quoteAll)).join(','))];
  return { text: `${f.bom ? '\uFEFF' : ''}${lines.join(f.eol)}${f.finalEol ? f.eol : ''}`, header, rows };
}

const exact = (c: string) => (c === '' ? null : c);
const textValue = (c: string) => (files.isMissing(c) ? null : c);
const toObjects = (header: string[], rows: string[][], cell: (c: string) => unknown) => rows.map((r) => Object.fromEntries(header.map((h, i) => [h, cell(r[i]!)])));

async function pipelineRows(path: string): Promise<{ values: unknown[]; errorLines: number[] }> {
  const values: unknown[] = [];
  const errorLines: number[] = [];
  for await (const b of files.csvSource(path).read()) {
    values.push(...b.values);
    for (const e of b.errors ?? []) errorLines.push(e.origin!.line!);
  }
  return { values, errorLines };
}

async function qualityRows(path: string, chunkSize: number, declaredString: readonly string[] = []): Promise<{ rows: unknown[]; errorLines: number[] }> {
  const malformed: MalformedRecords = { count: 0, examples: [] };
  const rows: unknown[] = [];
  const columnKinds = Object.fromEntries(declaredString.map((c) => [c, 'string' as const]));
  for await (const b of scanAsset(asset.file(path, { types: 'text', columnKinds }), { malformed, chunkSize })) rows.push(...b.rows);
  assert.ok(malformed.count <= 10 || malformed.examples.length === 10);
  return { rows, errorLines: malformed.examples.map((m) => m.line) };
}

test('every CSV reader gives the reference parse on well-formed files (widths, quoting, line ends, chunk boundaries)', async () => {
  await fc.assert(
    fc.asyncProperty(fileArb, async (f) => {
      const { text, header } = render(f);
      const oracle = (csvParse(text, { bom: true, skip_empty_lines: true, relax_column_count: false }) as string[][]);
      assert.deepEqual(oracle[0], header);
      const body = oracle.slice(1);
      const path = join(dir, `ok-${seq++}.csv`);
      writeFileSync(path, text);
      writeFileSync(`${path}.gz`, gzipSync(text));

      const pipeline = await pipelineRows(path);
      assert.deepEqual(pipeline.errorLines, []);
      assert.deepEqual(pipeline.values, toObjects(header, body, (c) => c));

      const want = toObjects(header, body, textValue);
      const columnar = await qualityRows(path, f.chunkSize);
      assert.deepEqual(columnar.errorLines, []);
      assert.deepEqual(columnar.rows, want);
      const gz = await qualityRows(`${path}.gz`, f.chunkSize);
      assert.deepEqual(gz.rows, want);
      // Declared string: cells kept exactly (NA strings too), only the empty cell is missing.
      const declared = await qualityRows(path, f.chunkSize, header);
      assert.deepEqual(declared.rows, toObjects(header, body, exact));

      const table = await readInputFile(path, undefined, new Map(header.map((h) => [h, 'string' as const])));
      assert.deepEqual(table.rows, toObjects(header, body, exact));
    }),
    { numRuns: runs },
  );
});

const brokenLineArb = fc.oneof(
  fc.constant({ kind: 'stray-quote' as const }),
  fc.constant({ kind: 'too-few' as const }),
  fc.constant({ kind: 'too-many' as const }),
  fc.constant({ kind: 'bad-utf8' as const }),
  fc.constant({ kind: 'blank' as const }),
  fc.constant({ kind: 'text-after-quote' as const }),
);

test('on malformed files every CSV reader gives the same rows and the same error lines (one recovery rule)', async () => {
  await fc.assert(
    fc.asyncProperty(fileArb, fc.array(fc.tuple(fc.nat(), brokenLineArb), { maxLength: 4 }), async (f, breaks) => {
      const { header, rows } = render(f);
      const lines: Buffer[] = [Buffer.from(header.join(','))];
      for (const r of rows) lines.push(Buffer.from(r.map((c) => quoteCell(c, f.quoteAll)).join(',')));
      for (const [at, b] of breaks) {
        const i = 1 + (at % Math.max(1, lines.length));
        const w = f.width;
        const broken =
          b.kind === 'stray-quote' ? Buffer.from(`"x${',y'.repeat(w - 1)}`)
          : b.kind === 'too-few' ? Buffer.from(w === 1 ? 'a,b' : 'a'.repeat(1))
          : b.kind === 'too-many' ? Buffer.from(Array.from({ length: w + 1 }, () => 'z').join(','))
          : b.kind === 'bad-utf8' ? Buffer.concat([Buffer.from('u'), Buffer.from([0xc3, 0x28]), Buffer.from(',v'.repeat(w - 1))])
          : b.kind === 'text-after-quote' ? Buffer.from(`"q"r${',s'.repeat(w - 1)}`)
          : Buffer.alloc(0);
        lines.splice(i, 0, broken);
      }
      const eol = Buffer.from(f.eol);
      const parts: Buffer[] = f.bom ? [Buffer.from('\uFEFF')] : [];
      lines.forEach((l, i) => parts.push(...(i === 0 ? [l] : [eol, l])));
      if (f.finalEol) parts.push(eol);
      const bytes = Buffer.concat(parts);
      const path = join(dir, `bad-${seq++}.csv`);
      writeFileSync(path, bytes);
      writeFileSync(`${path}.gz`, gzipSync(bytes));

      // The shared reader, directly: the reference of this test.
      const shared: string[][] = [];
      const sharedErrors: number[] = [];
      for await (const _ of files.readCsvRecords(path, { header: true, chunkSize: f.chunkSize }, {
        record: (fields) => void shared.push(fields),
        malformed: (_reason, line) => void sharedErrors.push(line),
      }));
      const pipeline = await pipelineRows(path);
      assert.deepEqual(pipeline.values, toObjects(header, shared, (c) => c));
      assert.deepEqual(pipeline.errorLines, sharedErrors);

      const want = toObjects(header, shared, textValue);
      const columnar = await qualityRows(path, f.chunkSize);
      assert.deepEqual(columnar.rows, want);
      assert.deepEqual(columnar.errorLines, sharedErrors.slice(0, 10));
      const gz = await qualityRows(`${path}.gz`, f.chunkSize);
      assert.deepEqual(gz.rows, want);
      assert.deepEqual(gz.errorLines, sharedErrors.slice(0, 10));

      // table write refuses any unreadable record, naming the count.
      if (sharedErrors.length === 0) assert.equal((await readInputFile(path, undefined, new Map(header.map((h) => [h, 'string' as const])))).rows.length, shared.length);
      else await assert.rejects(readInputFile(path, undefined), new RegExp(`${sharedErrors.length} records? could not be read`));
    }),
    { numRuns: runs },
  );
});
