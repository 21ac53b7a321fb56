// The checkpointed io.delta.write, driven as the checkpoint coordinator drives it: prepareCommit stages files (durable,
// not visible), commit makes one Delta version per checkpoint through txn — idempotently, also from a new writer after
// a crash — and the end-of-input chunks carry the writer's txn so that a resumed run's final commit is skipped.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { GlobalWindow, NO_FIRING, type SinkWriter } from '../../model/index.ts';
import { DeltaTable, type Row } from '../../lakehouse/index.ts';
import { commitChunks, type StagedChunk } from './delta-commit.ts';
import { deltaStagingSink } from './write-delta.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'riffle-delta-2pc-'));
const options = { schema: { id: 'long', day: 'string' }, partitionBy: ['day'], appId: 'orders-job', stageRows: 2 } as const;
const ctx = { step: 'WriteDelta/Stage', worker: 0, workers: 1, signal: new AbortController().signal };
const open = (path: string) => deltaStagingSink(path, options).open(ctx) as Promise<SinkWriter<Row, StagedChunk>>;
const write = async (w: SinkWriter<Row, StagedChunk>, ids: number[]) => {
  for (const id of ids) w.write({ id: BigInt(id), day: `d${id % 2}` }, 0, GlobalWindow.INSTANCE, NO_FIRING);
  await w.flush();
};
/** What the checkpoint store keeps: plain data that survives the process. */
const stored = (v: unknown) => structuredClone(v);
const parquetFiles = (path: string) => (existsSync(path) ? readdirSync(path, { recursive: true }).filter((f) => String(f).endsWith('.parquet')).length : 0);

async function table(path: string) {
  const t = await DeltaTable.open(path);
  return {
    ids: (await t.read()).map((r) => Number(r.id)).sort((a, b) => a - b),
    history: (await t.history()).map((h) => h.operation).reverse(),
    txn: (await t.snapshot()).appTransactions.get('orders-job:checkpoints')?.version,
  };
}

test('checkpointed io.delta.write: one version per checkpoint, idempotent across a crash and a replay', async () => {
  const path = join(tmp(), 't');
  const w1 = await open(path);
  await write(w1, [1, 2, 3]);
  const p1 = stored(await w1.prepareCommit!(1));
  // Prepared: durable files, nothing visible (the table does not even exist yet).
  assert.ok(parquetFiles(path) >= 2);
  await assert.rejects(DeltaTable.open(path), /not a Delta table/);
  // Crash: the writer is dropped without commit or abort. A new writer (the resumed run) commits the restored checkpoint.
  const w2 = await open(path);
  await w2.commit!(p1);
  assert.deepEqual(await table(path), { ids: [1, 2, 3], history: ['CREATE TABLE', 'STREAMING UPDATE'], txn: 1 });
  await w2.commit!(p1); // the coordinator may commit again (restore after a completed checkpoint): no second version
  assert.deepEqual((await table(path)).history, ['CREATE TABLE', 'STREAMING UPDATE']);

  await write(w2, [4, 5]);
  const p2 = stored(await w2.prepareCommit!(2));
  const w3 = await open(path); // crash before checkpoint 2 committed
  await w3.commit!(p2);
  await w3.commit!(p1); // an older checkpoint replayed: skipped
  await w3.commit!(p2);
  assert.deepEqual(await table(path), { ids: [1, 2, 3, 4, 5], history: ['CREATE TABLE', 'STREAMING UPDATE', 'STREAMING UPDATE'], txn: 2 });
  const filesAfter2 = parquetFiles(path);

  // The end of input after checkpoint 2: the chunks go to the committer, carrying txn(…:checkpoints, 3).
  await write(w3, [6]);
  const out = (await w3.endOfInput!()) ?? [];
  assert.equal(out.length, 1);
  assert.deepEqual(out[0]!.value.txn, { appId: 'orders-job:checkpoints', version: 3 });
  const target = { path, mode: 'append' as const, mergeOn: undefined, partitionBy: ['day'], properties: {}, evolveSchema: false };
  const chunks = out.map((o) => stored(o.value) as StagedChunk);
  const first = await commitChunks(target, { appId: 'orders-job', txnVersion: 0, operation: 'WRITE', chunks });
  assert.equal(first.committed, true);
  // A resumed run that made the same final commit again (its own appId without the option would differ): skipped,
  // and the committed files stay.
  const again = await commitChunks(target, { appId: 'riffle-another-run', txnVersion: 0, operation: 'WRITE', chunks });
  assert.equal(again.skipped, true);
  assert.deepEqual(await table(path), { ids: [1, 2, 3, 4, 5, 6], history: ['CREATE TABLE', 'STREAMING UPDATE', 'STREAMING UPDATE', 'WRITE'], txn: 3 });
  assert.equal(parquetFiles(path), filesAfter2 + 1);
});

test('checkpointed io.delta.write: an abort deletes what was staged and not prepared; prepared files stay for the restart', async () => {
  const path = join(tmp(), 't');
  const w = await open(path);
  await write(w, [1, 2]);
  const p1 = stored(await w.prepareCommit!(1));
  const prepared = parquetFiles(path);
  await write(w, [3, 4, 5, 6]); // staged by flushes (stageRows 2), not prepared
  assert.ok(parquetFiles(path) > prepared);
  await w.abort(new Error('job failed'));
  assert.equal(parquetFiles(path), prepared);
  const w2 = await open(path);
  await w2.commit!(p1);
  assert.deepEqual((await table(path)).ids, [1, 2]);
});
