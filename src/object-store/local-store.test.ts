import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalObjectStore } from './local-store.ts';
import { ObjectStoreError } from './object-store.ts';
import { openObjectStore } from './open-store.ts';
import { runObjectStoreSuite } from './store-suite.ts';

runObjectStoreSuite('local', async () => new LocalObjectStore(mkdtempSync(join(tmpdir(), 'riffle-store-'))));

const isLinkError = (e: unknown): boolean => e instanceof ObjectStoreError && e.code === 'OBJECT_KEY_INVALID' && /symbolic link/.test(e.message);

test('local: symbolic links under the root are never followed', async () => {
  const root = mkdtempSync(join(tmpdir(), 'riffle-store-'));
  const outside = mkdtempSync(join(tmpdir(), 'riffle-outside-'));
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  symlinkSync(join(outside, 'secret.txt'), join(root, 'file-link'));
  symlinkSync(outside, join(root, 'dir-link'));
  const store = new LocalObjectStore(root);
  await assert.rejects(store.get('file-link'), isLinkError);
  await assert.rejects(store.getRange('file-link', 0, 2), isLinkError);
  await assert.rejects(store.head('file-link'), isLinkError);
  await assert.rejects(store.get('dir-link/secret.txt'), isLinkError);
  await assert.rejects(store.put('dir-link/new.txt', 'x'), isLinkError);
  assert.deepEqual(readdirSync(outside), ['secret.txt'], 'nothing was written through the link');
  assert.deepEqual((await store.list('')).map((o) => o.key), [], 'links are not listed');
});

test('local: a failed put-if-absent leaves no temporary file', async () => {
  const root = mkdtempSync(join(tmpdir(), 'riffle-store-'));
  const store = new LocalObjectStore(root);
  mkdirSync(join(root, 'log'));
  assert.equal(await store.putIfAbsent('log/0.json', 'a'), true);
  assert.equal(await store.putIfAbsent('log/0.json', 'b'), false);
  assert.deepEqual(readdirSync(join(root, 'log')), ['0.json']);
});

test('openObjectStore: local paths and file URLs are directories; other schemes are refused clearly', async () => {
  const root = mkdtempSync(join(tmpdir(), 'riffle-store-'));
  await openObjectStore(`file://${root}`).put('x.txt', 'x');
  assert.equal(new TextDecoder().decode(await openObjectStore(root).get('x.txt')), 'x');
  assert.throws(() => openObjectStore('gs://bucket/t'), (e: unknown) => e instanceof ObjectStoreError && e.code === 'OBJECT_STORE_UNSUPPORTED' && /put-if-absent/.test(e.message));
  assert.throws(() => openObjectStore('ftp://host/t'), (e: unknown) => e instanceof ObjectStoreError && e.code === 'OBJECT_STORE_URL');
});
