/**
 * Opening a store from a location: `s3://…`, `az://…`, `abfss://…` through their clients (one client per bucket and
 * configuration, shared), local paths and `file://` URLs as a directory. And the few operations the lakehouse does on
 * a whole location (a data file's URL or path): open for ranged reads, write, head, delete.
 */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type AzureOptions } from './azure-config.ts';
import { AzureObjectStore } from './azure-store.ts';
import { LocalObjectStore } from './local-store.ts';
import { type ObjectStore, ObjectStoreError } from './object-store.ts';
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
  const parsed = parseStoreUrl(location);
  return prefix === '' ? store : new PrefixedObjectStore(store, prefix, `${parsed.scheme}://${parsed.bucket}/${prefix}`);
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
  const { store, prefix } = bucketStore(url, options);
  if (prefix === '') throw new ObjectStoreError('OBJECT_STORE_URL', `'${url.slice(0, 200)}' names a bucket, not an object`, { domain: 'user' });
  return { store, key: prefix };
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
  if (meta === undefined) throw new ObjectStoreError('OBJECT_NOT_FOUND', `object ${url.slice(0, 300)} does not exist`, { status: 404 });
  return { size: meta.size, read: (start, end) => store.getRange(key, start, end), close: async () => undefined };
}
