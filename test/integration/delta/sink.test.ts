// io.delta in pipelines against delta-rs: a batch and a streaming pipeline write through io.delta.write, delta-rs
// (Python `deltalake`) reads identical rows, versions and history; a replay of the streaming job with its appId
// writes nothing twice, and a rerun of a job without appId appends, as delta-rs sees. Needs the venv of setup.sh
// (skips without it unless RIFFLE_INTEGRATION=1).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { create, io, Pipeline, testStream, trigger, window } from '../../../src/index.ts';
import { DeltaTable, type Row } from '../../../src/lakehouse/index.ts';
import { assertSameAsDeltaRs, deltaRs, type Encoded, encode, skip, sortRows } from './harness.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-delta-sink-'));
after(() => rmSync(root, { recursive: true, force: true }));

const countries = ['fr', 'de', null];
const rowsFrom = (start: number, count: number): Row[] => Array.from({ length: count }, (_, k) => {
  const i = start + k;
  return {
    id: BigInt(i) + (i % 4 === 0 ? 2n ** 60n : 0n), name: i % 5 === 0 ? null : `r-${i}`, country: countries[i % 3],
    amount: i % 7 === 0 ? null : i * 0.25, ts: BigInt(i) * 1_000_003n, day: `2024-03-0${1 + (i % 3)}`,
  };
});
const schema = { id: 'long', name: 'string', country: 'string', amount: 'double', ts: 'timestamp', day: 'date' } as const;

test('batch pipeline → io.delta.write (partitioned, staged in chunks, one commit) → delta-rs reads the same rows', { skip }, async () => {
  const path = join(root, 'batch');
  const rows = rowsFrom(0, 2500);
  const p = Pipeline.create();
  p.apply(create(rows, { batchSize: 300 })).apply(io.delta.write<Row>(path, { schema, partitionBy: ['country'], stageRows: 1000 }));
  await p.run();
  const table = await DeltaTable.open(path);
  const described = deltaRs('read', path);
  assert.equal(described.version, 1); // CREATE TABLE, then the one WRITE
  assert.deepEqual(described.history.map((h) => h.operation), ['WRITE', 'CREATE TABLE']);
  await assertSameAsDeltaRs(table, described);
  assert.deepEqual(sortRows(described.versions['1'] as Encoded[]), encode(rows));
  // A merge-mode job upserts into it; delta-rs sees the result.
  const changes = [...rowsFrom(10, 5).map((r) => ({ ...r, name: 'changed' })), ...rowsFrom(9000, 3)];
  const q = Pipeline.create();
  q.apply(create(changes)).apply(io.delta.write<Row>(path, { mode: 'merge', mergeOn: ['id'] }));
  await q.run();
  const merged = deltaRs('read', path);
  await assertSameAsDeltaRs(table, merged);
  assert.equal((merged.versions[String(merged.version)] as unknown[]).length, 2503);
});

async function streamingJob(path: string, appId: string | undefined, start = 0): Promise<void> {
  const p = Pipeline.create();
  let stream = testStream<Row>();
  for (let minute = 0; minute < 4; minute++) {
    stream = stream.addElements(...rowsFrom(start + minute * 100, 40).map((value, k) => ({ value, timestamp: minute * 60_000 + k * 1000 })));
    stream = stream.advanceWatermarkTo((minute + 1) * 60_000);
  }
  p.apply(stream.advanceWatermarkToInfinity())
    .apply(window.into<Row>(window.fixed('1m'), { trigger: trigger.afterWatermark(), accumulation: 'discarding' }))
    .apply(io.delta.write<Row>(path, appId === undefined ? { schema } : { schema, appId }));
  await p.run();
}

test('streaming pipeline → one commit per window; delta-rs reads the same rows; a replay duplicates nothing', { skip }, async () => {
  const path = join(root, 'streaming');
  await streamingJob(path, 'orders-stream');
  const table = await DeltaTable.open(path);
  const first = deltaRs('read', path);
  assert.deepEqual(first.history.map((h) => h.operation), ['STREAMING UPDATE', 'STREAMING UPDATE', 'STREAMING UPDATE', 'STREAMING UPDATE', 'CREATE TABLE']);
  await assertSameAsDeltaRs(table, first);
  const expected = sortRows(encode([0, 1, 2, 3].flatMap((m) => rowsFrom(m * 100, 40))));
  assert.deepEqual(sortRows(first.versions[String(first.version)] as Encoded[]), expected);
  // The same job again (a replay after a crash): every pane's txn is already in the table.
  await streamingJob(path, 'orders-stream');
  const replayed = deltaRs('read', path);
  assert.equal(replayed.version, first.version);
  assert.deepEqual(sortRows(replayed.versions[String(replayed.version)] as Encoded[]), expected);
  assert.equal((await table.snapshot()).appTransactions.get('orders-stream')?.version, 3);
});

test('a rerun of a job without appId appends (one commit per window again); delta-rs reads both runs', { skip }, async () => {
  const path = join(root, 'rerun');
  await streamingJob(path, undefined);
  await streamingJob(path, undefined, 10_000); // the same job on new input
  const table = await DeltaTable.open(path);
  const described = deltaRs('read', path);
  assert.equal(described.version, 8); // CREATE TABLE, then 4 panes per run
  assert.deepEqual(described.history.map((h) => h.operation), [...Array(8).fill('STREAMING UPDATE'), 'CREATE TABLE']);
  await assertSameAsDeltaRs(table, described);
  const expected = sortRows(encode([0, 1, 2, 3].flatMap((m) => [...rowsFrom(m * 100, 40), ...rowsFrom(10_000 + m * 100, 40)])));
  assert.deepEqual(sortRows(described.versions['8'] as Encoded[]), expected);
  // Two applications, each with txn versions 0..3.
  assert.deepEqual([...(await table.snapshot()).appTransactions.values()].map((t) => t.version), [3, 3]);
});
