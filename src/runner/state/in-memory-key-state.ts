/**
 * Keyed state in memory that checkpoints can read: each key's state is semantics' `InMemoryStateInternals` (what an
 * unchecked run uses, with no per-access layer), and a key-group snapshot encodes its cells through their tags'
 * coders into the backends' format (state-backend.ts), so checkpoints taken here restore into a `StateBackend` and
 * the other way round. Running checkpointable then costs what running without checkpoints costs; the work is done
 * at snapshot time, at rest.
 *
 * Restored cells stay encoded until their tag first asks for them (the tag brings the coders and combine function);
 * restored watermark holds are decoded at once and reported, so that they hold the watermark from the start.
 *
 * @example
 *   const factory = new InMemoryKeyState({ defaultCoder: structuredStateCoder() });
 *   const state = factory.create(7, 'k', 'k', onHold);      // the keyed store asks for each key's state
 *   state.state('global', stateTags.value('n')).write(1);
 *   const bytes = factory.snapshotGroup(7, [{ encoded: 'k', state }]);
 *   other.restoreGroup(7, bytes, [{ encoded: 'k', state: other.create(7, 'k', 'k', onHold) }]);
 */
import { ByteReader, ByteWriter, type Coder, type Instant, RiffleError } from '../../model/index.ts';
import { InMemoryStateInternals, stateTags, type StateInternals, type StateTag } from '../../semantics/index.ts';
import type { EncodedKey, KeyedStateRef, KeyStateFactory } from '../local/index.ts';
import { canonicalKeyString } from './key-state-factory.ts';
import { corrupt, type PayloadCell, type PayloadNamespace, readKeyPayload, writeKeyPayload } from './key-state.ts';
import { decodeCellContents, encodeCellContents, NO_CODERS, resolvedCoders, type ResolvedCoders } from './cell-coding.ts';
import { parseSnapshot, writeKeyGroupSnapshot } from './state-backend.ts';
import type { AnyStateTag } from './state-tags.ts';

type HoldListener = (cell: object, next: Instant | undefined) => void;

/** A key's state: semantics' in-memory cells, and the cells restored but not yet asked for. */
class KeyStateInMemory extends InMemoryStateInternals {
  /** Restored cells no tag has asked for yet: namespace → tag id → encoded cell. */
  restored: Map<string, Map<string, PayloadCell>> | undefined;

  constructor(
    private readonly owner: InMemoryKeyState,
    onHold: HoldListener,
  ) {
    super({ onHoldChanged: (_namespace, _tagId, _previous, next, cell) => onHold(cell, next) });
  }

  override state<S>(namespace: string, tag: StateTag<S>): S {
    if (this.restored !== undefined) this.decodeRestored(namespace, tag as StateTag<unknown>);
    return super.state(namespace, tag);
  }

  private decodeRestored(namespace: string, tag: StateTag<unknown>): void {
    const cells = this.restored!.get(namespace);
    const slot = cells?.get(tag.id);
    if (slot === undefined) return;
    // Refused before it is taken out: a later access by the right tag still finds it.
    if (slot.kind !== tag.kind) throw new TypeError(`state '${tag.id}' in namespace '${namespace}' is ${slot.kind} state but was accessed as ${tag.kind}; give each tag its own id`);
    cells!.delete(tag.id);
    if (cells!.size === 0) this.forgetRestored(namespace);
    const cell = super.state(namespace, tag);
    const r = new ByteReader(slot.bytes);
    try {
      decodeCellContents(tag.kind, r, this.owner.codersOf(tag), cell);
      if (!r.done) throw new RangeError('trailing bytes after the value');
    } catch (e) {
      if (e instanceof RiffleError) throw e;
      throw corrupt(`state '${tag.id}' in namespace '${namespace}' does not decode with its coders (${(e as Error).message})`);
    }
  }

  private forgetRestored(namespace: string): void {
    this.restored!.delete(namespace);
    if (this.restored!.size === 0) this.restored = undefined;
  }

  override clearNamespace(namespace: string): void {
    if (this.restored?.has(namespace)) this.forgetRestored(namespace);
    super.clearNamespace(namespace);
  }

  override isEmpty(): boolean {
    return this.restored === undefined && super.isEmpty();
  }

  override describe(): Record<string, string[]> {
    const out = super.describe();
    for (const [ns, cells] of this.restored ?? []) out[ns] = [...(out[ns] ?? []), ...cells.keys()];
    return out;
  }

  /** Installs a snapshot's payload for this key: holds at once (reported), other cells encoded until asked for. */
  install(namespaces: readonly PayloadNamespace[]): void {
    for (const { namespace, cells } of namespaces) {
      for (const cell of cells) {
        if (cell.kind === 'watermarkHold') {
          const latest = cell.bytes[0] === 2;
          const hold = super.state(namespace, stateTags.watermarkHold(cell.id, latest ? 'latest' : 'earliest'));
          decodeCellContents('watermarkHold', new ByteReader(cell.bytes), NO_CODERS, hold);
          continue;
        }
        let map = (this.restored ??= new Map()).get(namespace);
        if (map === undefined) this.restored.set(namespace, (map = new Map()));
        map.set(cell.id, { id: cell.id, kind: cell.kind, bytes: cell.bytes.slice() });
      }
    }
  }

  /**
   * This key's cells holding data, encoded (restored ones as they came), or undefined when it holds none. The cells'
   * bytes are views into `buf` (valid until its next use).
   */
  encode(buf: ByteWriter): PayloadNamespace[] | undefined {
    buf.length = 0;
    const spans: Array<{ namespace: string; id: string; kind: PayloadCell['kind']; start: number; end: number }> = [];
    this.forEachCellWithData((namespace, tag, state) => {
      const start = buf.length;
      encodeCellContents(tag.kind, state, this.owner.codersOf(tag), buf, tag.kind === 'watermarkHold' && tag.combine === 'latest');
      spans.push({ namespace, id: tag.id, kind: tag.kind, start, end: buf.length });
    });
    if (spans.length === 0 && this.restored === undefined) return undefined;
    // The buffer may have grown while writing: views are taken once every cell is written.
    const bytes = buf.written();
    const out: Array<{ namespace: string; cells: PayloadCell[] }> = [];
    for (const s of spans) {
      const last = out[out.length - 1];
      const cell = { id: s.id, kind: s.kind, bytes: bytes.subarray(s.start, s.end) };
      if (last !== undefined && last.namespace === s.namespace) last.cells.push(cell);
      else out.push({ namespace: s.namespace, cells: [cell] });
    }
    for (const [namespace, cells] of this.restored ?? []) {
      const live = out.find((n) => n.namespace === namespace);
      if (live !== undefined) live.cells.push(...cells.values());
      else out.push({ namespace, cells: [...cells.values()] });
    }
    return out;
  }
}

export interface InMemoryKeyStateOptions {
  /** The coder of values of tags that declare none (e.g. structuredStateCoder()); without it such state cannot be snapshotted. */
  defaultCoder?: Coder<unknown>;
}

/**
 * One keyed step's state in memory, snapshotted by key group (a `KeyStateFactory`: the engine's keyed store asks it
 * for each key's state, and hands it the keys of a group to snapshot or restore — it keeps no index of its own, so a
 * key costs what it costs without checkpoints).
 */
export class InMemoryKeyState implements KeyStateFactory {
  constructor(private readonly options: InMemoryKeyStateOptions = {}) {}

  create(_keyGroup: number, _encoded: EncodedKey, _key: unknown, onHold: HoldListener): StateInternals {
    return new KeyStateInMemory(this, onHold);
  }

  // Weak: a tag made per access (code may build tags on the fly) must not be kept.
  private readonly coders = new WeakMap<StateTag<unknown>, ResolvedCoders>();

  codersOf(tag: StateTag<unknown>): ResolvedCoders {
    let c = this.coders.get(tag);
    if (c === undefined) this.coders.set(tag, (c = resolvedCoders((tag as AnyStateTag).coders, this.options.defaultCoder, `'${tag.id}' (${tag.kind})`)));
    return c;
  }

  snapshotGroup(keyGroup: number, keys: readonly KeyedStateRef[]): Uint8Array {
    const sorted = keys.map((k): [string, KeyStateInMemory] => [canonicalKeyString(k.encoded), own(k.state)]);
    sorted.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const cells = new ByteWriter();
    const payload = new ByteWriter();
    return writeKeyGroupSnapshot(keyGroup, (record) => {
      for (const [key, state] of sorted) {
        const namespaces = state.encode(cells);
        if (namespaces === undefined) continue;
        payload.length = 0;
        writeKeyPayload(payload, namespaces);
        record(key, payload.written());
      }
    });
  }

  /**
   * Restores a key group's state into its keys (the keyed store creates every key of the group, from the
   * checkpoint's key list, before this). The snapshot is checked whole before anything is installed.
   */
  restoreGroup(keyGroup: number, bytes: Uint8Array, keys: readonly KeyedStateRef[]): void {
    const records = parseSnapshot(keyGroup, bytes).map(({ key, payload }) => ({ key, namespaces: readKeyPayload(payload) }));
    const byKey = new Map<string, KeyStateInMemory>();
    for (const k of keys) byKey.set(canonicalKeyString(k.encoded), own(k.state));
    const targets = records.map(({ key }) => {
      const state = byKey.get(key);
      if (state === undefined) throw corrupt(`key group ${keyGroup} holds state for a key (${JSON.stringify(key)}) the step's keys do not list`);
      return state;
    });
    records.forEach(({ namespaces }, i) => targets[i]!.install(namespaces));
  }
}

function own(state: StateInternals): KeyStateInMemory {
  if (state instanceof KeyStateInMemory) return state;
  throw new RiffleError('CHECKPOINT_UNSUPPORTED', 'a key\'s state was not made by this factory', { domain: 'internal' });
}
