/**
 * The state of one key in a backend: namespaces → tag ids → cells. A cell is live (an object the semantics layer
 * uses by reference) or still encoded (restored from a snapshot or read back from a spill run), decoded on first
 * access with the coders of the tag it is accessed through — so a backend can restore state before it has seen the
 * tags. The encoded form of a whole key (its record payload in runs and snapshots):
 *   [varint namespaces] per namespace: [string] [varint cells] per cell: [string tag id] [kind byte] [bytes cell]
 * A key with no data encodes as a single 0 (a tombstone in spill runs). Damaged data is a STATE_DATA_CORRUPT error.
 */
import { ByteReader, ByteWriter, type Instant, RiffleError } from '../../model/index.ts';
import type { StateTag } from '../../semantics/index.ts';
import {
  type Accountant,
  type AnyCell,
  BagCell,
  type CellHoldListener,
  type CellKind,
  CombiningCell,
  HoldCell,
  KIND_CODE,
  KIND_OF_CODE,
  MapCell,
  OrderedListCell,
  type ResolvedCoders,
  SetCell,
  ValueCell,
} from './state-cells.ts';

/** A cell not decoded yet. */
export interface EncodedCell {
  readonly encoded: true;
  readonly kind: CellKind;
  readonly bytes: Uint8Array;
}

export type Slot = AnyCell | EncodedCell;

/** A per-key hold listener: the cell that holds (its identity lasts as long as the hold) and the new hold. */
export type KeyHoldListener = (cell: object, next: Instant | undefined) => void;

// Namespaces and tag ids: length-prefixed UTF-8 (the engine makes them: always well-formed).
function writeString(w: ByteWriter, s: string): void {
  w.string(s);
}
function readString(r: ByteReader): string {
  return r.string();
}

const ENCODED_OVERHEAD = 64;

/**
 * Heap bytes a key in memory costs before its cells (its KeyState, the per-key view, the backend's map entries and
 * the namespace map), and what each namespace's map of cells adds: measured with Node 20 (tools like
 * `process.memoryUsage()` around 100K keys, 2026-12-07: a key with one value cell took 655 bytes, each further
 * namespace of five cells 825). Budgets are only as good as these estimates: at 160 bytes a key a 256 MB budget let a
 * million-key job grow its heap past 1 GB before anything spilled.
 */
export const KEY_STATE_BYTES = 440;
export const NAMESPACE_BYTES = 200;

export class KeyState {
  readonly namespaces = new Map<string, Map<string, Slot>>();
  /** Accessed since the last eviction sweep (the clock of second chances). */
  touched = true;
  /** A copy of the key (possibly stale) is in a spill run: dropping the key must write a tombstone. */
  onDisk = false;
  /** Listed among the keys touched since the last flush (which drops the ones left empty). */
  inRecent = false;
  /** The per-key hold listener given to `forKey` (told of this key's hold changes besides the backend's listener). */
  onHold: KeyHoldListener | undefined;
  /** Removed from memory (evicted or dropped): views holding it look the key up again. */
  detached = false;

  constructor(
    readonly keyGroup: number,
    readonly key: string,
  ) {}

  // The reducer touches several cells of one window in a row: the last namespace's cells are remembered.
  private lastNamespace: string | undefined;
  private lastCells: Map<string, Slot> | undefined;

  /** The cells of a namespace, created on demand (its map's bytes counted by `acct`). */
  cells(namespace: string, acct: Accountant): Map<string, Slot> {
    if (namespace === this.lastNamespace) return this.lastCells!;
    let cells = this.namespaces.get(namespace);
    if (cells === undefined) {
      cells = new Map();
      this.namespaces.set(namespace, cells);
      acct.adjust(NAMESPACE_BYTES);
    }
    this.lastNamespace = namespace;
    this.lastCells = cells;
    return cells;
  }

  /** Removes a namespace's cells (the caller has released what they held). */
  deleteNamespace(namespace: string, acct: Accountant): void {
    if (this.namespaces.delete(namespace)) acct.adjust(-NAMESPACE_BYTES);
    if (namespace === this.lastNamespace) this.lastNamespace = this.lastCells = undefined;
  }

  hasData(): boolean {
    for (const cells of this.namespaces.values()) for (const slot of cells.values()) if ('encoded' in slot || slot.hasData()) return true;
    return false;
  }

  /** Encodes every cell holding data; `codersOf(tagId, kind)` gives a live cell's coders. */
  encode(w: ByteWriter, codersOf: (tagId: string, kind: CellKind) => ResolvedCoders): void {
    const tmp = new ByteWriter();
    const nss: PayloadNamespace[] = [];
    for (const [ns, cells] of this.namespaces) {
      const withData: PayloadCell[] = [];
      for (const [id, slot] of cells) {
        if ('encoded' in slot) withData.push({ id, kind: slot.kind, bytes: slot.bytes });
        else if (slot.hasData()) {
          tmp.length = 0;
          slot.encode(tmp, codersOf(id, slot.kind));
          withData.push({ id, kind: slot.kind, bytes: tmp.toBytes() });
        }
      }
      if (withData.length > 0) nss.push({ namespace: ns, cells: withData });
    }
    writeKeyPayload(w, nss);
  }

  /**
   * Installs an encoded key's cells (as encoded slots; holds are decoded at once and reported, or replaced by the
   * resident hold cells given, which keep their identity across evictions).
   */
  decodeInto(bytes: Uint8Array, acct: Accountant, holdListener: CellHoldListener | undefined, resident?: Map<string, HoldCell>): void {
    for (const { namespace: ns, cells: encoded } of readKeyPayload(bytes)) {
      const cells = this.cells(ns, acct);
      for (const { id, kind, bytes: cellBytes } of encoded) {
        if (kind === 'watermarkHold') {
          const kept = resident?.get(holdKey(ns, id));
          cells.set(id, kept ?? HoldCell.decode(new ByteReader(cellBytes), acct, ns, id, holdListener));
        } else {
          const copy = cellBytes.slice();
          acct.adjust(ENCODED_OVERHEAD + copy.length);
          cells.set(id, { encoded: true, kind, bytes: copy });
        }
      }
    }
  }

  /** Checks an encoded key's structure (namespaces, cells, kinds, lengths, holds) without installing anything. */
  static validate(bytes: Uint8Array): void {
    readKeyPayload(bytes);
  }

  /** Bytes an encoded slot is counted for. */
  static encodedSize(slot: EncodedCell): number {
    return ENCODED_OVERHEAD + slot.bytes.length;
  }
}

/** One cell of a key's encoded state: its tag id, kind and bytes (what `encodeCellContents` wrote). */
export interface PayloadCell {
  readonly id: string;
  readonly kind: CellKind;
  readonly bytes: Uint8Array;
}
export interface PayloadNamespace {
  readonly namespace: string;
  readonly cells: readonly PayloadCell[];
}

/**
 * Writes a key's encoded state (see the top of this file): the one writer of the format, for the backends' keys and
 * for keys kept in semantics' in-memory state (in-memory-key-state.ts).
 */
export function writeKeyPayload(w: ByteWriter, namespaces: readonly PayloadNamespace[]): void {
  w.varUint(namespaces.length);
  for (const { namespace, cells } of namespaces) {
    writeString(w, namespace);
    w.varUint(cells.length);
    for (const { id, kind, bytes } of cells) {
      writeString(w, id);
      w.byte(KIND_CODE[kind]);
      w.bytes(bytes);
    }
  }
}

/** Reads a key's encoded state, checking its structure (kinds, lengths, holds); damaged data is STATE_DATA_CORRUPT. */
export function readKeyPayload(bytes: Uint8Array): PayloadNamespace[] {
  const r = new ByteReader(bytes);
  const out: PayloadNamespace[] = [];
  try {
    const nns = r.varUint();
    for (let i = 0; i < nns; i++) {
      const namespace = readString(r);
      const n = r.varUint();
      const cells: PayloadCell[] = [];
      for (let j = 0; j < n; j++) {
        const id = readString(r);
        const kind = KIND_OF_CODE[r.byte()];
        const cell = r.bytes();
        if (kind === undefined) throw corrupt(`unknown kind of state cell for '${id}'`);
        if (kind === 'watermarkHold' && !(cell.length === 1 ? cell[0] === 0 : cell.length === 9 && (cell[0] === 1 || cell[0] === 2))) throw corrupt(`hold '${id}' is malformed`);
        cells.push({ id, kind, bytes: cell });
      }
      out.push({ namespace, cells });
    }
  } catch (e) {
    throw e instanceof RiffleError ? e : corrupt((e as Error).message);
  }
  if (!r.done) throw corrupt('trailing bytes after a key');
  return out;
}

export function holdKey(namespace: string, tagId: string): string {
  return `${namespace}\u0000${tagId}`;
}

/** Decodes an encoded slot through the tag it is first accessed with. */
export function decodeSlot(slot: EncodedCell, tag: StateTag<unknown>, coders: ResolvedCoders, acct: Accountant, namespace: string, holdListener: CellHoldListener | undefined): AnyCell {
  let cell: AnyCell;
  try {
    cell = decodeCell(slot, tag, coders, acct, namespace, holdListener);
  } catch (e) {
    if (e instanceof RiffleError) throw e;
    throw corrupt(`state '${tag.id}' in namespace '${namespace}' does not decode with its coders (${(e as Error).message})`);
  }
  acct.adjust(-(ENCODED_OVERHEAD + slot.bytes.length));
  return cell;
}

function decodeCell(slot: EncodedCell, tag: StateTag<unknown>, coders: ResolvedCoders, acct: Accountant, namespace: string, holdListener: CellHoldListener | undefined): AnyCell {
  const r = new ByteReader(slot.bytes);
  let cell: AnyCell;
  switch (tag.kind) {
    case 'value':
      cell = ValueCell.decode(r, coders, acct);
      break;
    case 'bag':
      cell = BagCell.decode(r, coders, acct);
      break;
    case 'combining':
      cell = CombiningCell.decode(r, coders, acct, tag.combineFn);
      break;
    case 'map':
      cell = MapCell.decode(r, coders, acct);
      break;
    case 'set':
      cell = SetCell.decode(r, coders, acct);
      break;
    case 'orderedList':
      cell = OrderedListCell.decode(r, coders, acct);
      break;
    case 'watermarkHold':
      cell = HoldCell.decode(r, acct, namespace, tag.id, holdListener);
      break;
  }
  if (!r.done) throw new RangeError('trailing bytes after the value');
  return cell;
}

/** A fresh cell for a tag. */
export function createCell(tag: StateTag<unknown>, acct: Accountant, namespace: string, holdListener: CellHoldListener | undefined): AnyCell {
  switch (tag.kind) {
    case 'value':
      return new ValueCell(acct);
    case 'bag':
      return new BagCell(acct);
    case 'combining':
      return new CombiningCell(acct, tag.combineFn);
    case 'map':
      return new MapCell(acct);
    case 'set':
      return new SetCell(acct);
    case 'orderedList':
      return new OrderedListCell(acct);
    case 'watermarkHold':
      return new HoldCell(acct, namespace, tag.id, tag.combine === 'latest', holdListener);
  }
}

export function corrupt(what: string): RiffleError {
  return new RiffleError('STATE_DATA_CORRUPT', `state data is damaged: ${what}`, {
    domain: 'external',
    hint: 'the snapshot or spill file was changed or truncated; restore from an earlier checkpoint',
  });
}
