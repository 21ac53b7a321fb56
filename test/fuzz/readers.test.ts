/**
 * Fuzz tier of the file readers: malformed CSV, JSON Lines, text and gzip inputs (random bytes, truncations, stray
 * quotes, invalid UTF-8, bare CRs, deep nesting, over-long lines, flipped bits) through every reader. For each input:
 *  - no crash: nothing is thrown (bad input is data, never an exception);
 *  - no hang: each read finishes within a time bound;
 *  - nothing lost: every input line is in the main output or the error output (counted against an independent line
 *    split of the bytes), and the CSV readers (pipeline, quality columnar, quality text path) agree row for row.
 *
 * `npm test` runs a small count; `.ci/tiers/fuzz-readers.sh` a large one (RIFFLE_FUZZ_COUNT); RIFFLE_FUZZ_SEED
 * replays a failing run (the seed is printed in the failure).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { files } from '../../src/io/index.ts';
import type { BoundedSource } from '../../src/model/index.ts';
import { asset, scanAsset, type MalformedRecords } from '../../src/quality/index.ts';

const COUNT = Number(process.env.RIFFLE_FUZZ_COUNT ?? 10);
// npm test runs a fixed seed (the same inputs every run, so it passes or fails for a reason); the tier, which sets
// RIFFLE_FUZZ_COUNT, draws a new seed each run to explore.
const SEED = Number(process.env.RIFFLE_FUZZ_SEED ?? (process.env.RIFFLE_FUZZ_COUNT === undefined ? 20261206 : Date.now() % 1_000_000));
const TIME_BOUND_MS = Number(process.env.RIFFLE_FUZZ_TIME_BOUND_MS ?? 10_000);
const MAX_RECORD = 4096; // small limits, so over-long lines are cheap to make
const MAX_DEPTH = 64;

const dir = mkdtempSync(join(tmpdir(), 'riffle-fuzz-readers-'));
after(() => {
  if (!process.env.RIFFLE_FUZZ_KEEP) rmSync(dir, { recursive: true, force: true });
});
let seq = 0;

/** A small seeded PRNG (mulberry32), so a failing seed replays. */
function rng(seed: number): { next(): number; int(n: number): number; pick<T>(xs: readonly T[]): T } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)]! };
}
type Rng = ReturnType<typeof rng>;

async function bounded<T>(what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${TIME_BOUND_MS} ms (a hang)`)), TIME_BOUND_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The lines of some bytes as the line reader defines them, computed independently: a BOM dropped, the terminator from
 * the first line end (a bare CR, else LF with an optional CR before it), a last line without terminator counted.
 */
function splitLines(bytes: Buffer): { lines: Buffer[]; cr: boolean } {
  let b = bytes;
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
  const lf = b.indexOf(10);
  const crAt = b.indexOf(13);
  const cr = crAt !== -1 && (lf === -1 || crAt < lf) && b[crAt + 1] !== 10;
  const term = cr ? 13 : 10;
  const lines: Buffer[] = [];
  let pos = 0;
  while (pos < b.length) {
    const at = b.indexOf(term, pos);
    if (at === -1) {
      lines.push(b.subarray(pos));
      break;
    }
    lines.push(b.subarray(pos, at));
    pos = at + 1;
  }
  return { lines, cr };
}

// ---- input makers

const CSV_CELLS = ['a', 'b c', '"q"', '"x,y"', '"multi\nline"', '"crlf\r\nin"', '', '1', '-2.5', 'NA', 'é', '😀', '"unterminated', 'tail"'];

function csvBody(r: Rng, eol: string): string {
  const rows: string[] = ['a,b,c'];
  const n = r.int(40);
  for (let i = 0; i < n; i++) {
    const width = r.next() < 0.85 ? 3 : r.int(5);
    rows.push(Array.from({ length: width }, () => r.pick(CSV_CELLS)).join(','));
  }
  return rows.join(eol) + (rows.length === 1 || r.next() < 0.7 ? eol : ''); // the header line always ends
}

function jsonlBody(r: Rng, eol: string): string {
  const lines: string[] = [];
  const n = r.int(40);
  for (let i = 0; i < n; i++) {
    const k = r.int(8);
    if (k === 0) lines.push('');
    else if (k === 1) lines.push('  ');
    else if (k === 2) lines.push(`${'['.repeat(MAX_DEPTH + r.int(100))}${']'.repeat(MAX_DEPTH + 100)}`);
    else if (k === 3) lines.push('{"a": ');
    else if (k === 4) lines.push(JSON.stringify({ s: 'x'.repeat(r.int(3 * MAX_RECORD)) }));
    else lines.push(JSON.stringify({ i, v: r.pick(['é', 'a"b', 1, null, [1, [2]]]) }));
  }
  return lines.join(eol) + (r.next() < 0.7 ? eol : '');
}

/** Damages bytes: random bytes in, bytes out, truncation, invalid UTF-8, stray quotes and CRs, a huge line. */
function mutate(r: Rng, input: Buffer, keep: number): Buffer {
  let b = Buffer.from(input);
  const from = Math.min(keep, b.length); // bytes left intact (a CSV header and its line end)
  const at = () => from + r.int(Math.max(1, b.length - from));
  const rounds = r.int(4);
  for (let k = 0; k < rounds; k++) {
    const op = r.int(7);
    const i = at();
    if (op === 0) b = Buffer.concat([b.subarray(0, i), Buffer.from(Array.from({ length: 1 + r.int(8) }, () => r.int(256))), b.subarray(i)]);
    else if (op === 1) b = Buffer.concat([b.subarray(0, i), b.subarray(Math.min(b.length, i + 1 + r.int(8)))]);
    else if (op === 2) b = b.subarray(0, Math.max(from, i));
    else if (op === 3) b = Buffer.concat([b.subarray(0, i), Buffer.from([r.pick([0xff, 0xc3, 0xe2, 0x80, 0xed])]), b.subarray(i)]);
    else if (op === 4) b = Buffer.concat([b.subarray(0, i), Buffer.from(r.pick(['"', '\r', '""', ',"'])), b.subarray(i)]);
    else if (op === 5) b = Buffer.concat([b.subarray(0, i), Buffer.from(`\n${'z'.repeat(MAX_RECORD + r.int(MAX_RECORD))}\n`), b.subarray(i)]);
  }
  return b;
}

// ---- readers

async function readSource<T>(source: BoundedSource<T>): Promise<{ values: T[]; errors: Array<{ line: number; error: string }> }> {
  const values: T[] = [];
  const errors: Array<{ line: number; error: string }> = [];
  for await (const b of source.read()) {
    values.push(...b.values);
    for (const e of b.errors ?? []) errors.push({ line: e.origin!.line!, error: e.error });
  }
  return { values, errors };
}

async function qualityScan(path: string, chunkSize: number): Promise<{ rows: unknown[]; malformed: number; lines: number[] }> {
  const malformed: MalformedRecords = { count: 0, examples: [] };
  const rows: unknown[] = [];
  for await (const b of scanAsset(asset.file(path, { types: 'text' }), { malformed, chunkSize })) rows.push(...b.rows);
  return { rows, malformed: malformed.count, lines: malformed.examples.map((m) => m.line) };
}

async function fuzzCsv(r: Rng): Promise<void> {
  const eol = r.pick(['\n', '\r\n', '\r']);
  const bom = r.next() < 0.2 ? '\uFEFF' : '';
  const bytes = mutate(r, Buffer.from(`${bom}${csvBody(r, eol)}`), Buffer.byteLength(`${bom}a,b,c${eol}`));
  const path = join(dir, `f${seq++}.csv`);
  writeFileSync(path, bytes);
  writeFileSync(`${path}.gz`, gzipSync(bytes));
  const chunkSize = r.pick([7, 64, 4096, 1 << 20]); // 1-byte chunks are in test/csv-readers.test.ts (small files)

  // The shared reader with every line kept (no blank-line skipping): every line is in exactly one item.
  const items: Array<{ line: number; span: number }> = [];
  const span = (raw: string) => raw.split('\n').length;
  let rows = 0;
  let errors = 0;
  await bounded('readCsvRecords', (async () => {
    for await (const _ of files.readCsvRecords(path, { header: true, skipEmptyLines: false, maxRecordBytes: MAX_RECORD, chunkSize }, {
      header: (_names, line, raw) => void items.push({ line, span: span(raw) }),
      record(_fields, line, raw) {
        rows++;
        items.push({ line, span: span(raw) });
      },
      malformed(_reason, line) {
        errors++;
        items.push({ line, span: 1 });
      },
    }));
  })());
  const { lines, cr } = splitLines(bytes);
  for (let i = 1; i < items.length; i++) assert.ok(items[i]!.line > items[i - 1]!.line, 'items come in line order');
  if (!cr) {
    // With LF ends a record's raw text holds one '\n' per line end it spans, so the items tile the lines exactly.
    let next = 1;
    for (const it of items) {
      assert.equal(it.line, next, `line ${next} is in no output`);
      next += it.span;
    }
    assert.equal(next - 1, lines.length, 'every line is in the main or the error output');
  }
  assert.ok(rows + errors <= lines.length);

  // Every CSV reader gives the same rows and error lines as the others (blank lines skipped by all).
  const pipeline = await bounded('csvSource', readSource(files.csvSource(path)));
  const columnar = await bounded('quality columnar', qualityScan(path, chunkSize));
  const text = await bounded('quality gzip text path', qualityScan(`${path}.gz`, chunkSize));
  const skipFile = pipeline.errors.some((e) => /the file is skipped/.test(e.error));
  if (!skipFile) {
    assert.equal(columnar.rows.length, pipeline.values.length);
    assert.equal(columnar.malformed, pipeline.errors.length);
    assert.deepEqual(columnar.lines, pipeline.errors.slice(0, 10).map((e) => e.line));
    assert.deepEqual(text.rows, columnar.rows);
    assert.equal(text.malformed, columnar.malformed);
  }
}

async function fuzzJsonl(r: Rng): Promise<void> {
  const eol = r.pick(['\n', '\r\n', '\r']);
  const bytes = mutate(r, Buffer.from(jsonlBody(r, eol)), 0);
  const path = join(dir, `f${seq++}.jsonl`);
  writeFileSync(path, bytes);
  const { lines, cr } = splitLines(bytes);
  const blank = lines.filter((l) => {
    const content = !cr && l[l.length - 1] === 13 ? l.subarray(0, l.length - 1) : l;
    return content.length <= MAX_RECORD && Buffer.from(content.toString('utf8'), 'utf8').equals(content) && content.toString('utf8').trim() === '';
  }).length;
  const { values, errors } = await bounded('jsonlSource', readSource(files.jsonlSource(path, { maxDepth: MAX_DEPTH, maxRecordBytes: MAX_RECORD })));
  assert.equal(values.length + errors.length, lines.length - blank, 'every non-blank line is a value or an error');
  // Split reads cover the same lines: byte ranges of 1 to 200 bytes, at most ~40 parts a file (each part read opens
  // the file again; hundreds of parts a file made this test I/O-bound without finding more).
  const bundle = Math.max(1 + r.int(200), Math.ceil(bytes.length / 40));
  const parts = await files.jsonlSource(path, { maxDepth: MAX_DEPTH, maxRecordBytes: MAX_RECORD }).split(bundle);
  let total = 0;
  for (const part of parts) {
    const got = await bounded('jsonlSource split', readSource(part));
    total += got.values.length + got.errors.length;
  }
  assert.equal(total, values.length + errors.length);
  // quality's JSONL path counts what it cannot read (not objects included), nothing else is lost.
  const malformed: MalformedRecords = { count: 0, examples: [] };
  let rows = 0;
  await bounded('quality jsonl', (async () => {
    for await (const b of scanAsset(asset.file(path), { malformed })) rows += b.length;
  })());
  assert.ok(rows + malformed.count >= values.length - values.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)).length);
}

async function fuzzText(r: Rng): Promise<void> {
  const eol = r.pick(['\n', '\r\n', '\r']);
  const bytes = mutate(r, Buffer.from(csvBody(r, eol)), 0);
  const path = join(dir, `f${seq++}.txt`);
  writeFileSync(path, bytes);
  const { lines } = splitLines(bytes);
  const { values, errors } = await bounded('textSource', readSource(files.textSource(path, { maxLineBytes: MAX_RECORD })));
  assert.equal(values.length + errors.length, lines.length, 'every line is a value or an error');
}

async function fuzzGzip(r: Rng): Promise<void> {
  const plain = Buffer.from(csvBody(r, '\n'));
  let gz = Buffer.from(gzipSync(plain));
  const op = r.int(4);
  if (op === 0) gz = gz.subarray(0, r.int(gz.length));
  else if (op === 1) gz[10 + r.int(Math.max(1, gz.length - 10))] ^= 1 << r.int(8);
  else if (op === 2) gz = Buffer.concat([gz, Buffer.from(Array.from({ length: 1 + r.int(20) }, () => r.int(256)))]);
  else gz = Buffer.concat([gz.subarray(0, 10), Buffer.from(Array.from({ length: r.int(50) }, () => r.int(256)))]);
  const path = join(dir, `f${seq++}.txt.gz`);
  writeFileSync(path, gz);
  let expected: Buffer | undefined;
  try {
    expected = gunzipSync(gz);
  } catch {
    expected = undefined;
  }
  const { values, errors } = await bounded('textSource gzip', readSource(files.textSource(path, { maxLineBytes: MAX_RECORD })));
  if (expected === undefined) {
    assert.ok(errors.length >= 1, 'a corrupt gzip file gives an error record');
    assert.match(errors.at(-1)!.error, /corrupt gzip data/);
  } else {
    assert.equal(values.length + errors.length, splitLines(expected).lines.length);
  }
  // CSV over the same gzip bytes: no crash, no hang.
  await bounded('csvSource gzip', readSource(files.csvSource(path, { maxRecordBytes: MAX_RECORD })));
}

test(`fuzz: malformed CSV, JSON Lines, text and gzip through every reader (${COUNT} inputs each, seed ${SEED})`, async () => {
  const r = rng(SEED);
  for (let i = 0; i < COUNT; i++) {
    for (const [name, fuzz] of [['csv', fuzzCsv], ['jsonl', fuzzJsonl], ['text', fuzzText], ['gzip', fuzzGzip]] as const) {
      const at = seq;
      try {
        await fuzz(r);
      } catch (e) {
        throw new Error(`fuzz ${name} input #${i} (file ${join(dir, `f${at}`)}, replay with RIFFLE_FUZZ_SEED=${SEED}): ${(e as Error).stack ?? String(e)}`, { cause: e });
      }
    }
  }
});

test('a line far over the default limit (RIFFLE_FUZZ_BIG_LINE_MB, tier only) is one error, read past in bounded memory', { skip: process.env.RIFFLE_FUZZ_BIG_LINE_MB ? false : 'set RIFFLE_FUZZ_BIG_LINE_MB (the fuzz tier does)' }, async () => {
  const mb = Number(process.env.RIFFLE_FUZZ_BIG_LINE_MB);
  const path = join(dir, 'big.jsonl');
  const { openSync, writeSync, closeSync } = await import('node:fs');
  const fd = openSync(path, 'w');
  writeSync(fd, '{"first":1}\n{"s":"');
  const block = Buffer.alloc(1 << 20, 'x');
  for (let i = 0; i < mb; i++) writeSync(fd, block);
  writeSync(fd, '"}\n{"last":2}\n');
  closeSync(fd);
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  try {
    const { values, errors } = await bounded('jsonlSource big line', readSource(files.jsonlSource(path)));
    assert.deepEqual(values, [{ first: 1 }, { last: 2 }]);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.error, /^line 2: line longer than the limit of 67108864 bytes/);
    const text = await bounded('textSource big line', readSource(files.textSource(path)));
    assert.deepEqual(text.values, ['{"first":1}', '{"last":2}']);
  } finally {
    clearInterval(timer);
  }
  assert.ok(peak - before < 256 * 2 ** 20, `memory grew by ${Math.round((peak - before) / 2 ** 20)} MB reading a ${mb} MB line`);
});
