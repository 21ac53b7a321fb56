/**
 * The conformance suite every object store passes (local directory here, S3 on moto and Azure on Azurite in the
 * object-stores tier): round trips, ranges, listings, put-if-absent races, deletes, bad keys.
 *
 * @example
 * runObjectStoreSuite('local', async () => new LocalObjectStore(mkdtempSync(join(tmpdir(), 's-'))));
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { type ObjectStore, ObjectStoreError } from './object-store.ts';

/**
 * Registers the suite's tests for a store made fresh (an empty prefix) by `make`; `skip` gives a reason to skip them
 * all (the server is not configured).
 */
export function runObjectStoreSuite(name: string, make: () => Promise<ObjectStore>, skip?: string): void {
  const t = (title: string, fn: (store: ObjectStore) => Promise<void>): void => {
    test(`${name}: ${title}`, skip !== undefined ? { skip } : {}, async () => fn(await make()));
  };

  t('put, get, head and delete round trip', async (store) => {
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 31) & 255);
    assert.equal(await store.get('a/b/data.bin'), undefined);
    assert.equal(await store.head('a/b/data.bin'), undefined);
    await store.put('a/b/data.bin', bytes);
    assert.deepEqual(await store.get('a/b/data.bin'), bytes);
    const meta = await store.head('a/b/data.bin');
    assert.equal(meta?.size, bytes.length);
    assert.ok(Math.abs((meta?.lastModified ?? 0) - Date.now()) < 5 * 60_000, 'lastModified is about now');
    await store.put('a/b/data.bin', 'replaced');
    assert.equal(new TextDecoder().decode(await store.get('a/b/data.bin')), 'replaced');
    await store.delete('a/b/data.bin');
    assert.equal(await store.get('a/b/data.bin'), undefined);
    await store.delete('a/b/data.bin'); // absent: not an error
  });

  t('range reads return exactly the bytes asked', async (store) => {
    const bytes = new Uint8Array(10_000).map((_, i) => i % 251);
    await store.put('r.bin', bytes);
    assert.deepEqual(await store.getRange('r.bin', 0, 4), bytes.slice(0, 4));
    assert.deepEqual(await store.getRange('r.bin', 9_992, 10_000), bytes.slice(9_992));
    assert.deepEqual(await store.getRange('r.bin', 1_234, 5_678), bytes.slice(1_234, 5_678));
    await assert.rejects(store.getRange('missing.bin', 0, 4), (e: unknown) => e instanceof ObjectStoreError && e.code === 'OBJECT_NOT_FOUND');
  });

  t('keys with spaces, unicode, percent signs and equals signs', async (store) => {
    const key = 'd=a%3Ab/é x+y (1)/part-0=ok.parquet';
    await store.put(key, 'v');
    assert.equal(new TextDecoder().decode(await store.get(key)), 'v');
    assert.deepEqual((await store.list('d=a%3Ab/')).map((o) => o.key), [key]);
  });

  t('list by prefix is recursive and sorted', async (store) => {
    for (const k of ['log/2.json', 'log/1.json', 'log/sub/3.json', 'logx/4.json', 'data/5.parquet']) await store.put(k, k);
    assert.deepEqual((await store.list('log/')).map((o) => o.key), ['log/1.json', 'log/2.json', 'log/sub/3.json']);
    assert.deepEqual((await store.list('log')).map((o) => o.key), ['log/1.json', 'log/2.json', 'log/sub/3.json', 'logx/4.json']);
    assert.deepEqual((await store.list('')).map((o) => o.key), ['data/5.parquet', 'log/1.json', 'log/2.json', 'log/sub/3.json', 'logx/4.json']);
    assert.deepEqual(await store.list('nothing/'), []);
    assert.equal((await store.list('log/'))[0].size, 'log/1.json'.length);
  });

  t('put-if-absent: the first wins, the second is refused and changes nothing', async (store) => {
    assert.equal(await store.putIfAbsent('_delta_log/00000000000000000000.json', 'first'), true);
    assert.equal(await store.putIfAbsent('_delta_log/00000000000000000000.json', 'second'), false);
    assert.equal(new TextDecoder().decode(await store.get('_delta_log/00000000000000000000.json')), 'first');
  });

  t('put-if-absent race: of 8 concurrent writers exactly one wins, and its bytes are stored', async (store) => {
    for (let round = 0; round < 3; round++) {
      const key = `race/${round}-${randomUUID()}.json`;
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => store.putIfAbsent(key, `writer ${i}`)));
      const winners = results.flatMap((won, i) => (won ? [i] : []));
      assert.equal(winners.length, 1, `round ${round}: winners ${winners.join(',')}`);
      assert.equal(new TextDecoder().decode(await store.get(key)), `writer ${winners[0]}`);
    }
  });

  t('keys that would leave the root are refused', async (store) => {
    for (const key of ['../x', 'a/../../x', '/abs', 'a//b', 'a/./b', '']) {
      await assert.rejects(store.put(key, 'x'), (e: unknown) => e instanceof ObjectStoreError && e.code === 'OBJECT_KEY_INVALID', key);
      await assert.rejects(store.get(key), (e: unknown) => e instanceof ObjectStoreError && e.code === 'OBJECT_KEY_INVALID', key);
    }
  });
}
