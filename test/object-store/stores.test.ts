// The object-store conformance suite on moto's S3 server and on Azurite, plus what only a real service shows:
// configuration errors that never print a secret, and put-if-absent racing across bucket clients.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ObjectStoreError, openObjectStore, S3ObjectStore } from '../../src/object-store/index.ts';
import { runObjectStoreSuite } from '../../src/object-store/store-suite.ts';
import { AZURE_SKIP, azureEnv, freshAzureUrl, freshS3Url, S3_SKIP, s3Env } from './servers.ts';

runObjectStoreSuite('s3 (moto)', async () => openObjectStore(await freshS3Url(), { env: s3Env() }), S3_SKIP);
runObjectStoreSuite('azure (azurite)', async () => openObjectStore(await freshAzureUrl(), { env: azureEnv() }), AZURE_SKIP);

test('s3: two separately configured clients race for one key: exactly one wins', S3_SKIP ? { skip: S3_SKIP } : {}, async () => {
  const url = await freshS3Url();
  for (let round = 0; round < 5; round++) {
    const a = openObjectStore(url, { env: s3Env(), s3: { region: 'us-east-1' } });
    const b = openObjectStore(url, { env: s3Env() });
    const key = `_delta_log/${String(round).padStart(20, '0')}.json`;
    const [wa, wb] = await Promise.all([a.putIfAbsent(key, 'a'), b.putIfAbsent(key, 'b')]);
    assert.equal(Number(wa) + Number(wb), 1, `round ${round}: a=${wa} b=${wb}`);
    assert.equal(new TextDecoder().decode(await a.get(key)), wa ? 'a' : 'b');
  }
});

test('s3: a wrong secret is refused with a message that holds neither key', S3_SKIP ? { skip: S3_SKIP } : {}, async () => {
  // moto accepts any credentials unless told otherwise: check only that a plain-HTTP endpoint needs AWS_ALLOW_HTTP and
  // that configuration errors never echo the secret.
  const env = { ...s3Env(), AWS_ALLOW_HTTP: undefined, AWS_SECRET_ACCESS_KEY: 'very-secret-value' };
  assert.throws(() => new S3ObjectStore('riffle-tier', {}, env), (e: unknown) => e instanceof ObjectStoreError && /AWS_ALLOW_HTTP/.test(e.message) && !e.message.includes('very-secret-value'));
  const missing = { ...s3Env(), AWS_SECRET_ACCESS_KEY: undefined };
  assert.throws(() => new S3ObjectStore('riffle-tier', {}, missing), (e: unknown) => e instanceof ObjectStoreError && e.code === 'OBJECT_STORE_CONFIG' && /AWS_SECRET_ACCESS_KEY/.test(e.message));
});

test('s3: a missing bucket is an error naming the bucket and what to do', S3_SKIP ? { skip: S3_SKIP } : {}, async () => {
  const store = openObjectStore('s3://riffle-no-such-bucket/t', { env: s3Env() });
  await assert.rejects(store.put('x', 'x'), (e: unknown) => e instanceof ObjectStoreError && e.status === 404 && /create the bucket riffle-no-such-bucket/.test(e.message));
});

test('azure: a bad account key never appears in the error', AZURE_SKIP ? { skip: AZURE_SKIP } : {}, async () => {
  const key = Buffer.from('not-the-real-key-0123456789').toString('base64');
  const env = { ...azureEnv(), AZURE_STORAGE_CONNECTION_STRING: undefined, AZURE_STORAGE_ACCOUNT_NAME: 'devstoreaccount1', AZURE_STORAGE_ACCOUNT_KEY: key,
    AZURE_STORAGE_ENDPOINT: (/BlobEndpoint=([^;]+)/.exec(azureEnv().AZURE_STORAGE_CONNECTION_STRING ?? '') ?? [])[1] };
  const store = openObjectStore(await freshAzureUrl(), { env });
  await assert.rejects(store.put('x', 'x'), (e: unknown) => e instanceof ObjectStoreError && e.status === 403 && !e.message.includes(key));
});

test('s3: a listing longer than one page (1,000 keys) is followed to its end', S3_SKIP ? { skip: S3_SKIP } : {}, async () => {
  const store = openObjectStore(await freshS3Url(), { env: s3Env() });
  const keys = Array.from({ length: 1_050 }, (_, i) => `_delta_log/${String(i).padStart(20, '0')}.json`);
  for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => store.put(k, '{}')));
  const listed = (await store.list('_delta_log/')).map((o) => o.key);
  assert.equal(listed.length, 1_050);
  assert.deepEqual(listed, keys);
});
