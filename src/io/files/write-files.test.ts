import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { assertThat, create, io, Pipeline, PipelineValidationError, testStream, type PCollection } from '../../index.ts';
import type { WrittenFile } from './write-files.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'riffle-write-'));
/** Every entry of a dir, hidden ones included (a leftover `.riffle-tmp-*` would show). */
const entries = (dir: string) => readdirSync(dir).sort();

interface Row {
  id: number;
  name: string;
}
const rows = (n: number): Row[] => Array.from({ length: n }, (_, id) => ({ id, name: `r,"${id}"` }));

/** Reads files back in a second pipeline. */
async function readBack<T>(read: (p: Pipeline) => PCollection<T>): Promise<T[]> {
  const p = Pipeline.create();
  const got: T[] = [];
  read(p).map((v) => got.push(v));
  await p.run();
  return got;
}

function collect(files: PCollection<WrittenFile>): WrittenFile[] {
  const out: WrittenFile[] = [];
  files.map((f) => out.push(f));
  return out;
}

test('batch writeJsonl: one file per bundle, committed at the end, round-trips, no temp dir left', async () => {
  const dir = tmp();
  const p = Pipeline.create();
  let seenMidway: string[] = [];
  const input = p.apply(create(rows(10), { batchSize: 4 })).map((r) => {
    // Two bundles are written and a third is being written: only the hidden temp dir exists, with their temp files
    // (the third bundle's file is opened asynchronously: it may not exist yet).
    if (r.id === 9) seenMidway = [...entries(dir), ...entries(dir).flatMap((d) => entries(join(dir, d)))];
    return r;
  });
  const written = collect(input.apply(io.files.writeJsonl<Row>(join(dir, 'part'))));
  const r = await p.run();
  assert.ok(seenMidway.length === 3 || seenMidway.length === 4, seenMidway.join(', '));
  assert.match(seenMidway[0]!, /^\.riffle-tmp-/);
  for (const name of seenMidway.slice(1)) assert.match(name, /\.jsonl\.tmp$/);
  assert.equal(r.state, 'DONE');
  assert.deepEqual(entries(dir), ['_SUCCESS', 'part-00000-of-00003.jsonl', 'part-00001-of-00003.jsonl', 'part-00002-of-00003.jsonl']);
  assert.deepEqual(
    written.map((f) => [f.path, f.count]),
    [
      [join(dir, 'part-00000-of-00003.jsonl'), 4],
      [join(dir, 'part-00001-of-00003.jsonl'), 4],
      [join(dir, 'part-00002-of-00003.jsonl'), 2],
    ],
  );
  for (const f of written) assert.equal(f.bytes, readFileSync(f.path).length);
  const back = await readBack((q) => q.apply(io.files.readJsonl<Row>(join(dir, '*.jsonl'))));
  assert.deepEqual(back.sort((a, b) => a.id - b.id), rows(10));
});

test('numShards: exactly that many files, elements spread over them, empty shards written', async () => {
  const dir = tmp();
  const p = Pipeline.create();
  const written = collect(p.apply(create(rows(7), { batchSize: 2 })).apply(io.files.writeJsonl<Row>(join(dir, 'out', 'part'), { numShards: 3 })));
  const few = tmp();
  collect(p.apply(create(rows(1))).apply('Few', io.files.writeJsonl<Row>(join(few, 'part'), { numShards: 3 })));
  await p.run();
  assert.deepEqual(entries(join(dir, 'out')), ['_SUCCESS', 'part-00000-of-00003.jsonl', 'part-00001-of-00003.jsonl', 'part-00002-of-00003.jsonl']);
  assert.deepEqual(
    written.map((f) => f.count),
    [3, 2, 2],
  );
  const back = await readBack((q) => q.apply(io.files.readJsonl<Row>(join(dir, 'out'))));
  assert.deepEqual(back.sort((a, b) => a.id - b.id), rows(7));
  assert.deepEqual(entries(few), ['_SUCCESS', 'part-00000-of-00003.jsonl', 'part-00001-of-00003.jsonl', 'part-00002-of-00003.jsonl']);
  assert.deepEqual(
    entries(few).slice(1).map((f) => readFileSync(join(few, f), 'utf8')),
    ['{"id":0,"name":"r,\\"0\\""}\n', '', ''],
  );
});

test('empty input: one committed empty shard by default (as Beam), numShards empty files (with their header) when fixed', async () => {
  const none = tmp();
  const fixed = tmp();
  const p = Pipeline.create();
  const empty = p.apply(create<Row>([]));
  const a = collect(empty.apply(io.files.writeJsonl<Row>(join(none, 'part'))));
  const b = collect(empty.apply(io.files.writeCsv(join(fixed, 'part'), { columns: ['id', 'name'], numShards: 2 })));
  await p.run();
  assert.deepEqual(entries(none), ['_SUCCESS', 'part-00000-of-00001.jsonl']);
  assert.deepEqual(
    a.map((f) => [f.path, f.count, f.bytes]),
    [[join(none, 'part-00000-of-00001.jsonl'), 0, 0]],
  );
  assert.deepEqual(JSON.parse(readFileSync(join(none, '_SUCCESS'), 'utf8')).sets[0].files, [{ name: 'part-00000-of-00001.jsonl', count: 0, bytes: 0 }]);
  assert.deepEqual(entries(fixed), ['_SUCCESS', 'part-00000-of-00002.csv', 'part-00001-of-00002.csv']);
  assert.deepEqual(
    b.map((f) => f.count),
    [0, 0],
  );
  assert.equal(readFileSync(join(fixed, 'part-00001-of-00002.csv'), 'utf8'), 'id,name\n');
});

test('writeCsv with columns round-trips through readCsv with typed columns', async () => {
  const dir = tmp();
  const p = Pipeline.create();
  p.apply(create(rows(5))).apply(io.files.writeCsv(join(dir, 'rows'), { columns: ['id', 'name'] }));
  await p.run();
  assert.deepEqual(entries(dir), ['_SUCCESS', 'rows-00000-of-00001.csv']);
  assert.equal(readFileSync(join(dir, 'rows-00000-of-00001.csv'), 'utf8').split('\n')[1], '0,"r,""0"""');
  const back = await readBack((q) => q.apply(io.files.readCsv(join(dir, '*.csv'), { header: true, columns: { id: 'integer' } })));
  assert.deepEqual(
    back.sort((a, b) => a.id - b.id),
    rows(5),
  );
});

test('writeText, gzip and a suffix: .txt.gz files that gunzip (also when a file spans several gzip members)', async () => {
  const dir = tmp();
  const big = Array.from({ length: 40_000 }, (_, i) => `line ${i} ${'x'.repeat(40)}`); // > 1 MiB: two gzip members
  const p = Pipeline.create();
  const written = collect(p.apply(create(big, { batchSize: 40_000 })).apply(io.files.writeText(join(dir, 'logs'), { compression: 'gzip', suffix: '-a', numShards: 1 })));
  await p.run();
  assert.deepEqual(entries(dir), ['_SUCCESS', 'logs-00000-of-00001-a.txt.gz']);
  assert.equal(written[0]!.bytes, readFileSync(join(dir, 'logs-00000-of-00001-a.txt.gz')).length);
  assert.equal(gunzipSync(readFileSync(join(dir, 'logs-00000-of-00001-a.txt.gz'))).toString(), big.join('\n') + '\n');
  const back = await readBack((q) => q.apply(io.files.readText(join(dir, '*.gz'))));
  assert.deepEqual(back, big);
});

test('a job that fails mid-way commits nothing and removes its temp files', async () => {
  const dir = tmp();
  const p = Pipeline.create();
  p.apply(create(rows(100), { batchSize: 10 }))
    .map((r) => {
      if (r.id === 55) throw new Error('boom at 55');
      return r;
    })
    .apply(io.files.writeJsonl<Row>(join(dir, 'part')));
  await assert.rejects(p.run(), /boom at 55/);
  assert.deepEqual(entries(dir), []);
});

test('writes check their options when built, and refuse an unbounded global-window input', () => {
  assert.throws(() => io.files.writeJsonl('out/x', { numShards: 0 }), /numShards must be a positive integer/);
  assert.throws(() => io.files.writeText('out/x', { suffix: 'a/b' }), /suffix "a\/b" contains a path separator/);
  assert.throws(() => io.files.writeJsonl('out/x', { compression: 'zip' as 'gzip' }), /compression must be 'none' or 'gzip'/);
  const p = Pipeline.create();
  const stream = p.apply(testStream<string>().addElements({ value: 'a', timestamp: 0 }));
  assert.throws(() => stream.apply(io.files.writeText('out/x')), PipelineValidationError);
});

test('the write outputs the committed files as a collection (and types check)', async () => {
  const dir = tmp();
  const p = Pipeline.create();
  const objects: PCollection<{ id: number; name: string; extra: boolean }> = p.apply(create([{ id: 1, name: 'a', extra: true }]));
  const files: PCollection<WrittenFile> = objects.apply(io.files.writeCsv(join(dir, 'o'), { columns: ['id', 'name'] }));
  assertThat(files.map((f) => [f.path, f.count, f.window, f.pane])).containsInAnyOrder([[join(dir, 'o-00000-of-00001.csv'), 1, undefined, undefined]]);
  p.apply(create([1, 2])).apply(io.files.writeText<number>(join(dir, 'n')));
  await p.run();
  assert.equal(readFileSync(join(dir, 'o-00000-of-00001.csv'), 'utf8'), 'id,name\n1,a\n');
  assert.equal(readFileSync(join(dir, 'n-00000-of-00001.txt'), 'utf8'), '1\n2\n');
});

test('a rerun into the same folder replaces the sink’s previous files (5 bundles, then 3: 3 files), other sinks’ files stay', async () => {
  const dir = tmp();
  const runOnce = async (n: number) => {
    const p = Pipeline.create();
    p.apply(create(rows(n), { batchSize: 2 })).apply(io.files.writeJsonl<Row>(join(dir, 'part')));
    p.apply(create(['x'])).apply(io.files.writeText(join(dir, 'other')));
    await p.run();
  };
  await runOnce(10);
  assert.equal(entries(dir).filter((n) => n.startsWith('part-')).length, 5);
  await runOnce(6);
  assert.deepEqual(entries(dir), ['_SUCCESS', 'other-00000-of-00001.txt', 'part-00000-of-00003.jsonl', 'part-00001-of-00003.jsonl', 'part-00002-of-00003.jsonl']);
  const back = await readBack((q) => q.apply(io.files.readJsonl<Row>(join(dir, 'part-*.jsonl'))));
  assert.deepEqual(back.sort((a, b) => a.id - b.id), rows(6));
  await runOnce(0); // an empty run replaces the set too: one empty shard
  assert.deepEqual(entries(dir), ['_SUCCESS', 'other-00000-of-00001.txt', 'part-00000-of-00001.jsonl']);
});

test('a cancelled job commits nothing, removes its temp dir and keeps the previous committed output', async () => {
  const dir = tmp();
  const first = Pipeline.create();
  first.apply(create(rows(3))).apply(io.files.writeJsonl<Row>(join(dir, 'part')));
  await first.run();
  const committed = entries(dir);
  const p = Pipeline.create();
  const abort = new AbortController();
  let tempSeen = false;
  p.apply(create(rows(200), { batchSize: 10 }))
    .map((r) => {
      if (r.id === 105) {
        tempSeen = entries(dir).some((n) => n.startsWith('.riffle-tmp-'));
        abort.abort(new Error('cancelled by the test'));
      }
      return r;
    })
    .apply(io.files.writeJsonl<Row>(join(dir, 'part')));
  const r = await p.run({ signal: abort.signal });
  assert.equal(r.state, 'CANCELLED');
  assert.ok(tempSeen, 'the write had started');
  assert.deepEqual(entries(dir), committed);
});
