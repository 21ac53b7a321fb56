/**
 * A job's checkpoints in an object store (`riffle run --checkpoint-dir s3://bucket/jobs/orders`), in the layout of the
 * local checkpoint directory: `chk-<id>/<part>` objects first, then `chk-<id>/_metadata`, whose existence makes the
 * checkpoint complete. One PUT per object: a reader sees a part or the metadata whole or not at all, so a process
 * killed mid-checkpoint leaves a `chk-<id>/` without `_metadata`, which the next run ignores and removes — as locally.
 *
 * It has the shape of the runner's `CheckpointStorage` (structurally: the runner exports no storage type, and this
 * folder must not reach into its internals); `riffle run` passes it as `checkpointStorage`.
 */
import type { ObjectStore } from './object-store.ts';

const CHECKPOINT = /^chk-(\d{1,15})\//;
const METADATA = '_metadata';

/**
 * Checkpoints under a store's root.
 *
 * @example
 * const storage = new ObjectStoreCheckpointStorage(openObjectStore('s3://lake/checkpoints/orders'));
 * await new LocalRunner().run(p.graph, { checkpointDir: storage.describe(), checkpointStorage: storage, checkpointIntervalMs: 10_000 });
 */
export class ObjectStoreCheckpointStorage {
  readonly store: ObjectStore;

  constructor(store: ObjectStore) {
    this.store = store;
  }

  describe(): string {
    return this.store.url;
  }

  async writePart(id: number, name: string, bytes: Uint8Array): Promise<void> {
    checkName(name);
    await this.store.put(`chk-${id}/${name}`, bytes);
  }

  async complete(id: number, metadata: Uint8Array): Promise<void> {
    await this.store.put(`chk-${id}/${METADATA}`, metadata);
  }

  async ids(): Promise<number[]> {
    const ids = new Set<number>();
    for (const o of await this.store.list('chk-')) {
      const m = CHECKPOINT.exec(o.key);
      if (m) ids.add(Number(m[1]));
    }
    return [...ids].sort((a, b) => a - b);
  }

  readMetadata(id: number): Promise<Uint8Array | undefined> {
    return this.store.get(`chk-${id}/${METADATA}`);
  }

  readPart(id: number, name: string): Promise<Uint8Array | undefined> {
    checkName(name);
    return this.store.get(`chk-${id}/${name}`);
  }

  async remove(id: number): Promise<void> {
    // The metadata first: a checkpoint half removed is then an incomplete one, never a complete one missing parts.
    await this.store.delete(`chk-${id}/${METADATA}`);
    for (const o of await this.store.list(`chk-${id}/`)) await this.store.delete(o.key);
  }
}

function checkName(name: string): void {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(name) || name.startsWith('.') || name === METADATA) throw new Error(`internal: checkpoint part name '${name}'`);
}
