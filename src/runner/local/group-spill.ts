import { ByteReader, ByteWriter, coders, RiffleError, type BoundedWindow, type Coder, type Instant, type KV, type WindowFn } from '../../model/index.ts';
import { GroupingBuffer, latin1Bytes, type MemoryBudget, type SpilledRun } from '../state/index.ts';

/**
 * What a batch grouping needs to spill (bounded memory, issue 13): the step's budget and the coders its input is
 * encoded through once the in-memory table is full.
 */
export interface GroupSpillConfig {
  /** The step's share of the job's budget: half for the in-memory table, half for the spilling buffer. */
  readonly budget: MemoryBudget;
  /** The collection's key and value coders when it declares a KV coder; otherwise `coders.object()` (canonical for keys). */
  readonly keyCoder?: Coder<unknown>;
  readonly valueCoder?: Coder<unknown>;
  /** Where spill files go (default: the OS temp directory). */
  readonly spillDir?: string;
  /** Told once when a step cannot spill (a value its coder refuses, windows with no coder): it stays in memory. */
  readonly warn: (message: string) => void;
}

/** Heap bytes a key slot of the table costs beyond its key and values (Map entry, slot object, arrays). */
const SLOT_BYTES = 160;
/** Heap bytes a value kept in a buffer costs beyond its own (array slot, share of growth). */
const VALUE_BYTES = 16;
/** Reservations are made in chunks of at least this many bytes, so the fast path rarely touches the budget. */
const CHUNK = 64 << 10;

/**
 * A rough estimate of the heap bytes of a value, without encoding it: strings at two bytes a character, numbers as
 * doubles, objects and arrays by their fields (at most a few levels deep). Used on a sample of the elements.
 */
export function estimateHeapBytes(v: unknown, depth = 0): number {
  switch (typeof v) {
    case 'string':
      return 16 + 2 * v.length;
    case 'number':
    case 'boolean':
    case 'undefined':
      return 8;
    case 'bigint':
      return 24;
    case 'object': {
      if (v === null) return 8;
      if (depth > 4) return 64;
      if (v instanceof Uint8Array) return 64 + v.length;
      let n = 32;
      if (Array.isArray(v)) for (let i = 0; i < v.length && i < 64; i++) n += 8 + estimateHeapBytes(v[i], depth + 1);
      else for (const k in v) n += 16 + estimateHeapBytes((v as Record<string, unknown>)[k], depth + 1);
      return n;
    }
    default:
      return 32;
  }
}

/**
 * The coder of a window function's windows, when it has one: global, fixed, sliding, sessions, or a custom window
 * function's declared `windowCoder` (e.g. Nexmark's auction/bid windows); undefined otherwise.
 */
export function windowCoderOf(windowFn: WindowFn): Coder<BoundedWindow> | undefined {
  if (windowFn.windowCoder !== undefined) return windowFn.windowCoder;
  switch (windowFn.kind) {
    case 'global':
      return coders.globalWindow() as Coder<BoundedWindow>;
    case 'fixed':
    case 'sliding':
    case 'sessions':
      return coders.intervalWindow() as unknown as Coder<BoundedWindow>;
    default:
      return undefined;
  }
}

/**
 * The memory side of a batch grouping table: estimates what the table holds (on a sample of elements, no encoding),
 * reserves it from the table's budget in chunks, and, once the budget refuses, spills every further element, encoded
 * as ((key, window), (value, timestamp)), to a GroupingBuffer. The table keeps what it holds; at the end the spilled
 * groups are folded after the table's (the table's values came first: arrival order is kept per key and window).
 */
export class GroupSpill {
  private readonly tableBudget: MemoryBudget;
  private readonly spillBudget: MemoryBudget;
  /** (key, window) for non-merging window functions; the key alone for merging ones (the window goes with the value). */
  private readonly groupKeyCoder: Coder<unknown> | undefined;
  private readonly windowCoder: Coder<BoundedWindow> | undefined;
  private readonly merging: boolean;
  private readonly elementCoder: Coder<KV<unknown, Instant>>;
  /**
   * Keys without a declared coder group by their canonical encoding (sorted fields), which does not keep an object
   * key's field order: such keys also travel with each element as written (`coders.object()`), so the pane's key is
   * the key as the pipeline made it.
   */
  private readonly keyAsWritten: Coder<unknown> | undefined;
  private estimated = 0;
  private reserved = 0;
  private seen = 0;
  private avgValueBytes = 32;
  /** Set once the table's budget refused: further elements go to the buffer. */
  buffer: GroupingBuffer | undefined;
  /** A value or key the coders refused, or windows without a coder: the step stays in memory. */
  private disabled = false;

  constructor(
    private readonly step: string,
    windowFn: WindowFn,
    /** The fold keeps every value (groupByKey): each element adds to what the table holds. */
    readonly keepsValues: boolean,
    private readonly config: GroupSpillConfig,
  ) {
    this.tableBudget = config.budget.child('table', 0.5);
    this.spillBudget = config.budget.child('spill', 0.5);
    const windowCoder = windowCoderOf(windowFn);
    const keyCoder = config.keyCoder !== undefined && config.keyCoder.deterministic ? config.keyCoder : coders.object({ canonical: true });
    this.merging = windowFn.isMerging;
    this.windowCoder = windowCoder;
    this.groupKeyCoder = windowCoder === undefined ? undefined : this.merging ? keyCoder : (coders.kv(keyCoder, windowCoder) as Coder<unknown>);
    this.keyAsWritten = keyCoder === config.keyCoder ? undefined : coders.object();
    this.elementCoder = coders.kv(config.valueCoder ?? coders.object(), coders.instant());
  }

  /** Accounts for one element folded into the table (`newSlots` slots created); may switch to spilling. */
  account(value: unknown, newSlots: number, extraBytes = 0): void {
    if ((this.seen++ & 63) === 0) this.avgValueBytes = (this.avgValueBytes * 3 + estimateHeapBytes(value)) / 4;
    this.estimated += newSlots * SLOT_BYTES + extraBytes + (this.keepsValues ? this.avgValueBytes + VALUE_BYTES : 0);
    const delta = this.estimated - this.reserved;
    if (delta < CHUNK) return;
    if (this.tableBudget.tryReserve(delta)) this.reserved += delta;
    else if (!this.disabled) this.startSpilling();
  }

  /**
   * A `fraction` of what the table held was emitted and let go (event-time progress): that share of the estimate goes
   * back to the budget, so a table holding only the windows in flight never reaches it.
   */
  freed(fraction: number): void {
    const bytes = Math.floor(this.estimated * Math.min(1, fraction));
    this.estimated -= bytes;
    const excess = this.reserved - this.estimated;
    if (excess >= CHUNK) {
      this.tableBudget.release(excess);
      this.reserved -= excess;
    }
  }

  private startSpilling(): void {
    if (this.groupKeyCoder === undefined) return this.disable('its windows have no coder (global, fixed, sliding and session windows spill, and custom ones that declare a windowCoder)');
    this.buffer = new GroupingBuffer({ budget: this.spillBudget, ...(this.config.spillDir !== undefined ? { spillDir: this.config.spillDir } : {}) });
  }

  private disable(why: string): void {
    this.disabled = true;
    this.buffer = undefined;
    this.config.warn(`step '${this.step}' is past its memory budget but keeps its data in memory: ${why}`);
  }

  /**
   * Spills one element (every window of it); false when it could not be encoded — the step then stays in memory
   * from here on (what was spilled is still merged back at the end).
   */
  add(key: unknown, value: unknown, timestamp: Instant, windows: readonly BoundedWindow[]): boolean {
    const buffer = this.buffer!;
    let element: Uint8Array;
    const keys: Uint8Array[] = [];
    try {
      if (this.merging) {
        // The key alone groups; each window goes with its element: the key's windows merge at the end, over all.
        const k = encode(this.groupKeyCoder!, key);
        const records: Uint8Array[] = [];
        for (let i = 0; i < windows.length; i++) records.push(this.record(key, value, timestamp, windows[i]!));
        for (const r of records) buffer.add(k, r);
        return true;
      }
      element = this.record(key, value, timestamp, undefined);
      for (let i = 0; i < windows.length; i++) keys.push(encode(this.groupKeyCoder!, { key, value: windows[i]! }));
    } catch (e) {
      this.spilled = buffer;
      this.disable(`${(e as Error).message}`);
      return false;
    }
    for (const k of keys) buffer.add(k, element);
    return true;
  }

  /** One spilled element: (value, timestamp), its window when merging, then the key as written when it differs. */
  private record(key: unknown, value: unknown, timestamp: Instant, window: BoundedWindow | undefined): Uint8Array {
    writer.length = 0;
    this.elementCoder.encode({ key: value, value: timestamp }, writer);
    if (window !== undefined) this.windowCoder!.encode(window, writer);
    if (this.keyAsWritten !== undefined && typeof key === 'object' && key !== null) this.keyAsWritten.encode(key, writer);
    return writer.toBytes();
  }

  /** A buffer kept for the end after spilling stopped (a value the coders refused). */
  private spilled: GroupingBuffer | undefined;

  /** The buffer to merge back at the end, if anything was spilled. */
  get toMerge(): GroupingBuffer | undefined {
    return this.buffer ?? this.spilled;
  }

  /** Work for a bundle boundary: the buffer's asynchronous spill when it is past its budget. */
  pendingIo(): Promise<void> | undefined {
    const b = this.buffer;
    return b !== undefined && b.needsFlush ? b.flush() : undefined;
  }

  /**
   * Each spilled group, decoded, in key-byte order, with its (value, timestamp) elements in order: per (key, window)
   * for non-merging window functions; per key, with each element's window in `windows`, for merging ones.
   */
  *groups(): Generator<SpilledGroup> {
    const b = this.toMerge;
    if (b === undefined) return;
    for (const g of b.rawGroups()) {
      const decoded = decode(this.groupKeyCoder!, latin1Bytes(g.key));
      let key = this.merging ? decoded : (decoded as KV<unknown, BoundedWindow>).key;
      const elements: Array<KV<unknown, Instant>> = new Array(g.values.length);
      const windows: BoundedWindow[] | undefined = this.merging ? new Array(g.values.length) : undefined;
      for (let i = 0; i < elements.length; i++) {
        const r = new ByteReader(g.values[i] as Uint8Array);
        elements[i] = this.elementCoder.decode(r);
        if (windows !== undefined) windows[i] = this.windowCoder!.decode(r);
        if (i === 0 && !r.done) key = this.keyAsWritten!.decode(r);
      }
      yield { key, window: this.merging ? undefined : (decoded as KV<unknown, BoundedWindow>).value, windows, elements };
    }
  }

  /**
   * Checkpoints: the spilled input as sorted runs (copies of the run files; what the buffer held in memory is written
   * as a run first), or undefined when nothing was spilled.
   */
  async snapshot(): Promise<GroupSpillSnapshot | undefined> {
    const b = this.toMerge;
    if (b === undefined) return undefined;
    return { runs: await b.snapshotRuns(), stopped: this.buffer === undefined };
  }

  /** Restores what `snapshot` returned, before any input: the step spills on from where it was. */
  restore(s: GroupSpillSnapshot): void {
    if (this.groupKeyCoder === undefined) {
      throw new RiffleError('CHECKPOINT_MISMATCH', `step '${this.step}': the checkpoint holds spilled input but this step's windows have no coder`, {
        domain: 'user',
        hint: 'the pipeline changed since the checkpoint; run without --resume',
      });
    }
    const b = new GroupingBuffer({ budget: this.spillBudget, ...(this.config.spillDir !== undefined ? { spillDir: this.config.spillDir } : {}) });
    b.restoreRuns(s.runs);
    // The restored table may have filled the budget already (a smaller one than the checkpointed run's): that buffer
    // is empty; the restored runs take its place.
    this.buffer?.close();
    this.buffer = undefined;
    if (s.stopped) {
      // Spilling had stopped (a value the coders refused): the runs are merged back at the end, input stays in memory.
      this.disabled = true;
      this.spilled = b;
    } else this.buffer = b;
  }

  /** Releases the table's reservation and removes the spill files. */
  close(): void {
    this.tableBudget.release(this.reserved);
    this.reserved = 0;
    this.estimated = 0;
    this.buffer?.close();
    this.spilled?.close();
  }
}

/** What a checkpoint keeps of a batch grouping's spilled input (GroupSpill.snapshot). */
export interface GroupSpillSnapshot {
  readonly runs: readonly SpilledRun[];
  /** Spilling had stopped (the runs are merged back at the end; later input stays in memory). */
  readonly stopped: boolean;
}

/** A spilled group: see GroupSpill.groups. */
export interface SpilledGroup {
  readonly key: unknown;
  readonly window: BoundedWindow | undefined;
  readonly windows: BoundedWindow[] | undefined;
  readonly elements: Array<KV<unknown, Instant>>;
}

const writer = new ByteWriter();

/** Encodes through one shared writer (the bytes are copied out). */
function encode<T>(coder: Coder<T>, value: T): Uint8Array {
  writer.length = 0;
  coder.encode(value, writer);
  return writer.toBytes();
}

function decode<T>(coder: Coder<T>, bytes: Uint8Array): T {
  return coder.decode(new ByteReader(bytes));
}
