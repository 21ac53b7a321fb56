/**
 * The bus's snapshots: each a subscription's acked offsets at its creation (`<dir>/snapshots/<name>.json`), kept in
 * memory and on disk together. open-bus.ts decides what goes in one (createSnapshot) and what seeking to one does;
 * this keeps the catalogue: load, add, find, list, delete, and which have expired.
 * @example
 *   const snapshots = SnapshotCatalog.load(store);
 *   snapshots.add({ info, acked: sub.ackedRanges() });
 *   snapshots.expired(clock.now()) // names to delete
 */
import { rmSync } from 'node:fs';
import type { SnapshotInfo } from './bus-api.ts';
import type { BusStore } from './bus-store.ts';

/** A snapshot as stored: its info and the subscription's acked offset ranges. */
export interface SnapshotRecord {
  info: SnapshotInfo;
  acked: Array<[number, number]>;
}

export class SnapshotCatalog {
  private readonly records = new Map<string, SnapshotRecord>();

  private constructor(private readonly store: BusStore) {}

  /** The snapshots stored under the bus directory. */
  static load(store: BusStore): SnapshotCatalog {
    const catalog = new SnapshotCatalog(store);
    for (const name of store.listSnapshots()) {
      const rec = store.readJson<SnapshotRecord>(store.snapshotPath(name));
      if (rec) catalog.records.set(name, rec);
    }
    return catalog;
  }

  has(name: string): boolean {
    return this.records.has(name);
  }

  get(name: string): SnapshotRecord | undefined {
    return this.records.get(name);
  }

  /** Stores a new snapshot (written atomically, then listed). */
  add(rec: SnapshotRecord): void {
    this.store.writeJson(this.store.snapshotPath(rec.info.name), rec);
    this.records.set(rec.info.name, rec);
  }

  /** Removes a snapshot; false if there is none of that name. */
  delete(name: string): boolean {
    if (!this.records.delete(name)) return false;
    rmSync(this.store.snapshotPath(name), { force: true });
    return true;
  }

  /** Every snapshot's info, by name. */
  list(): SnapshotInfo[] {
    return [...this.records.values()].map((s) => s.info).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** The names of the snapshots expired at `now`. */
  expired(now: number): string[] {
    return [...this.records].filter(([, s]) => s.info.expireTime <= now).map(([name]) => name);
  }
}
