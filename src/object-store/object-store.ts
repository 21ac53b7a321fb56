/**
 * The object-store port: what the lakehouse (and later file I/O, checkpoints and the orchestrator's logs) needs from
 * storage, whether a local directory, an S3-compatible bucket or an Azure Blob container. Keys are `/`-separated,
 * relative to the store's root, never starting with `/`; a missing object reads as `undefined`, never as an error.
 */
import { RiffleError } from '../model/index.ts';

/**
 * What a listing or `head` says of an object.
 *
 * @example
 * const meta = await store.head('_delta_log/00000000000000000000.json'); // { key, size: 812, lastModified: 1765… }
 */
export interface ObjectMeta {
  readonly key: string;
  readonly size: number;
  /** Milliseconds since the epoch (a Delta commit's timestamp when the commit has none inside). */
  readonly lastModified: number;
}

/**
 * Storage addressed by key: the operations Delta's log and data files need, with put-if-absent for commits.
 *
 * @example
 * const store = openObjectStore('s3://lake/events');
 * if (!(await store.putIfAbsent('_delta_log/00000000000000000003.json', bytes))) console.log('version 3 was taken');
 */
export interface ObjectStore {
  /** Where the store is (`s3://bucket/prefix`, `/data/t`): for messages, never holds a secret. */
  readonly url: string;
  /** The whole object, or undefined if absent. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Bytes `[start, end)` of an object (throws `OBJECT_NOT_FOUND` if absent: ranges are read after a `head`). */
  getRange(key: string, start: number, end: number): Promise<Uint8Array>;
  /** Size and modification time, or undefined if absent. */
  head(key: string): Promise<ObjectMeta | undefined>;
  /** Writes an object, replacing any existing one; readers see the old or the new object whole. */
  put(key: string, data: Uint8Array | string): Promise<void>;
  /**
   * Writes an object only if none exists under `key` (S3 `If-None-Match: *`, Azure's conditional create, a hard link
   * locally). Returns false when one existed: of two racing writers exactly one gets true.
   */
  putIfAbsent(key: string, data: Uint8Array | string): Promise<boolean>;
  /** Every object whose key starts with `prefix` (recursively), sorted by key. */
  list(prefix: string): Promise<ObjectMeta[]>;
  /** Deletes an object; an absent one is not an error. */
  delete(key: string): Promise<void>;
}

/**
 * A storage operation failed (the service refused it, the network failed, the configuration is incomplete). The
 * message names the operation, the object and the service's answer — never a credential.
 *
 * @example
 * try { await store.get('k'); } catch (e) { if (e instanceof ObjectStoreError) console.log(e.code, e.status); }
 */
export class ObjectStoreError extends RiffleError {
  /** The HTTP status of the service's answer, when there was one. */
  readonly status: number | undefined;
  constructor(code: string, message: string, opts: { status?: number; hint?: string; cause?: unknown; domain?: 'user' | 'external' } = {}) {
    super(code, message, { domain: opts.domain ?? 'external', hint: opts.hint, cause: opts.cause, context: opts.status !== undefined ? { status: opts.status } : {} });
    this.status = opts.status;
  }
}

/** Converts a string body to bytes (UTF-8). */
export function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? new TextEncoder().encode(data) : data;
}

/**
 * Checks a key: relative, `/`-separated, no empty, `.` or `..` segment, no NUL or backslash — so that no key leaves
 * the store's root. Returns the key; throws `OBJECT_KEY_INVALID` otherwise.
 *
 * @example
 * checkKey('_delta_log/00000000000000000000.json'); // ok
 * checkKey('../secret');                            // throws
 */
export function checkKey(key: string, allowEmpty = false): string {
  if (key === '' && allowEmpty) return key;
  const bad = typeof key !== 'string' || key === '' || key.startsWith('/') || key.includes('\0') || key.includes('\\')
    || key.split('/').some((s, i, all) => s === '..' || s === '.' || (s === '' && !(allowEmpty && i === all.length - 1)));
  if (bad) {
    throw new ObjectStoreError('OBJECT_KEY_INVALID', `object key '${String(key).slice(0, 200)}' is not a relative path inside the store (no leading '/', no empty, '.' or '..' segment, no backslash or NUL)`, { domain: 'user' });
  }
  return key;
}

/**
 * Removes credentials from a text before it goes into an error message: SAS signatures, account keys, access-key ids
 * and secrets given in connection strings or URLs.
 *
 * @example
 * redact('AccountName=a;AccountKey=c2VjcmV0'); // 'AccountName=a;AccountKey=***'
 */
export function redact(text: string): string {
  return text
    .replace(/(AccountKey|SharedAccessSignature|sig|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|Credential)=([^;&\s,"']+)/gi, '$1=***')
    .replace(/Authorization[:=][^\n]*/gi, 'Authorization: ***');
}
