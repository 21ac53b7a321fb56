/**
 * Object-store URLs: `s3://bucket/prefix` (also `s3a://`), `az://container/prefix` (also `azure://`, and
 * `abfs[s]://container@account.dfs.core.windows.net/prefix` as Spark and delta-rs spell it), local paths and
 * `file://` URLs. `gs://` is refused with an explanation (see README: GCS's S3-interoperable API has no put-if-absent
 * that Delta commits could rely on through the S3 protocol).
 */
import { ObjectStoreError } from './object-store.ts';

/**
 * A parsed object-store URL.
 *
 * @example
 * parseStoreUrl('s3://lake/events'); // { scheme: 's3', bucket: 'lake', prefix: 'events' }
 */
export interface StoreUrl {
  readonly scheme: 's3' | 'az';
  /** The bucket (S3) or container (Azure). */
  readonly bucket: string;
  /** Key prefix inside it, without leading or trailing '/' ('' for the whole bucket). */
  readonly prefix: string;
  /** The Azure account named by an `abfss://container@account…` URL. */
  readonly account?: string;
}

const OBJECT_URL = /^(s3|s3a|az|azure|abfs|abfss|gs):\/\//i;

/**
 * Whether a location names an object store (rather than a local path).
 *
 * @example
 * isObjectStoreUrl('s3://lake/t'); // true
 * isObjectStoreUrl('/data/t');     // false
 */
export function isObjectStoreUrl(location: string): boolean {
  return OBJECT_URL.test(location);
}

/**
 * Parses an object-store URL. Throws `OBJECT_STORE_URL` for a malformed one and `OBJECT_STORE_UNSUPPORTED` for
 * `gs://`.
 *
 * @example
 * parseStoreUrl('abfss://lake@acct.dfs.core.windows.net/t'); // { scheme: 'az', bucket: 'lake', prefix: 't', account: 'acct' }
 */
export function parseStoreUrl(url: string): StoreUrl {
  const m = /^([a-z0-9]+):\/\/([^/]*)\/?(.*)$/i.exec(url);
  if (!m || !OBJECT_URL.test(url)) throw new ObjectStoreError('OBJECT_STORE_URL', `'${url.slice(0, 200)}' is not an object-store URL`, { domain: 'user', hint: 'use s3://bucket/path, az://container/path or abfss://container@account.dfs.core.windows.net/path' });
  const scheme = m[1].toLowerCase();
  const authority = m[2];
  const prefix = m[3].replace(/\/+$/, '');
  if (scheme === 'gs') {
    throw new ObjectStoreError('OBJECT_STORE_UNSUPPORTED', `Google Cloud Storage (${url.slice(0, 200)}) is not supported yet`, {
      domain: 'user',
      hint: "Delta commits need put-if-absent, which GCS offers only in its own API (x-goog-if-generation-match: 0), not through its S3-interoperable endpoint; until Riffle speaks the GCS JSON API, use S3 or Azure Blob",
    });
  }
  if (authority === '') throw new ObjectStoreError('OBJECT_STORE_URL', `'${url.slice(0, 200)}' names no bucket or container`, { domain: 'user', hint: 'write it as s3://bucket/path or az://container/path' });
  if (/[?#]/.test(url)) throw new ObjectStoreError('OBJECT_STORE_URL', `'${url.slice(0, 200)}' has a query or fragment`, { domain: 'user', hint: 'credentials and options come from environment variables, not the URL' });
  if (prefix !== '' && prefix.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    throw new ObjectStoreError('OBJECT_STORE_URL', `'${url.slice(0, 200)}' has an empty, '.' or '..' path segment`, { domain: 'user' });
  }
  if (scheme === 's3' || scheme === 's3a') return { scheme: 's3', bucket: authority, prefix };
  if (scheme === 'abfs' || scheme === 'abfss') {
    const at = /^([^@]+)@([^.]+)\.(?:dfs|blob)\.[^/]+$/.exec(authority);
    if (!at) throw new ObjectStoreError('OBJECT_STORE_URL', `'${url.slice(0, 200)}' is not container@account.dfs.core.windows.net`, { domain: 'user' });
    return { scheme: 'az', bucket: at[1], prefix, account: at[2] };
  }
  return { scheme: 'az', bucket: authority, prefix };
}

/**
 * The URL of a key in a parsed store URL's bucket, in Riffle's canonical spelling (`s3://` or `az://`).
 *
 * @example
 * objectUrl({ scheme: 's3', bucket: 'lake', prefix: '' }, 't/part-0.parquet'); // 's3://lake/t/part-0.parquet'
 */
export function objectUrl(store: StoreUrl, key: string): string {
  return `${store.scheme}://${store.bucket}/${key}`;
}
