/**
 * A store seen from a key prefix (a table inside a bucket): keys are relative to the prefix and cannot leave it.
 */
import { checkKey, type ObjectMeta, type ObjectStore } from './object-store.ts';

/**
 * `inner` with every key under `prefix/`.
 *
 * @example
 * const table = new PrefixedObjectStore(bucketStore, 'warehouse/events', 's3://lake/warehouse/events');
 * await table.get('_delta_log/00000000000000000000.json'); // bucket key warehouse/events/_delta_log/…
 */
export class PrefixedObjectStore implements ObjectStore {
  readonly url: string;
  readonly inner: ObjectStore;
  readonly prefix: string;

  constructor(inner: ObjectStore, prefix: string, url: string) {
    this.inner = inner;
    this.prefix = prefix;
    this.url = url;
  }

  #key(key: string): string {
    checkKey(key);
    return this.prefix === '' ? key : `${this.prefix}/${key}`;
  }

  async get(key: string): Promise<Uint8Array | undefined> { return this.inner.get(this.#key(key)); }
  async getRange(key: string, start: number, end: number): Promise<Uint8Array> { return this.inner.getRange(this.#key(key), start, end); }
  async head(key: string): Promise<ObjectMeta | undefined> {
    const meta = await this.inner.head(this.#key(key));
    return meta === undefined ? undefined : { ...meta, key };
  }
  async put(key: string, data: Uint8Array | string): Promise<void> { return this.inner.put(this.#key(key), data); }
  async putIfAbsent(key: string, data: Uint8Array | string): Promise<boolean> { return this.inner.putIfAbsent(this.#key(key), data); }
  async list(prefix: string): Promise<ObjectMeta[]> {
    if (prefix !== '') checkKey(prefix, true);
    const base = this.prefix === '' ? '' : `${this.prefix}/`;
    const found = await this.inner.list(base + prefix);
    return found.map((m) => ({ ...m, key: m.key.slice(base.length) }));
  }
  async delete(key: string): Promise<void> { return this.inner.delete(this.#key(key)); }
}
