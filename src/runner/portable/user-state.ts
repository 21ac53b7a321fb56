/**
 * User state of a stateful Riffle ParDo in the harness, kept by the runner through Beam's state API
 * (`beam:user_state:bag_user_state:v1`: the runner stores, per transform, state id, key and window, the bytes the
 * harness appended, opaquely — Flink's runner keeps them as byte strings whatever the cell's kind).
 *
 * Riffle's DoFns read state synchronously (`ctx.state.seen.read()`), so before an element or a timer is processed in
 * a (key, window), every declared cell of that pair is fetched (in parallel) and loaded into the engine's own
 * in-memory cells (`InMemoryStateInternals` from semantics/: the same value, bag, combining, map, set and ordered-list
 * behaviour as the embedded engine); the pair stays cached for the bundle. At the bundle's end each cell is encoded
 * again and written back only when it changed: bytes that extend what was read are appended (a bag that only grew),
 * anything else is a clear followed by one append. The cache is dropped at the bundle's end (the runner owns state
 * between bundles).
 *
 * Every cell is stored as a sequence of values in Riffle's object coder (nested): a value cell holds one, a bag its
 * items, a combining cell its accumulator (several accumulators read back are merged), a map `[key, value]` pairs, a
 * set its members, an ordered list `[timestamp, value]` pairs in order.
 * @example
 *   const state = new UserState('pardo-3', doFn.state, store);
 *   const cells = await state.load(keyBytes, windowBytes);
 *   cells.state(USER_STATE_NAMESPACE, state.tag('seen'));  // a ValueState
 *   await state.flush();  // at the bundle's end
 */
import { ByteReader, ByteWriter, coders, type Instant, type StateSpec } from '../../model/index.ts';
import {
  InMemoryStateInternals,
  stateTags,
  type BagState,
  type CombiningState,
  type MapState,
  type OrderedListState,
  type SetState,
  type StateTag,
  type ValueState,
} from '../../semantics/index.ts';
import type { StateKeyInit } from './state-client.ts';

/** The one namespace of a (key, window)'s in-memory cells (the window is part of what the cache is keyed by). */
export const USER_STATE_NAMESPACE = 'w';

/** The runner's state API as a stateful ParDo uses it (the bundle's instruction id already bound). */
export interface UserStateStore {
  get(key: StateKeyInit): Promise<Uint8Array>;
  append(key: StateKeyInit, data: Uint8Array): Promise<void>;
  clear(key: StateKeyInit): Promise<void>;
}

const values = coders.object();

interface Loaded {
  readonly key: Uint8Array;
  readonly window: Uint8Array;
  readonly cells: InMemoryStateInternals;
  /** What the runner holds for each state id (as read, then as written). */
  readonly stored: Map<string, Uint8Array>;
}

/** The state tag of a declared cell (what the embedded engine's ParDo makes for it too). */
export function stateTagOf(id: string, spec: StateSpec): StateTag<unknown> {
  switch (spec.kind) {
    case 'value':
      return stateTags.value(id);
    case 'bag':
      return stateTags.bag(id);
    case 'combining':
      return stateTags.combining(id, spec.combineFn);
    case 'map':
      return stateTags.map(id);
    case 'set':
      return stateTags.set(id);
    case 'orderedList':
      return stateTags.orderedList(id);
  }
}

export class UserState {
  private readonly tags: ReadonlyMap<string, StateTag<unknown>>;
  private cache = new Map<string, Loaded>();

  constructor(
    private readonly transformId: string,
    specs: Readonly<Record<string, StateSpec>>,
    private readonly store: () => UserStateStore,
  ) {
    this.tags = new Map(Object.entries(specs).map(([id, spec]) => [id, stateTagOf(id, spec)]));
  }

  /** The tag of a declared state id (undefined when the DoFn declares no such state). */
  tag(id: string): StateTag<unknown> | undefined {
    return this.tags.get(id);
  }

  private stateKey(l: { key: Uint8Array; window: Uint8Array }, userStateId: string): StateKeyInit {
    return { type: { case: 'bagUserState', value: { transformId: this.transformId, userStateId, key: l.key, window: l.window } } };
  }

  /** The cells of one (key, window), both encoded nested: fetched on first use in the bundle, then cached. */
  async load(key: Uint8Array, window: Uint8Array): Promise<InMemoryStateInternals> {
    const id = `${Buffer.from(key).toString('base64')}|${Buffer.from(window).toString('base64')}`;
    const hit = this.cache.get(id);
    if (hit !== undefined) return hit.cells;
    const loaded: Loaded = { key, window, cells: new InMemoryStateInternals(), stored: new Map() };
    const store = this.store();
    await Promise.all(
      [...this.tags].map(async ([stateId, tag]) => {
        const bytes = await store.get(this.stateKey(loaded, stateId));
        loaded.stored.set(stateId, bytes);
        if (bytes.length > 0) fill(loaded.cells.state(USER_STATE_NAMESPACE, tag), tag, bytes);
      }),
    );
    this.cache.set(id, loaded);
    return loaded.cells;
  }

  /** Empties every cell of a loaded (key, window) (after its window expired); written at the flush. */
  clearAll(cells: InMemoryStateInternals): void {
    cells.clearNamespace(USER_STATE_NAMESPACE);
  }

  /** Writes back every cell that changed in the bundle and forgets the bundle's cache. */
  async flush(): Promise<void> {
    const loaded = [...this.cache.values()];
    this.cache = new Map();
    const store = this.store();
    const writes: Promise<void>[] = [];
    for (const l of loaded) {
      for (const [stateId, tag] of this.tags) {
        const before = l.stored.get(stateId) ?? new Uint8Array(0);
        const after = encodeCell(l.cells.state(USER_STATE_NAMESPACE, tag), tag);
        if (Buffer.compare(before, after) === 0) continue;
        const key = this.stateKey(l, stateId);
        if (before.length > 0 && after.length > before.length && Buffer.compare(before, after.subarray(0, before.length)) === 0) {
          writes.push(store.append(key, after.subarray(before.length)));
        } else {
          // Requests on one stream are answered in order: the clear lands before the append.
          writes.push(store.clear(key).then(() => (after.length > 0 ? store.append(key, after) : undefined)));
        }
      }
    }
    await Promise.all(writes);
  }

  /** Forgets the bundle's cache without writing (the bundle failed). */
  discard(): void {
    this.cache = new Map();
  }
}

function decodeAll(bytes: Uint8Array): unknown[] {
  const out: unknown[] = [];
  const r = new ByteReader(bytes);
  while (r.remaining > 0) out.push(values.decode(r));
  return out;
}

/** Loads stored bytes into a fresh cell. */
function fill(cell: unknown, tag: StateTag<unknown>, bytes: Uint8Array): void {
  const items = decodeAll(bytes);
  switch (tag.kind) {
    case 'value':
      (cell as ValueState<unknown>).write(items[items.length - 1]);
      return;
    case 'bag':
      for (const v of items) (cell as BagState<unknown>).add(v);
      return;
    case 'combining':
      for (const acc of items) (cell as CombiningState<unknown, unknown, unknown>).addAccumulator(acc);
      return;
    case 'map':
      for (const pair of items as Array<[unknown, unknown]>) (cell as MapState<unknown, unknown>).set(pair[0], pair[1]);
      return;
    case 'set':
      for (const v of items) (cell as SetState<unknown>).add(v);
      return;
    case 'orderedList':
      for (const pair of items as Array<[Instant, unknown]>) (cell as OrderedListState<unknown>).add(pair[0], pair[1]);
      return;
    case 'watermarkHold':
      throw new RangeError('a watermark hold is not user state');
  }
}

/** A cell's contents as the bytes the runner keeps. */
function encodeCell(cell: unknown, tag: StateTag<unknown>): Uint8Array {
  const w = new ByteWriter();
  const put = (v: unknown) => values.encode(v, w);
  switch (tag.kind) {
    case 'value': {
      const v = (cell as ValueState<unknown>).read();
      if (v !== undefined) put(v);
      break;
    }
    case 'bag':
      for (const v of (cell as BagState<unknown>).read()) put(v);
      break;
    case 'combining': {
      const c = cell as CombiningState<unknown, unknown, unknown>;
      if (!c.isEmpty()) put(c.readAccumulator());
      break;
    }
    case 'map':
      for (const [k, v] of (cell as MapState<unknown, unknown>).entries()) put([k, v]);
      break;
    case 'set':
      for (const v of (cell as SetState<unknown>).values()) put(v);
      break;
    case 'orderedList':
      for (const { timestamp, value } of (cell as OrderedListState<unknown>).read()) put([timestamp, value]);
      break;
    case 'watermarkHold':
      throw new RangeError('a watermark hold is not user state');
  }
  return w.toBytes();
}
