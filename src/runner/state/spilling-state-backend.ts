/**
 * The spilling state backend: the in-memory backend while within its budget; past it, `flush()` (the engine awaits
 * it at bundle boundaries) moves cold keys to disk. Strategy:
 *   1. Pick victims with a clock of second chances: keys not touched since the last sweep first, then any, until
 *      the bytes in memory drop to half the budget.
 *   2. Encode each victim's cells through their tags' coders and write them, sorted by (key group, key bytes), as one
 *      run (a Bloom filter and a sparse index per run answer lookups). A key left empty that has an older copy on
 *      disk is written as a tombstone. Watermark hold cells stay in memory (tiny), so the engine's bookkeeping keyed
 *      by them survives; keys whose state has no coder stay in memory (counted as pinned).
 *   3. A key accessed again is read back from the newest run holding it (its cells stay encoded until a tag asks).
 *   4. Past `maxRuns` runs, all runs are merged into one: the newest copy of each key wins, tombstones and dropped
 *      key groups disappear.
 * Run files live in a SpillDirectory (0700, files created exclusively, never through links), removed on close.
 * @example
 *   const backend = new SpillingStateBackend({ budget: worker.child('state', 0.5), defaultCoder: structuredStateCoder() });
 *   ... backend.forKey(g, keyBytes).state(ns, tag) ...
 *   if (backend.needsFlush) await backend.flush();
 */
import { ByteWriter } from '../../model/index.ts';
import { RunMerger } from './run-merge.ts';
import { type Run, RunWriter } from './run-file.ts';
import { holdKey, KEY_STATE_BYTES, KeyState, NAMESPACE_BYTES } from './key-state.ts';
import type { MemoryBudget } from './memory-budget.ts';
import { SpillDirectory } from './spill-directory.ts';
import { HoldCell } from './state-cells.ts';
import { InMemoryStateBackend, type StateBackendMetrics, type StateBackendOptions } from './state-backend.ts';
import { StateNotEncodableError } from './state-tags.ts';

export interface SpillingStateBackendOptions extends StateBackendOptions {
  budget: MemoryBudget;
  /** A SpillDirectory to use, or a parent directory for a fresh one (default: the OS temp directory). */
  spillDir?: SpillDirectory | string;
  /** Runs kept before they are merged into one (default 8). */
  maxRuns?: number;
}

interface StateRun {
  run: Run;
  /** Key groups dropped after this run was written: its records of them are ignored. */
  dropped: Set<number>;
  /** Key groups the run holds records of. */
  groups: Set<number>;
}

/** Run keys: the key group as two big-endian bytes, then the key bytes; runs sort by group, then key. */
function runKey(keyGroup: number, key: string): string {
  return String.fromCharCode(keyGroup >>> 8, keyGroup & 0xff) + key;
}
function groupOfRunKey(k: string): number {
  return (k.charCodeAt(0) << 8) | k.charCodeAt(1);
}

export class SpillingStateBackend extends InMemoryStateBackend {
  private readonly runs: StateRun[] = [];
  private dir: SpillDirectory | undefined;
  private readonly ownsDir: boolean;
  /** Hold cells of keys on disk, by run key then namespace/tag: they keep their identity across spills. */
  private readonly residentHolds = new Map<string, Map<string, HoldCell>>();
  private spilled = 0;
  private runsWritten = 0;
  private pinned = 0;
  private readonly maxRuns: number;
  declare protected readonly options: SpillingStateBackendOptions;

  constructor(options: SpillingStateBackendOptions) {
    super(options);
    this.ownsDir = !(options.spillDir instanceof SpillDirectory);
    if (options.spillDir instanceof SpillDirectory) this.dir = options.spillDir;
    this.maxRuns = Math.max(1, options.maxRuns ?? 8);
  }

  private directory(): SpillDirectory {
    if (this.dir === undefined) this.dir = SpillDirectory.create(typeof this.options.spillDir === 'string' ? this.options.spillDir : undefined);
    return this.dir;
  }

  /** Runs on disk now. */
  get runCount(): number {
    return this.runs.length;
  }

  protected override load(keyGroup: number, key: string): KeyState | undefined {
    if (this.runs.length === 0) return undefined;
    const rk = runKey(keyGroup, key);
    for (let i = this.runs.length - 1; i >= 0; i--) {
      const r = this.runs[i]!;
      if (r.dropped.has(keyGroup)) continue;
      const payload = r.run.lookup(rk);
      if (payload === undefined) continue;
      const ks = new KeyState(keyGroup, key);
      ks.onDisk = true;
      this.acct.adjust(KEY_STATE_BYTES + key.length);
      const resident = this.residentHolds.get(rk);
      if (resident) this.residentHolds.delete(rk);
      ks.decodeInto(payload, this.acct, this.holdListener(ks), resident);
      return ks;
    }
    return undefined;
  }

  override async flush(): Promise<void> {
    this.sweepEmpty();
    if (this.bytes > this.options.budget.limit) {
      const steps = this.evictSteps(this.options.budget.limit / 2, true);
      for (let s = steps.next(); !s.done; s = steps.next()) await s.value.drain();
    }
    this.syncBudget();
  }

  /** `flush` done synchronously: for callers outside a bundle loop (restore, tests). */
  spillSync(): void {
    this.sweepEmpty();
    if (this.bytes > this.options.budget.limit) for (const _ of this.evictSteps(this.options.budget.limit / 2, false));
    this.syncBudget();
  }

  /** Eviction (steps 1–4 above); yields its writer whenever queued blocks should be written (asynchronous mode). */
  private *evictSteps(target: number, async: boolean): Generator<RunWriter, void> {
    // 1. Victims: untouched keys first (clearing touch bits as the clock passes), then any.
    const chosen = new Set<KeyState>();
    let freed = 0;
    const need = this.bytes - target;
    for (let pass = 0; pass < 2 && freed < need; pass++) {
      for (const group of this.groups.values()) {
        for (const ks of group.values()) {
          if (freed >= need) break;
          if (pass === 0 && ks.touched) {
            ks.touched = false;
            continue;
          }
          if (chosen.has(ks)) continue;
          chosen.add(ks);
          freed += this.sizeOf(ks);
        }
      }
    }
    if (chosen.size === 0) return;
    // 2. Encode in run-key order; keys that cannot be encoded stay (pinned).
    const entries = [...chosen].map((ks) => ({ ks, rk: runKey(ks.keyGroup, ks.key) })).sort((a, b) => (a.rk < b.rk ? -1 : a.rk > b.rk ? 1 : 0));
    const writer = new RunWriter(this.directory().newFile('state'), { bloom: true, async });
    const w = new ByteWriter();
    const written: KeyState[] = [];
    const groups = new Set<number>();
    this.pinned = 0;
    for (const { ks, rk } of entries) {
      const hasData = ks.hasData();
      if (!hasData && !ks.onDisk) {
        this.removeKey(ks, false);
        continue;
      }
      w.length = 0;
      try {
        if (hasData) this.encodeKey(ks, w);
        else w.varUint(0);
      } catch (e) {
        if (!(e instanceof StateNotEncodableError)) throw e;
        this.pinned++;
        ks.touched = true;
        continue;
      }
      writer.add(rk, w.toBytes());
      written.push(ks);
      groups.add(ks.keyGroup);
      if (async && writer.pendingBytes >= 4 << 20) yield writer;
    }
    if (written.length === 0) {
      writer.abort();
      return;
    }
    if (async) yield writer;
    this.addRun(writer.finish(), groups);
    // 3. Out of memory, keeping live hold cells resident (their identity is the engine's handle on them).
    for (const ks of written) {
      const holds = new Map<string, HoldCell>();
      for (const [ns, cells] of ks.namespaces) {
        for (const [id, slot] of cells) {
          if (slot instanceof HoldCell && slot.hasData()) {
            holds.set(holdKey(ns, id), slot);
            cells.delete(id);
          }
        }
      }
      if (holds.size > 0) this.residentHolds.set(runKey(ks.keyGroup, ks.key), holds);
      this.removeKey(ks, true);
    }
    // 4. Too many runs: merge them all.
    if (this.runs.length > this.maxRuns) this.compact();
  }

  private addRun(run: Run, groups: Set<number>): void {
    this.runs.push({ run, dropped: new Set(), groups });
    this.spilled += run.bytes;
    this.runsWritten++;
    this.options.budget.recordSpill(run.bytes);
  }

  private sizeOf(ks: KeyState): number {
    let n = KEY_STATE_BYTES + ks.key.length + NAMESPACE_BYTES * ks.namespaces.size;
    for (const cells of ks.namespaces.values()) for (const slot of cells.values()) n += 'encoded' in slot ? KeyState.encodedSize(slot) : slot.size;
    return n;
  }

  /** Merges every run into one: the newest copy of each key wins; tombstones and dropped key groups go. */
  compact(): void {
    if (this.runs.length <= 1) return;
    const old = this.runs.splice(0);
    const writer = new RunWriter(this.directory().newFile('state'), { bloom: true });
    const merger = new RunMerger(old.map((r) => r.run.cursor()));
    const groups = new Set<number>();
    for (let k = merger.nextKey(); k !== undefined; k = merger.nextKey()) {
      let newest: Buffer | undefined;
      const g = groupOfRunKey(k);
      while (merger.nextRecord()) if (!old[merger.runIndex]!.dropped.has(g)) newest = merger.cursor!.payload();
      if (newest === undefined || (newest.length === 1 && newest[0] === 0)) continue;
      writer.add(k, Buffer.from(newest));
      groups.add(g);
    }
    const run = writer.finish();
    for (const r of old) {
      r.run.close();
      this.directory().remove(r.run.path);
    }
    this.addRun(run, groups);
  }

  protected override *entries(keyGroup: number): Generator<{ key: string; state?: KeyState; payload?: Uint8Array }> {
    const group = this.groups.get(keyGroup);
    const memKeys = group ? [...group.keys()].sort() : [];
    let mi = 0;
    const live = this.runs.filter((r) => !r.dropped.has(keyGroup));
    const prefix = runKey(keyGroup, '');
    const merger = new RunMerger(live.map((r) => r.run.cursor(undefined, prefix)));
    let k = merger.nextKey();
    while (k !== undefined && k < prefix) k = merger.nextKey();
    const fromRuns = (): { key: string; payload: Uint8Array } | undefined => {
      while (k !== undefined && groupOfRunKey(k) === keyGroup) {
        let newest: Buffer | undefined;
        while (merger.nextRecord()) newest = merger.cursor!.payload();
        const key = k.slice(2);
        k = merger.nextKey();
        if (group?.has(key)) continue; // memory is newer
        if (newest === undefined || (newest.length === 1 && newest[0] === 0)) continue;
        return { key, payload: Buffer.from(newest) };
      }
      return undefined;
    };
    let disk = fromRuns();
    for (;;) {
      const mk = mi < memKeys.length ? memKeys[mi] : undefined;
      if (mk === undefined && disk === undefined) return;
      if (disk === undefined || (mk !== undefined && mk < disk.key)) {
        mi++;
        const ks = group!.get(mk!)!;
        if (ks.hasData()) yield { key: mk!, state: ks };
      } else {
        yield disk;
        disk = fromRuns();
      }
    }
  }

  override keyGroups(): number[] {
    const groups = new Set(super.keyGroups());
    for (const r of this.runs) {
      for (const g of r.groups) if (!groups.has(g) && !r.dropped.has(g) && !this.entries(g).next().done) groups.add(g);
    }
    return [...groups].sort((a, b) => a - b);
  }

  override dropKeyGroup(keyGroup: number): void {
    super.dropKeyGroup(keyGroup);
    for (const r of this.runs) r.dropped.add(keyGroup);
    const prefix = runKey(keyGroup, '');
    for (const [rk, holds] of [...this.residentHolds]) {
      if (!rk.startsWith(prefix)) continue;
      this.residentHolds.delete(rk);
      for (const h of holds.values()) {
        h.clear();
        h.detach();
      }
    }
  }

  override restore(keyGroup: number, bytes: Uint8Array): void {
    super.restore(keyGroup, bytes);
    this.spillSync();
  }

  override metrics(): StateBackendMetrics {
    const m = super.metrics();
    return { ...m, bytesSpilled: this.spilled, runsWritten: this.runsWritten, limit: this.options.budget.limit, pinnedKeys: this.pinned };
  }

  override close(): void {
    if (this.closed) return;
    super.close();
    for (const r of this.runs) r.run.close();
    if (this.dir !== undefined) {
      if (this.ownsDir) this.dir.close();
      else for (const r of this.runs) this.dir.remove(r.run.path);
    }
    this.runs.length = 0;
    this.residentHolds.clear();
  }
}

