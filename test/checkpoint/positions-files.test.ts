import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync, writeSync, closeSync, appendFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BoundedSource, SourceBatch } from '../../src/model/index.ts';
import { csvSource, jsonlSource, readLines, textSource } from '../../src/io/files/index.ts';

/** Positions of io.files sources (issue 14): resume from the byte offset of the next record, not the file's start. */

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'riffle-positions-'));
}

/** A small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Seen {
  values: unknown[];
  errors: Array<{ error: string; element: unknown; origin: unknown }>;
}

function add(seen: Seen, batch: SourceBatch<unknown>): void {
  seen.values.push(...batch.values);
  for (const e of batch.errors ?? []) seen.errors.push({ error: e.error, element: e.element, origin: e.origin });
}

async function readAll(source: BoundedSource<unknown>): Promise<{ seen: Seen; batches: SourceBatch<unknown>[] }> {
  const seen: Seen = { values: [], errors: [] };
  const batches: SourceBatch<unknown>[] = [];
  for await (const b of source.read()) {
    batches.push(b);
    add(seen, b);
  }
  return { seen, batches };
}

/** Every resume point (or `count` random ones) gives, with the batches before it, the uninterrupted read. */
async function checkResumes(make: () => BoundedSource<unknown>, seed: number, opts: { byOffset: boolean }): Promise<number> {
  const { seen: whole, batches } = await readAll(make());
  assert.ok(batches.length >= 4, `want several batches, got ${batches.length}`);
  const random = rng(seed);
  const points = new Set<number>([0, batches.length - 1]);
  while (points.size < Math.min(batches.length, 12)) points.add(Math.floor(random() * batches.length));
  let offsets = 0;
  for (const k of points) {
    const seen: Seen = { values: [], errors: [] };
    for (let i = 0; i <= k; i++) add(seen, batches[i]!);
    // The position goes through a checkpoint as plain data.
    const position = JSON.parse(JSON.stringify(batches[k]!.position)) as { offset?: number };
    if (position.offset !== undefined && position.offset > 0) offsets++;
    for await (const b of make().readFrom!(position)) add(seen, b);
    assert.deepEqual(seen, whole, `resumed after batch ${k} of ${batches.length} (position ${JSON.stringify(position)})`);
  }
  if (opts.byOffset) assert.ok(offsets > 0, 'positions carry byte offsets');
  else assert.equal(offsets, 0, 'compressed files resume by record count');
  return offsets;
}

function textLines(random: () => number, n: number): string[] {
  const words = ['alpha', 'béta', 'γάμμα', '', 'x,y', '"q"', 'tab\there', '日本語'];
  return Array.from({ length: n }, (_, i) => `${i} ${words[Math.floor(random() * words.length)]} ${'z'.repeat(Math.floor(random() * 40))}`);
}

test('text: resuming at any batch boundary equals an uninterrupted read, line numbers of errors included', async () => {
  const dir = tmp();
  try {
    const random = rng(1);
    const lines = textLines(random, 300);
    // A line that is not UTF-8 (an error record with its line number), CRLF ends, a BOM.
    const body = Buffer.concat([Buffer.from('\ufeff'), Buffer.from(lines.slice(0, 150).join('\r\n') + '\r\n'), Buffer.from([0xff, 0xfe, 0x0d, 0x0a]), Buffer.from(lines.slice(150).join('\r\n'))]);
    writeFileSync(join(dir, 'a.txt'), body);
    writeFileSync(join(dir, 'b.txt'), lines.slice(0, 50).join('\n') + '\n');
    await checkResumes(() => textSource(join(dir, '*.txt'), { batchSize: 17 }) as BoundedSource<unknown>, 11, { byOffset: true });
    const { seen } = await readAll(textSource(join(dir, '*.txt'), { batchSize: 17 }) as BoundedSource<unknown>);
    assert.equal(seen.errors.length, 1);
    assert.match(seen.errors[0]!.error, /^line 151: invalid UTF-8/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('JSON Lines: resume at random record boundaries, with bad records and blank lines', async () => {
  const dir = tmp();
  try {
    const random = rng(2);
    const out: string[] = [];
    for (let i = 0; i < 400; i++) {
      const r = random();
      out.push(r < 0.05 ? '{not json' : r < 0.1 ? '' : JSON.stringify({ i, s: 'ü'.repeat(Math.floor(random() * 5)), n: random() }));
    }
    writeFileSync(join(dir, 'a.jsonl'), out.join('\n') + '\n');
    writeFileSync(join(dir, 'b.jsonl'), out.slice(0, 100).join('\n'));
    await checkResumes(() => jsonlSource(join(dir, '*.jsonl'), { batchSize: 23 }), 12, { byOffset: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('JSON Lines split into byte ranges resumes inside a range, error line numbers right', async () => {
  const dir = tmp();
  try {
    const out: string[] = [];
    for (let i = 0; i < 500; i++) out.push(i % 37 === 5 ? `{bad ${i}` : JSON.stringify({ i }));
    writeFileSync(join(dir, 'a.jsonl'), out.join('\n') + '\n');
    const parts = await jsonlSource(join(dir, 'a.jsonl'), { batchSize: 9 }).split(2000);
    assert.ok(parts.length > 2);
    const part = parts[1]!;
    await checkResumes(() => part as BoundedSource<unknown>, 3, { byOffset: true });
    const { seen } = await readAll(part as BoundedSource<unknown>);
    for (const e of seen.errors) {
      const line = (e.origin as { line: number }).line;
      assert.equal(out[line - 1], e.element, `error line ${line} names its own line`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function csvField(random: () => number): string {
  const r = random();
  if (r < 0.15) return `"multi\nline ${Math.floor(random() * 100)}\r\nvalue"`; // a quoted value holding line ends
  if (r < 0.25) return '"with ""quotes"", and commas"';
  if (r < 0.3) return 'ünïcødé';
  return String(Math.floor(random() * 1e6));
}

test('CSV: resume at record boundaries with multi-line quoted fields; the header is known on resume', async () => {
  const dir = tmp();
  try {
    const random = rng(3);
    const rows = ['id,a,b'];
    for (let i = 0; i < 300; i++) {
      const r = random();
      rows.push(r < 0.04 ? `${i},only-two` : `${i},${csvField(random)},${csvField(random)}`);
    }
    writeFileSync(join(dir, 'a.csv'), '\ufeff' + rows.join('\r\n') + '\r\n');
    // A file whose first record is itself multi-line (after the header), and one ending without a newline.
    writeFileSync(join(dir, 'b.csv'), 'id,a,b\n1,"x\ny",z\n2,p,q');
    await checkResumes(() => csvSource(join(dir, '*.csv'), { batchSize: 7, columns: { id: 'integer' } }), 13, { byOffset: true });
    // Every batch boundary, too (a small file, so every point is checked).
    const { batches } = await readAll(csvSource(join(dir, 'a.csv'), { batchSize: 3 }));
    const positions = batches.map((b) => b.position as { offset: number; header?: string[] });
    assert.ok(positions.every((p) => p.offset === 0 || p.header?.join() === 'id,a,b'), 'positions past the header carry it');
    const text = readFileSync(join(dir, 'a.csv'), 'utf8');
    for (const p of positions) {
      // Each offset is the start of a record: the byte before it ends a line outside any quoted value.
      const before = Buffer.from(text, 'utf8').subarray(0, p.offset).toString('utf8');
      assert.ok(p.offset === 0 || before.endsWith('\n'), `offset ${p.offset} is a line start`);
      assert.equal(((before.match(/"/g) ?? []).length) % 2, 0, `offset ${p.offset} is outside quotes`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CSV with a header line of its own names and no header', async () => {
  const dir = tmp();
  try {
    const random = rng(4);
    const rows: string[] = [];
    for (let i = 0; i < 120; i++) rows.push(`${i},${csvField(random)}`);
    writeFileSync(join(dir, 'a.csv'), rows.join('\n'));
    await checkResumes(() => csvSource(join(dir, 'a.csv'), { header: ['id', 'v'], batchSize: 5 }), 5, { byOffset: true });
    await checkResumes(() => csvSource(join(dir, 'a.csv'), { header: false, batchSize: 5 }) as BoundedSource<unknown>, 6, { byOffset: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('gzip files resume by record count (no byte offsets)', async () => {
  const dir = tmp();
  try {
    const lines = textLines(rng(7), 200);
    writeFileSync(join(dir, 'a.txt.gz'), gzipSync(lines.join('\n')));
    await checkResumes(() => textSource(join(dir, 'a.txt.gz'), { batchSize: 13 }) as BoundedSource<unknown>, 7, { byOffset: false });
    writeFileSync(join(dir, 'b.csv.gz'), gzipSync('k,v\n' + lines.map((l, i) => `${i},"${l.replace(/"/g, '""')}\nsecond"`).join('\n')));
    await checkResumes(() => csvSource(join(dir, 'b.csv.gz'), { batchSize: 13 }), 8, { byOffset: false });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a resumed read starts at the offset: the bytes before it are not read again', async () => {
  const dir = tmp();
  try {
    const path = join(dir, 'a.jsonl');
    writeFileSync(path, Array.from({ length: 200 }, (_, i) => JSON.stringify({ i })).join('\n') + '\n');
    utimesSync(path, 1_700_000_000, 1_700_000_000); // whole seconds: restored exactly below
    const { seen: whole, batches } = await readAll(jsonlSource(path, { batchSize: 10 }));
    const k = 9;
    const position = batches[k]!.position as { offset: number };
    // Overwrite the bytes before the offset (same size and mtime, so the file still passes the identity check).
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(position.offset - 1, 'x'), 0, position.offset - 1, 0);
    closeSync(fd);
    utimesSync(path, 1_700_000_000, 1_700_000_000);
    const rest: unknown[] = [];
    const errors: unknown[] = [];
    for await (const b of jsonlSource(path, { batchSize: 10 }).readFrom!(position)) {
      rest.push(...b.values);
      errors.push(...(b.errors ?? []));
    }
    assert.deepEqual(errors, []);
    assert.deepEqual(rest, whole.values.slice(100));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file changed since the checkpoint is refused, naming the file and what changed', async () => {
  const dir = tmp();
  try {
    const path = join(dir, 'a.csv');
    writeFileSync(path, 'k,v\n' + Array.from({ length: 50 }, (_, i) => `${i},${i}`).join('\n') + '\n');
    const { batches } = await readAll(csvSource(path, { batchSize: 5 }));
    const position = batches[3]!.position;
    appendFileSync(path, '50,50\n');
    await assert.rejects(
      async () => {
        for await (const _ of csvSource(path, { batchSize: 5 }).readFrom!(position));
      },
      (e: Error & { code?: string }) => e.code === 'CHECKPOINT_MISMATCH' && e.message.includes(path) && /changed since the checkpoint/.test(e.message) && /without --resume/.test(e.message),
    );
    rmSync(path);
    await assert.rejects(
      async () => {
        for await (const _ of csvSource(join(dir, '*.csv'), { batchSize: 5 }).readFrom!(position));
      },
      (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' || e.code === 'CHECKPOINT_MISMATCH',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('positions of the earlier format ({ part, values }) still restore', async () => {
  const dir = tmp();
  try {
    writeFileSync(join(dir, 'a.txt'), textLines(rng(9), 40).join('\n'));
    writeFileSync(join(dir, 'b.txt'), textLines(rng(10), 40).join('\n'));
    const source = () => textSource(join(dir, '*.txt'), { batchSize: 7 });
    const { seen: whole } = await readAll(source() as BoundedSource<unknown>);
    const rest: unknown[] = [];
    for await (const b of source().readFrom!({ part: 1, values: 14 })) rest.push(...b.values);
    assert.deepEqual(rest, whole.values.slice(40 + 14));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readLines: each batch end is where a read started there goes on', async () => {
  const dir = tmp();
  try {
    const random = rng(5);
    for (const [name, term] of [['lf', '\n'], ['crlf', '\r\n'], ['cr', '\r']] as const) {
      const path = join(dir, name);
      const lines = textLines(random, 500);
      writeFileSync(path, '\ufeff' + lines.join(term));
      const batches: Array<{ end: number; lines: string[] }> = [];
      for await (const b of readLines(path, { batchSize: 31, chunkSize: 97 })) batches.push({ end: b.end, lines: b.lines });
      assert.deepEqual(batches.flatMap((b) => b.lines), lines);
      assert.equal(batches.at(-1)!.end, statSync(path).size);
      for (let k = 0; k < batches.length - 1; k++) {
        const rest: string[] = [];
        for await (const b of readLines(path, { start: batches[k]!.end, batchSize: 1000 })) rest.push(...b.lines);
        assert.deepEqual(rest, lines.slice(batches.slice(0, k + 1).reduce((n, b) => n + b.lines.length, 0)), `${name}: after batch ${k}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('through the engine: a CSV read with multi-line values resumes at its byte offset after a failure; a changed file is refused', async () => {
  const { LocalRunner, Pipeline, io, writeTo } = await import('../../src/index.ts');
  const { twoPhaseDirSink } = await import('./fixtures/kill-pipeline.ts');
  const dir = tmp();
  try {
    const random = rng(21);
    for (let f = 0; f < 2; f++) {
      const rows = ['id,a'];
      for (let i = 0; i < 1500; i++) rows.push(`f${f}-${i},${csvField(random)}`);
      writeFileSync(join(dir, `in-${f}.csv`), rows.join('\n') + '\n');
    }
    let seen = 0;
    const build = (out: string, failAt: number) => {
      const p = Pipeline.create();
      p.apply(io.files.readCsv(join(dir, 'in-*.csv'), { batchSize: 50 }))
        .map((r: Record<string, unknown>) => {
          if (++seen === failAt) throw new Error('injected');
          if (failAt > 0 && seen % 50 === 0) for (const until = Date.now() + 2; Date.now() < until;); // several checkpoints before the failure
          return JSON.stringify(r);
        })
        .apply(writeTo(twoPhaseDirSink(out)));
      return p;
    };
    const lines = (out: string) => {
      const got: string[] = [];
      for (const f of readdirSafe(out)) if (!f.startsWith('.')) got.push(...readFileSync(join(out, f), 'utf8').split('\n').filter((l) => l !== ''));
      return got.sort();
    };
    await new LocalRunner().run(build(join(dir, 'ref'), -1).graph, { workers: 1, log: () => {} });
    const want = lines(join(dir, 'ref'));
    assert.equal(want.length, 3000);
    const ck = join(dir, 'ck');
    seen = 0;
    await assert.rejects(new LocalRunner().run(build(join(dir, 'out'), 2200).graph, { workers: 1, checkpointDir: ck, checkpointIntervalMs: 5, log: () => {} }), /injected/);
    seen = 0;
    const r = await new LocalRunner().run(build(join(dir, 'out'), -1).graph, { workers: 1, checkpointDir: ck, resume: true, log: () => {} });
    assert.equal(r.state, 'DONE');
    assert.deepEqual(lines(join(dir, 'out')), want);

    // Again, and the file being read changes before the resume: refused, naming the file.
    const ck2 = join(dir, 'ck2');
    seen = 0;
    await assert.rejects(new LocalRunner().run(build(join(dir, 'out2'), 2200).graph, { workers: 1, checkpointDir: ck2, checkpointIntervalMs: 5, log: () => {} }), /injected/);
    for (const f of ['in-0.csv', 'in-1.csv']) appendFileSync(join(dir, f), 'x,late\n');
    seen = 0;
    await assert.rejects(
      new LocalRunner().run(build(join(dir, 'out2'), -1).graph, { workers: 1, checkpointDir: ck2, resume: true, log: () => {} }),
      (e: Error & { code?: string }) => e.code === 'CHECKPOINT_MISMATCH' && /in-\d\.csv changed since the checkpoint/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Random CSV bytes: quoted values with line ends, doubled quotes, stray and unterminated quotes, empty lines, bad UTF-8. */
function randomCsv(random: () => number): Buffer {
  const term = ['\n', '\r\n', '\r'][Math.floor(random() * 3)]!;
  const parts: Buffer[] = [];
  if (random() < 0.3) parts.push(Buffer.from('\ufeff'));
  parts.push(Buffer.from(`a,b,c${term}`));
  const n = 20 + Math.floor(random() * 80);
  for (let i = 0; i < n; i++) {
    const r = random();
    const field = () => {
      const f = random();
      if (f < 0.15) return `"x${term}y${random() < 0.5 ? term : ''}z"`;
      if (f < 0.25) return '"q ""x"", y"';
      if (f < 0.28) return '"unterminated';
      if (f < 0.3) return 'a"b';
      if (f < 0.35) return 'ünï';
      return String(Math.floor(random() * 1000));
    };
    if (r < 0.04) parts.push(Buffer.from(term));
    else if (r < 0.06) parts.push(Buffer.concat([Buffer.from('1,'), Buffer.from([0xff, 0xc3]), Buffer.from(`,3${term}`)]));
    else parts.push(Buffer.from(`${field()},${field()},${field()}${random() < 0.97 || i < n - 1 ? term : ''}`));
  }
  return Buffer.concat(parts);
}

test('CSV fuzz: random files resumed at every batch boundary equal the uninterrupted read (RIFFLE_POSITIONS_FUZZ_COUNT)', async () => {
  const dir = tmp();
  try {
    const count = Number(process.env.RIFFLE_POSITIONS_FUZZ_COUNT ?? 5);
    const seed = Number(process.env.RIFFLE_POSITIONS_FUZZ_SEED ?? 77);
    const random = rng(seed);
    for (let c = 0; c < count; c++) {
      const path = join(dir, `f${c}.csv`);
      writeFileSync(path, randomCsv(random));
      const opts = { batchSize: 1 + Math.floor(random() * 6), skipEmptyLines: random() < 0.7, maxRecordLines: 2 + Math.floor(random() * 4), ...(random() < 0.5 ? { invalidUtf8: 'replace' as const } : {}) };
      const make = () => csvSource(path, opts) as BoundedSource<unknown>;
      const { seen: whole, batches } = await readAll(make());
      for (let k = 0; k < batches.length; k++) {
        const seen: Seen = { values: [], errors: [] };
        for (let i = 0; i <= k; i++) add(seen, batches[i]!);
        for await (const b of make().readFrom!(JSON.parse(JSON.stringify(batches[k]!.position)))) add(seen, b);
        assert.deepEqual(seen, whole, `seed ${seed}, file ${c} (${JSON.stringify(opts)}): resumed after batch ${k} at ${JSON.stringify(batches[k]!.position)}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('text and JSON Lines fuzz: random bytes (bad UTF-8, over-long lines, any line ends) resumed at every batch boundary', async () => {
  const dir = tmp();
  try {
    const count = Number(process.env.RIFFLE_POSITIONS_FUZZ_COUNT ?? 5);
    const seed = Number(process.env.RIFFLE_POSITIONS_FUZZ_SEED ?? 78);
    const random = rng(seed);
    for (let c = 0; c < count; c++) {
      const term = ['\n', '\r\n', '\r'][Math.floor(random() * 3)]!;
      const parts: Buffer[] = random() < 0.3 ? [Buffer.from('\ufeff')] : [];
      const n = 10 + Math.floor(random() * 60);
      for (let i = 0; i < n; i++) {
        const r = random();
        const body = r < 0.1 ? Buffer.from([0x7b, 0xff, 0x7d]) : r < 0.15 ? Buffer.from(`{"long":"${'x'.repeat(200)}"}`) : r < 0.2 ? Buffer.from('') : r < 0.3 ? Buffer.from(`{"s":"ünï ${i}"}`) : Buffer.from(`{"i":${i}}`);
        parts.push(body, Buffer.from(i < n - 1 || random() < 0.5 ? term : ''));
      }
      const path = join(dir, `f${c}.jsonl`);
      writeFileSync(path, Buffer.concat(parts));
      const batchSize = 1 + Math.floor(random() * 5);
      const common = { batchSize, ...(random() < 0.5 ? { invalidUtf8: 'replace' as const } : {}) };
      const makers: Array<() => BoundedSource<unknown>> = [
        () => textSource(path, { ...common, maxLineBytes: 100 }) as BoundedSource<unknown>,
        () => jsonlSource(path, { ...common, maxRecordBytes: 100 }),
      ];
      for (const make of makers) {
        const { seen: whole, batches } = await readAll(make());
        for (let k = 0; k < batches.length; k++) {
          const seen: Seen = { values: [], errors: [] };
          for (let i = 0; i <= k; i++) add(seen, batches[i]!);
          for await (const b of make().readFrom!(JSON.parse(JSON.stringify(batches[k]!.position)))) add(seen, b);
          assert.deepEqual(seen, whole, `seed ${seed}, file ${c} (${make().describe()}, ${JSON.stringify(common)}): resumed after batch ${k}`);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
