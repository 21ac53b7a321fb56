import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeltaTable } from '../../src/lakehouse/index.ts';
import { DeltaStreamSource, stream, type DeltaRow, type DeltaStreamPosition } from '../../src/io/delta/index.ts';
import { LocalRunner, MAX_TIMESTAMP, Pipeline, writeTo } from '../../src/index.ts';
import type { UnboundedReader } from '../../src/model/index.ts';
import { twoPhaseDirSink } from './fixtures/kill-pipeline.ts';

/** io.delta.stream (issue 14): follows a table's new versions; positions (version, file, rows) in checkpoints. */

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'riffle-delta-stream-'));
}

let nextId = 0n;
function rows(n: number): Array<{ id: bigint; ts: Date; part: string }> {
  return Array.from({ length: n }, () => {
    const id = nextId++;
    return { id, ts: new Date(1_700_000_000_000 + Number(id) * 1000), part: `p${id % 3n}` };
  });
}

async function drain(reader: UnboundedReader<DeltaRow, DeltaStreamPosition>, want: number, ms = 5000): Promise<DeltaRow[]> {
  const out: DeltaRow[] = [];
  const until = Date.now() + ms;
  while (out.length < want && Date.now() < until) {
    const b = await reader.next(20);
    if (b !== null) out.push(...b.values);
  }
  return out;
}

const ids = (rs: DeltaRow[]) => rs.map((r) => Number(r.id as bigint)).sort((a, b) => a - b);
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

test('reads the snapshot, then each new version; a reader opened at a position goes on exactly there', async () => {
  const dir = tmp();
  nextId = 0n;
  try {
    const path = join(dir, 't');
    const table = await DeltaTable.create(path, { schema: { id: 'long', ts: 'timestamp', part: 'string' }, partitionBy: ['part'] });
    await table.append(rows(30)); // v1: 3 files (partitions)
    const source = new DeltaStreamSource(path, { pollInterval: 5, eventTime: { column: 'ts', maxDelay: '10s' } });
    const reader = await source.open(undefined);
    const first = await drain(reader, 30);
    assert.deepEqual(ids(first), range(0, 30));
    assert.equal(reader.watermark(), 1_700_000_000_000 + 29_000 - 10_000);
    assert.equal(await reader.next(10), null, 'idle between versions');
    await table.append(rows(20)); // v2
    await table.optimize(); // v3: dataChange false — nothing new to read
    await table.append(rows(10)); // v4
    const second = await drain(reader, 30);
    assert.deepEqual(ids(second), range(30, 60));
    // Positions after every batch: a reader opened at one reads exactly the rows after it.
    const again = await source.open(undefined);
    const batches: Array<{ values: DeltaRow[]; position: DeltaStreamPosition }> = [];
    for (let idle = 0; idle < 3;) {
      const b = await again.next(10);
      if (b === null) idle++;
      else batches.push({ values: b.values, position: again.position() });
    }
    assert.equal(batches.flatMap((b) => b.values).length, 60);
    for (let k = 0; k < batches.length; k++) {
      const restored = await source.open(JSON.parse(JSON.stringify(batches[k]!.position)) as DeltaStreamPosition);
      const rest = await drain(restored, 60 - batches.slice(0, k + 1).reduce((n, b) => n + b.values.length, 0), 2000);
      assert.deepEqual(ids([...batches.slice(0, k + 1).flatMap((b) => b.values), ...rest]), range(0, 60), `after batch ${k}`);
      assert.equal(await restored.next(5), null);
      await restored.close();
    }
    await again.close();
    await reader.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('startingVersion reads changes from that version; endingVersion ends the stream', async () => {
  const dir = tmp();
  nextId = 0n;
  try {
    const path = join(dir, 't');
    const table = await DeltaTable.create(path, { schema: { id: 'long', ts: 'timestamp', part: 'string' } });
    for (let v = 1; v <= 4; v++) await table.append(rows(5));
    const reader = await new DeltaStreamSource(path, { startingVersion: 2, endingVersion: 3, pollInterval: 5 }).open(undefined);
    const got = await drain(reader, 100, 300);
    assert.deepEqual(ids(got), range(5, 15));
    assert.equal(reader.watermark(), MAX_TIMESTAMP);
    const latest = await new DeltaStreamSource(path, { startingVersion: 'latest', pollInterval: 5 }).open(undefined);
    assert.equal(await latest.next(10), null);
    await table.append(rows(3));
    assert.deepEqual(ids(await drain(latest, 3)), range(20, 23));
    await reader.close();
    await latest.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a version that deletes or rewrites data is refused with what to do; ignoreDeletes / ignoreChanges go on', async () => {
  const dir = tmp();
  nextId = 0n;
  try {
    const path = join(dir, 't');
    const table = await DeltaTable.create(path, { schema: { id: 'long', ts: 'timestamp', part: 'string' }, partitionBy: ['part'] });
    await table.append(rows(30)); // v1
    await table.delete({ part: 'p0' }); // v2: removes whole files
    await table.append(rows(3)); // v3
    const refused = await new DeltaStreamSource(path, { startingVersion: 1, pollInterval: 5 }).open(undefined);
    await assert.rejects(drain(refused, 100, 500), (e: Error & { code?: string }) => e.code === 'DELTA_STREAM_NOT_APPEND' && /version 2 \(DELETE\) removes data/.test(e.message) && /ignoreDeletes/.test(e.message));
    const ignoring = await new DeltaStreamSource(path, { startingVersion: 1, pollInterval: 5, ignoreDeletes: true }).open(undefined);
    assert.deepEqual(ids(await drain(ignoring, 33, 1000)), range(0, 33));
    await table.update({ part: 'p1' }, { id: 1000n }); // v4: rewrites the p1 files
    const changes = await new DeltaStreamSource(path, { startingVersion: 4, pollInterval: 5, ignoreDeletes: true }).open(undefined);
    await assert.rejects(drain(changes, 100, 500), (e: Error & { code?: string }) => e.code === 'DELTA_STREAM_NOT_APPEND' && /rewrites data/.test(e.message) && /ignoreChanges/.test(e.message));
    const reading = await new DeltaStreamSource(path, { startingVersion: 4, pollInterval: 5, ignoreChanges: true, endingVersion: 4 }).open(undefined);
    const rewritten = await drain(reading, 100, 500);
    assert.ok(rewritten.length > 0 && rewritten.every((r) => r.id === 1000n && r.part === 'p1'));
    for (const r of [refused, ignoring, changes, reading]) await r.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('options are checked before the run', () => {
  assert.throws(() => stream('/x', { pollIntervall: '1s' } as never), /unknown option 'pollIntervall'/);
  assert.throws(() => stream('/x', { startingVersion: -1 }), /startingVersion must be a version number/);
  assert.throws(() => stream('/x', { startingVersion: 5, endingVersion: 2 }), /endingVersion 2 is before startingVersion 5/);
  assert.throws(() => stream('/x', { pollInterval: 'soon' }), /pollInterval/);
  assert.throws(() => stream('/x', { eventTime: { column: 'ts', lag: 1 } as never }), /eventTime has no option 'lag'/);
});

function published(dir: string): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => !f.startsWith('.')).flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l !== '').map(Number)).sort((a, b) => a - b);
}

test('through the engine: versions appended while it runs, a failure, --resume → no loss, no duplicates', async () => {
  const dir = tmp();
  nextId = 0n;
  try {
    const path = join(dir, 't');
    const table = await DeltaTable.create(path, { schema: { id: 'long', ts: 'timestamp', part: 'string' }, partitionBy: ['part'] });
    await table.append(rows(300)); // v1
    const last = 8;
    // Versions 2..8 arrive while the job runs (one of them an OPTIMIZE, which adds no data).
    const appender = (async () => {
      for (let v = 2; v <= last; v++) {
        await new Promise((r) => setTimeout(r, 40));
        if (v === 5) await table.optimize();
        else await table.append(rows(200));
      }
    })();
    let seen = 0;
    const build = (failAt: number) => {
      const p = Pipeline.create();
      p.apply(stream(path, { pollInterval: 5, endingVersion: last, eventTime: { column: 'ts' } }))
        .map((r: DeltaRow) => {
          if (++seen === failAt) throw new Error('injected');
          if (failAt > 0 && seen % 50 === 0) for (const until = Date.now() + 2; Date.now() < until;); // checkpoints before the failure
          return String(r.id);
        })
        .apply(writeTo(twoPhaseDirSink(join(dir, 'out'))));
      return p;
    };
    const options = { workers: 1, checkpointDir: join(dir, 'ck'), checkpointIntervalMs: 10, log: () => {}, pollIntervalMs: 5, restart: { kind: 'none' as const, maxRestarts: 0 } };
    await assert.rejects(new LocalRunner().run(build(700).graph, options), /injected/);
    const committed = published(join(dir, 'out')).length;
    assert.ok(committed > 0 && committed < 700, `checkpoints committed ${committed} rows before the failure`);
    seen = 0;
    const r = await new LocalRunner().run(build(-1).graph, { ...options, resume: true });
    await appender;
    assert.equal(r.state, 'DONE');
    assert.deepEqual(published(join(dir, 'out')), range(0, 300 + 6 * 200));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
