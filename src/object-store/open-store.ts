/**
 * Opening a store from a location: `s3://…`, `az://…`, `abfss://…` through their clients (one client per bucket and
 * configuration, shared), local paths and `file://` URLs as a directory. And the few operations the lakehouse does on
 * a whole location (a data file's URL or path): open for ranged reads, write, head, delete.
 */
import { createHash } from 'node:crypto';
import { stat, unlink } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type AzureOptions } from './azure-config.ts';
import { AzureObjectStore } from './azure-store.ts';
import { LocalObjectStore } from './local-store.ts';
import { checkKey, type ObjectStore, ObjectStoreError } from './object-store.ts';
import { PrefixedObjectStore } from './prefixed-store.ts';
import { type S3Options } from './s3-config.ts';
import { S3ObjectStore } from './s3-store.ts';
import { isObjectStoreUrl, parseStoreUrl } from './store-url.ts';

/**
 * Options of `openObjectStore`: per-service settings (each defaults to its environment variable) and the
 * environment to read (tests pass their own).
 *
 * @example
 * openObjectStore('s3://lake/t', { s3: { endpoint: 'http://127.0.0.1:9000', allowHttp: true } });
 */
export interface ObjectStoreOptions {
  readonly s3?: S3Options;
  readonly azure?: AzureOptions;
  readonly env?: NodeJS.ProcessEnv;
}

const ENV_KEYS = ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ALLOW_HTTP',
  'AZURE_STORAGE_CONNECTION_STRING', 'AZURE_STORAGE_ACCOUNT_NAME', 'AZURE_STORAGE_ACCOUNT_KEY', 'AZURE_STORAGE_ACCESS_KEY', 'AZURE_STORAGE_ENDPOINT'];
const buckets = new Map<string, ObjectStore>();

/** The store of a whole bucket or container, shared while its configuration (options, environment) is the same. */
function bucketStore(url: string, options: ObjectStoreOptions): { store: ObjectStore; prefix: string } {
  const parsed = parseStoreUrl(url);
  const env = options.env ?? process.env;
  // The cache key holds a digest of the configuration, never the secrets themselves.
  const digest = createHash('sha256').update(JSON.stringify([parsed.scheme, parsed.bucket, parsed.account, options.s3, options.azure, ENV_KEYS.map((k) => env[k])])).digest('hex');
  let store = buckets.get(digest);
  if (store === undefined) {
    store = parsed.scheme === 's3' ? new S3ObjectStore(parsed.bucket, options.s3, env) : new AzureObjectStore(parsed.bucket, options.azure, env, parsed.account);
    buckets.set(digest, store);
    if (buckets.size > 64) buckets.delete(buckets.keys().next().value as string);
  }
  return { store, prefix: parsed.prefix };
}

/**
 * The store rooted at a location: a bucket/container prefix for object-store URLs, a directory for local paths.
 * Clients load on the first request, so opening is cheap; configuration errors (missing credentials, plain HTTP
 * without AWS_ALLOW_HTTP) are thrown here.
 *
 * @example
 * const store = openObjectStore('s3://lake/warehouse/events');
 * const names = (await store.list('_delta_log/')).map((o) => o.key);
 */
export function openObjectStore(location: string, options: ObjectStoreOptions = {}): ObjectStore {
  if (!isObjectStoreUrl(location)) return new LocalObjectStore(localPath(location));
  const { store, prefix } = bucketStore(location, options);
  // The store keeps the location as given (trailing '/' dropped): an `abfss://container@account…` URL names the
  // account, which the locations of the table's files built from it must keep.
  return new PrefixedObjectStore(store, prefix, location.replace(/\/+$/, ''));
}

/** A local path or `file://` URL as a path. */
function localPath(location: string): string {
  if (/^file:/i.test(location)) {
    try {
      return fileURLToPath(location);
    } catch (cause) {
      throw new ObjectStoreError('OBJECT_STORE_URL', `'${location.slice(0, 200)}' is not a local file URL`, { domain: 'user', cause });
    }
  }
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(location)) {
    throw new ObjectStoreError('OBJECT_STORE_URL', `'${location.slice(0, 200)}' uses a scheme Riffle has no store for`, { domain: 'user', hint: 'use a local path, s3://bucket/path, az://container/path or abfss://container@account.dfs.core.windows.net/path' });
  }
  return location;
}

/**
 * The store of an object URL's bucket and the object's key in it.
 *
 * @example
 * const { store, key } = locateObject('s3://lake/t/part-0.parquet'); // key 't/part-0.parquet'
 */
export function locateObject(url: string, options: ObjectStoreOptions = {}): { store: ObjectStore; key: string } {
  // The key is taken as it is (it may hold '?', '#', '%': it is a name, not an encoded URL path).
  const m = /^([a-z0-9]+:\/\/[^/]+)\/(.+)$/i.exec(url);
  if (!m) throw new ObjectStoreError('OBJECT_STORE_URL', `'${url.slice(0, 200)}' names a bucket, not an object`, { domain: 'user' });
  const { store } = bucketStore(m[1], options);
  const parsed = parseStoreUrl(m[1]);
  const key = parsed.prefix === '' ? m[2] : `${parsed.prefix}/${m[2]}`;
  return { store, key: checkKey(key) };
}

/**
 * An object read by range: its size (from one HEAD) and a reader of `[start, end)`.
 *
 * @example
 * const src = await openObjectSource('s3://lake/t/part-0.parquet');
 * const footer = await src.read(src.size - 8, src.size);
 */
export async function openObjectSource(url: string): Promise<{ size: number; read(start: number, end: number): Promise<Uint8Array>; close(): Promise<void> }> {
  const { store, key } = locateObject(url);
  const meta = await store.head(key);
  // Absent reads as ENOENT, as a missing local file does, so readers keep one error path for both.
  if (meta === undefined) throw Object.assign(new Error(`ENOENT: no such object, open '${url.slice(0, 300)}'`), { code: 'ENOENT', path: url });
  return { size: meta.size, read: (start, end) => store.getRange(key, start, end), close: async () => undefined };
}

/**
 * Whether a file (local path) or object (URL) exists.
 *
 * @example
 * if (!(await locationExists('s3://lake/t/part-0.parquet'))) console.log('gone');
 */
export async function locationExists(location: string): Promise<boolean> {
  if (!isObjectStoreUrl(location)) return stat(location).then(() => true, () => false);
  const { store, key } = locateObject(location);
  return (await store.head(key)) !== undefined;
}

/**
 * Deletes a file (local path) or object (URL); an absent one is not an error.
 *
 * @example
 * await deleteLocation('az://lake/t/part-0.parquet');
 */
export async function deleteLocation(location: string): Promise<void> {
  if (!isObjectStoreUrl(location)) {
    await unlink(location).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'ENOENT') throw e; });
    return;
  }
  const { store, key } = locateObject(location);
  await store.delete(key);
}
