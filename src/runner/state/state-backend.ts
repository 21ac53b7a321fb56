/**
 * The state backend port: keyed state addressed by (key group, key bytes, namespace, tag). `forKey` gives the per-key
 * `StateInternals` view the semantics layer uses; the backend adds what the runner and checkpoints need: the keys of
 * a key group, dropping a key group, snapshot/restore of a key group as bytes (key groups are the unit of
 * checkpoints and rescaling), byte-size accounting, and a flush the engine awaits at bundle boundaries.
 *
 * Contract for callers: cell objects returned by `state()` are valid until the next `flush()` (a spilling backend
 * may move cold keys to disk there); take them again from the view after a flush. Views stay valid.
 *
 * Implementations: `InMemoryStateBackend` (this file: objects by reference, sizes estimated) and
 * `SpillingStateBackend` (cold keys encoded to sorted runs on disk past its budget). Both pass
 * `runKeyedStateBackendSuite`.
 * @example
 *   const backend = new InMemoryStateBackend({ onHoldChanged: (ref, ns, id, prev, next) => ... });
 *   const s = backend.forKey(keyGroupOf(keyBytes, 128), keyBytes);
 *   s.state('global', codedStateTags.value('count', coders.varInt())).write(1);
 *   const bytes = backend.snapshot(7); other.restore(7, bytes);
 *   await backend.flush();     // at a bundle boundary
 */
import { ByteReader, ByteWriter, type Coder, type Instant, RiffleError } from '../../model/index.ts';
import type { StateInternals, StateTag } from '../../semantics/index.ts';
import { latin1 } from './spilling-buffer.ts';
import { corrupt, createCell, decodeSlot, holdKey, KEY_STATE_BYTES, type KeyHoldListener, KeyState, NAMESPACE_BYTES, type Slot } from './key-state.ts';
import type { MemoryBudget, MemoryMetrics } from './memory-budget.ts';
import { type Accountant, type AnyCell, type CellHoldListener, type CellKind, HoldCell, resolvedCoders, type ResolvedCoders } from './state-cells.ts';
import type { AnyStateTag, TagCoders } from './state-tags.ts';

/** Which key a state belongs to: its key group and its key's bytes as a latin1 string. */
export interface StateKeyRef {
  readonly keyGroup: number;
  readonly key: string;
}

/**
 * Called when a watermark hold changes (undefined: released). `cell` keeps its identity for as long as the hold holds
 * anything, across spills too, so an engine can key its bookkeeping by it.
 */
export type BackendHoldListener = (ref: StateKeyRef, namespace: string, tagId: string, previous: Instant | undefined, next: Instant | undefined, cell: object) => void;

export interface StateBackendOptions {
  onHoldChanged?: BackendHoldListener;
  /** Coders for tags that declare none (the engine knows each step's element and accumulator coders). */
  coderFor?: (tag: AnyStateTag) => TagCoders | undefined;
  /** The coder of last resort for values of tags with no coders (e.g. structuredStateCoder()); none: such state cannot be spilled or snapshotted. */
  defaultCoder?: Coder<unknown>;
  /** The budget the backend's bytes count against (reserved at each flush). */
  budget?: MemoryBudget;
}

/** The per-key view: semantics' StateInternals, plus which key it is. */
export interface KeyedStateInternals extends StateInternals, StateKeyRef {}

export interface StateBackendMetrics extends MemoryMetrics {
  keysInMemory: number;
  /** Keys whose state has no coder and so stays in memory past the budget. */
  pinnedKeys: number;
}

export interface StateBackend {
  /**
   * The state of one key (key as its deterministic coder's bytes, or a latin1 string of them). `onHold`, when given,
   * is told of this key's hold changes too (as the engine's KeyStateFactory wants), for as long as the state lives.
   */
  forKey(keyGroup: number, key: Uint8Array | string, onHold?: KeyHoldListener): KeyedStateInternals;
  /** The keys holding state in a key group, each once, in key-byte order (latin1 strings of the key bytes). */
  keys(keyGroup: number): Iterable<string>;
  /** The key groups holding state. */
  keyGroups(): number[];
  /** Forgets a key group's state (rescaling moved it elsewhere); its holds are reported released. */
  dropKeyGroup(keyGroup: number): void;
  /** The state of a key group as bytes (through the tags' coders), for checkpoints and rescaling. */
  snapshot(keyGroup: number): Uint8Array;
  /** Replaces a key group's state with a snapshot's; restored holds are reported. */
  restore(keyGroup: number, bytes: Uint8Array): void;
  /** Estimated heap bytes of the state held in memory. */
  readonly bytesInMemory: number;
  /** Whether the backend is past its budget and wants a flush at the next bundle boundary. */
  readonly needsFlush: boolean;
  /** Bundle boundary: spills cold state when past the budget (a no-op in memory). */
  flush(): Promise<void>;
  metrics(): StateBackendMetrics;
  /** Releases the budget and removes spill files. */
  close(): void;
}

const MAGIC = [0x52, 0x46, 0x4b, 0x47]; // 'RFKG'
const SNAPSHOT_VERSION = 1;

/** The in-memory backend, and the core the spilling one extends. */
export class InMemoryStateBackend implements StateBackend {
  protected readonly groups = new Map<number, Map<string, KeyState>>();
  /** Coders by tag id and kind, learnt as tags are used (needed to encode live cells). */
  protected readonly tagsById = new Map<string, AnyStateTag>();
  protected bytes = 0;
  protected peak = 0;
  private reserved = 0;
  protected readonly acct: Accountant = {
    adjust: (delta: number) => {
      this.bytes += delta;
      if (this.bytes > this.peak) this.peak = this.bytes;
    },
  };
  protected closed = false;
  private recent: KeyState[] = [];

  constructor(protected readonly options: StateBackendOptions = {}) {}

  forKey(keyGroup: number, key: Uint8Array | string, onHold?: KeyHoldListener): KeyedStateInternals {
    if (!Number.isInteger(keyGroup) || keyGroup < 0 || keyGroup > 0xffff) throw new RangeError(`key group ${keyGroup} is not an integer in 0..65535`);
    if (typeof key === 'string') {
      for (let i = 0; i < key.length; i++) {
        if (key.charCodeAt(i) > 0xff) throw new RangeError('a state key given as a string must be the latin1 string of its bytes (one character per byte); pass the key bytes instead');
      }
    }
    return new KeyView(this, keyGroup, typeof key === 'string' ? key : latin1(key), onHold);
  }

  /** The key's state in memory, loading it (spilling backend) or creating it. */
  resolve(keyGroup: number, key: string, create: boolean): KeyState | undefined {
    let group = this.groups.get(keyGroup);
    let ks = group?.get(key);
    if (ks === undefined) {
      ks = this.load(keyGroup, key);
      if (ks === undefined) {
        if (!create) return undefined;
        ks = new KeyState(keyGroup, key);
        this.acct.adjust(KEY_STATE_BYTES + key.length);
      }
      if (group === undefined) {
        group = new Map();
        this.groups.set(keyGroup, group);
      }
      group.set(key, ks);
    }
    this.touch(ks);
    return ks;
  }

  /**
   * The engine let go of a key's view (`forKey`'s) because it holds nothing: an empty key in memory is dropped now
   * rather than at the next flush (without a budget, flushes are rare), as the engine's default per-key state is.
   * Cells taken from the view before are stale after it (the view itself stays valid). A key that holds data, or
   * whose older copy is in a spill run (its tombstone is written when it is evicted), stays.
   */
  releaseKey(view: StateInternals): void {
    if (!(view instanceof KeyView)) return;
    const ks = this.groups.get(view.keyGroup)?.get(view.key);
    if (ks !== undefined && !ks.onDisk && !ks.hasData()) this.removeKey(ks, false);
  }

  /** Marks a key used: a second chance against eviction, and a candidate for the empty-key sweep at the next flush. */
  touch(ks: KeyState): void {
    ks.touched = true;
    if (!ks.inRecent) {
      ks.inRecent = true;
      this.recent.push(ks);
    }
  }

  /** Finds a key that is not in memory (the spilling backend reads its runs). */
  protected load(_keyGroup: number, _key: string): KeyState | undefined {
    return undefined;
  }

  /** The cell of (namespace, tag) in a key's state: created, or decoded through the tag when still encoded. */
  cell(ks: KeyState, namespace: string, tag: StateTag<unknown>): AnyCell {
    const cells = ks.cells(namespace, this.acct);
    const slot = cells.get(tag.id);
    if (slot !== undefined) {
      if (slot.kind !== tag.kind) {
        throw new TypeError(`state '${tag.id}' in namespace '${namespace}' is ${slot.kind} state but was accessed as ${tag.kind}; give each tag its own id`);
      }
      if (!('encoded' in slot)) return slot;
      this.learn(tag);
      const cell = decodeSlot(slot, tag, this.codersOf(tag.id, tag.kind), this.acct, namespace, tag.kind === 'watermarkHold' ? this.holdListener(ks) : undefined);
      cells.set(tag.id, cell);
      return cell;
    }
    this.learn(tag);
    // Only hold cells call a hold listener: other cells get none (no closure made per cell).
    const cell = createCell(tag, this.acct, namespace, tag.kind === 'watermarkHold' ? this.holdListener(ks) : undefined);
    cells.set(tag.id, cell);
    return cell;
  }

  /** Remembers a tag by id (a tag with coders wins over one without), to encode live cells later. */
  private learn(tag: AnyStateTag): void {
    const known = this.tagsById.get(tag.id);
    if (known === tag) return;
    if (known === undefined || known.kind !== tag.kind || (known.coders === undefined && tag.coders !== undefined)) this.tagsById.set(tag.id, tag);
  }

  protected codersOf(tagId: string, kind: CellKind): ResolvedCoders {
    const tag = this.tagsById.get(tagId);
    const own = tag?.kind === kind ? tag.coders : undefined;
    const fromEngine = own ?? (tag && this.options.coderFor ? this.options.coderFor(tag) : undefined);
    return resolvedCoders(fromEngine, this.options.defaultCoder, `'${tagId}' (${kind})`);
  }

  protected holdListener(ks: KeyState): CellHoldListener {
    const l = this.options.onHoldChanged;
    return (cell, prev, next) => {
      ks.onHold?.(cell, next);
      l?.(ks, cell.namespace, cell.tagId, prev, next, cell);
    };
  }

  clearNamespace(ks: KeyState, namespace: string): void {
    const cells = ks.namespaces.get(namespace);
    if (cells === undefined) return;
    // Holds first, so that listeners see them released.
    for (const slot of cells.values()) if (slot.kind === 'watermarkHold' && !('encoded' in slot)) slot.clear();
    for (const slot of cells.values()) this.forget(slot);
    ks.deleteNamespace(namespace, this.acct);
  }

  /** A slot leaves memory: its bytes stop counting. */
  protected forget(slot: Slot): void {
    if ('encoded' in slot) this.acct.adjust(-KeyState.encodedSize(slot));
    else slot.detach();
  }

  /** Removes a key's state from memory (holds released unless `keepHolds`). */
  protected removeKey(ks: KeyState, keepHolds: boolean): void {
    for (const cells of ks.namespaces.values()) {
      for (const slot of cells.values()) {
        if (slot.kind === 'watermarkHold' && !('encoded' in slot) && !keepHolds) slot.clear();
        this.forget(slot);
      }
    }
    ks.detached = true;
    this.acct.adjust(-(KEY_STATE_BYTES + ks.key.length + NAMESPACE_BYTES * ks.namespaces.size));
    const group = this.groups.get(ks.keyGroup);
    group?.delete(ks.key);
    if (group?.size === 0) this.groups.delete(ks.keyGroup);
  }

  keys(keyGroup: number): Iterable<string> {
    const out: string[] = [];
    for (const entry of this.entries(keyGroup)) out.push(entry.key);
    return out;
  }

  /** Keys with data in a key group, in key order, with their in-memory state or their encoded payload. */
  protected *entries(keyGroup: number): Generator<{ key: string; state?: KeyState; payload?: Uint8Array }> {
    const group = this.groups.get(keyGroup);
    if (group === undefined) return;
    for (const key of [...group.keys()].sort()) {
      const ks = group.get(key)!;
      if (ks.hasData()) yield { key, state: ks };
    }
  }

  keyGroups(): number[] {
    const out: number[] = [];
    for (const [g, group] of this.groups) for (const ks of group.values()) if (ks.hasData()) {
      out.push(g);
      break;
    }
    return out.sort((a, b) => a - b);
  }

  dropKeyGroup(keyGroup: number): void {
    const group = this.groups.get(keyGroup);
    if (group === undefined) return;
    for (const ks of [...group.values()]) this.removeKey(ks, false);
    this.groups.delete(keyGroup);
  }

  /** Encodes a key's state (its cells through their tags' coders). */
  protected encodeKey(ks: KeyState, w: ByteWriter): void {
    ks.encode(w, (id, kind) => this.codersOf(id, kind));
  }

  snapshot(keyGroup: number): Uint8Array {
    const tmp = new ByteWriter();
    return writeKeyGroupSnapshot(keyGroup, (record) => {
      for (const e of this.entries(keyGroup)) {
        if (e.payload) record(e.key, e.payload);
        else {
          tmp.length = 0;
          this.encodeKey(e.state!, tmp);
          record(e.key, tmp.written());
        }
      }
    });
  }

  restore(keyGroup: number, bytes: Uint8Array): void {
    const records = parseSnapshot(keyGroup, bytes);
    for (const { payload } of records) KeyState.validate(payload); // a damaged snapshot changes nothing
    this.dropKeyGroup(keyGroup);
    for (const { key, payload } of records) this.install(keyGroup, key, payload);
  }

  /** Puts a key's encoded state in memory (restore). */
  protected install(keyGroup: number, key: string, payload: Uint8Array): void {
    const ks = this.resolve(keyGroup, key, true)!;
    try {
      ks.decodeInto(payload, this.acct, this.holdListener(ks));
    } catch (e) {
      throw e instanceof RiffleError ? e : corrupt(`key ${JSON.stringify(key)}: ${(e as Error).message}`);
    }
  }

  get bytesInMemory(): number {
    return this.bytes;
  }

  /**
   * Past the budget, or once `SWEEP_KEYS` keys were touched since the last flush: a flush then also drops the keys
   * left empty, so that memory follows the live keys when no budget ever asks for a flush (a checkpointed run).
   */
  get needsFlush(): boolean {
    const b = this.options.budget;
    return this.recent.length >= SWEEP_KEYS || (b !== undefined && this.bytes > b.limit);
  }

  /** Brings the budget's reservation in line with the bytes held now. */
  protected syncBudget(): void {
    const b = this.options.budget;
    if (b === undefined) return;
    const delta = this.bytes - this.reserved;
    if (delta > 0) b.reserve(delta);
    else if (delta < 0) b.release(-delta);
    this.reserved = this.bytes;
  }

  async flush(): Promise<void> {
    this.sweepEmpty();
    this.syncBudget();
  }

  /** Drops keys that hold nothing any more. */
  protected sweepEmpty(): void {
    const recent = this.recent;
    this.recent = [];
    for (const ks of recent) {
      ks.inRecent = false;
      if (!ks.detached && !ks.onDisk && !ks.hasData()) this.removeKey(ks, false);
    }
  }

  metrics(): StateBackendMetrics {
    let keys = 0;
    for (const g of this.groups.values()) keys += g.size;
    return { bytesInMemory: this.bytes, peakBytesInMemory: this.peak, bytesSpilled: 0, runsWritten: 0, limit: this.options.budget?.limit ?? Infinity, keysInMemory: keys, pinnedKeys: 0 };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.groups.clear();
    this.bytes = 0;
    this.syncBudget();
  }
}

/** Keys touched since the last flush past which the backend wants a flush to drop the empty ones (see needsFlush). */
const SWEEP_KEYS = 4096;

/** Heap bytes a key costs beyond its cells (Map entry, KeyState, namespace map). */

/**
 * Writes a key-group snapshot: `each` gives every key holding state, in key order (latin1 strings of the key bytes),
 * with its payload (key-state.ts's format). The one writer of the format, for every keyed-state implementation.
 */
export function writeKeyGroupSnapshot(keyGroup: number, each: (record: (key: string, payload: Uint8Array) => void) => void): Uint8Array {
  const w = new ByteWriter();
  for (const b of MAGIC) w.byte(b);
  w.varUint(SNAPSHOT_VERSION);
  w.varUint(keyGroup);
  each((key, payload) => {
    w.byte(1);
    w.bytes(Buffer.from(key, 'latin1'));
    w.bytes(payload);
  });
  w.byte(0);
  return w.toBytes();
}

/** Reads a key-group snapshot: its records, after checking magic, version and key group. */
export function parseSnapshot(keyGroup: number, bytes: Uint8Array): Array<{ key: string; payload: Uint8Array }> {
  const r = new ByteReader(bytes);
  const bad = (what: string) =>
    new RiffleError('STATE_SNAPSHOT_INVALID', `the state snapshot of key group ${keyGroup} is not valid: ${what}`, {
      domain: 'external',
      hint: 'the checkpoint file is damaged or from another program; restore from an earlier checkpoint',
    });
  const out: Array<{ key: string; payload: Uint8Array }> = [];
  try {
    for (const b of MAGIC) if (r.byte() !== b) throw bad('it does not start with the state snapshot marker');
    const version = r.varUint();
    if (version !== SNAPSHOT_VERSION) throw bad(`format version ${version}, this Riffle reads version ${SNAPSHOT_VERSION}`);
    const g = r.varUint();
    if (g !== keyGroup) throw bad(`it holds key group ${g}`);
    for (;;) {
      const marker = r.byte();
      if (marker === 0) break;
      if (marker !== 1) throw bad(`unexpected record marker ${marker}`);
      const key = latin1(r.bytes());
      out.push({ key, payload: r.bytes() });
    }
    if (!r.done) throw bad('trailing bytes after the last record');
  } catch (e) {
    if (e instanceof RiffleError) throw e;
    throw bad((e as Error).message);
  }
  return out;
}

/** The per-key view: resolves the key's state on each access, so it survives spills. */
class KeyView implements KeyedStateInternals {
  private ks: KeyState | undefined;
  constructor(
    private readonly backend: InMemoryStateBackend,
    readonly keyGroup: number,
    readonly key: string,
    private readonly onHold: KeyHoldListener | undefined,
  ) {}

  private current(create: boolean): KeyState | undefined {
    if (this.ks === undefined || this.ks.detached) {
      this.ks = this.backend.resolve(this.keyGroup, this.key, create);
      if (this.ks !== undefined && this.onHold !== undefined) this.ks.onHold = this.onHold;
    } else this.backend.touch(this.ks);
    return this.ks;
  }

  state<S>(namespace: string, tag: StateTag<S>): S {
    return this.backend.cell(this.current(true)!, namespace, tag as StateTag<unknown>) as S;
  }

  clearNamespace(namespace: string): void {
    const ks = this.current(false);
    if (ks) this.backend.clearNamespace(ks, namespace);
  }

  isEmpty(): boolean {
    const ks = this.current(false);
    return ks === undefined || !ks.hasData();
  }
}

export { HoldCell, holdKey };
