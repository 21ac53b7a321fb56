// Delta's finer conflict rules end to end: transactions that read part of the table conflict only with concurrent
// commits that removed a file they read or added files their predicate may match; otherwise they retry and commit.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { deleteWhere } from './delete.ts';
import { ConcurrentModificationError, DeltaTable } from './index.ts';
import { updateWhere } from './update.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-conflicts-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(root, `t${n++}`);

async function table(): Promise<DeltaTable> {
  const t = await DeltaTable.create(fresh(), { schema: { id: 'long', country: 'string', amount: 'double' }, partitionBy: ['country'] });
  await t.append([{ id: 1, country: 'fr', amount: 1 }, { id: 2, country: 'de', amount: 2 }, { id: 3, country: 'fr', amount: 3 }]);
  return t;
}

test('concurrent appends to another partition and a DELETE in one partition both commit', async () => {
  const t = await table();
  const tx = await t.startTransaction(); // the DELETE reads version 1
  await t.append([{ id: 10, country: 'de', amount: 1 }]);
  await t.append([{ id: 11, country: 'es', amount: 1 }]);
  const r = await deleteWhere(tx, { country: 'fr' });
  assert.deepEqual([r.committed, r.version], [true, 4]);
  assert.deepEqual((await t.read()).map((x) => Number(x.id)).sort((a, b) => a - b), [2, 10, 11]);
  const [h] = await t.history(1);
  assert.equal(h.commitInfo.readVersion, 1);
});

test('an append into the partition a DELETE read conflicts; stats-based: an UPDATE on ids the append cannot hold commits', async () => {
  const t = await table();
  const tx = await t.startTransaction();
  await t.append([{ id: 12, country: 'fr', amount: 1 }]);
  await assert.rejects(deleteWhere(tx, { country: 'fr' }), (e: unknown) => e instanceof ConcurrentModificationError && e.conflict === 'concurrentAppend' && e.winningVersion === 2);
  // Unpartitioned predicate on id: the concurrent file's stats (ids 100..101) cannot match id = 1.
  const up = await t.startTransaction();
  await t.append([{ id: 100, country: 'fr', amount: 1 }, { id: 101, country: 'fr', amount: 1 }]);
  const r = await updateWhere(up, { id: 1 }, { amount: 42 });
  assert.equal(r.committed, true);
  assert.equal((await t.read({ where: { id: 1 } }))[0].amount, 42);
  // Same, but the concurrent file may hold id 1: conflict.
  const up2 = await t.startTransaction();
  await t.append([{ id: 0, country: 'de', amount: 1 }, { id: 5, country: 'de', amount: 1 }]);
  await assert.rejects(updateWhere(up2, { id: 1 }, { amount: 7 }), (e: unknown) => e instanceof ConcurrentModificationError && e.conflict === 'concurrentAppend');
});

test('a concurrent DELETE of a file an UPDATE read conflicts; of another file it does not', async () => {
  const t = await table();
  const tx = await t.startTransaction();
  await t.delete({ country: 'de' });
  const r = await updateWhere(tx, { country: 'fr' }, { amount: 0 });
  assert.equal(r.committed, true, 'the de file was not read by the fr update');
  const tx2 = await t.startTransaction();
  await t.delete({ id: 1 });
  await assert.rejects(updateWhere(tx2, { country: 'fr' }, { amount: 5 }), (e: unknown) => e instanceof ConcurrentModificationError && e.conflict === 'concurrentDeleteRead');
});

test('racing: appends to de and es running alongside a DELETE and an OPTIMIZE of fr all commit, no row lost', async () => {
  const t = await table();
  for (let k = 0; k < 4; k++) await t.append([{ id: 20 + k, country: 'fr', amount: 1 }]);
  const appends = Array.from({ length: 8 }, (_, k) => t.append([{ id: 100 + k, country: k % 2 ? 'de' : 'es', amount: 1 }]));
  const [del, ...rest] = await Promise.all([t.delete({ country: 'fr', id: { gte: 20 } }), ...appends]);
  assert.equal(del.committed, true);
  assert.equal(rest.length, 8);
  for (let k = 0; k < 3; k++) await t.append([{ id: 30 + k, country: 'fr', amount: 1 }]);
  const opt = t.optimize({ where: { country: 'fr' } });
  const more = Array.from({ length: 4 }, (_, k) => t.append([{ id: 200 + k, country: 'de', amount: 1 }]));
  const [o] = await Promise.all([opt, ...more]);
  assert.equal(o.metrics.numFilesRemoved, 4);
  const ids = (await t.read()).map((x) => Number(x.id)).sort((a, b) => a - b);
  assert.deepEqual(ids, [1, 2, 3, 30, 31, 32, 100, 101, 102, 103, 104, 105, 106, 107, 200, 201, 202, 203]);
});
