/**
 * State tags that carry coders: what a state backend needs to spill a cell or snapshot it. They are semantics'
 * `StateTag`s (same `kind` and `id`, so every `StateInternals` user accepts them) with a `coders` field. Tags
 * declared without coders (semantics' own, such as the reducer's buffer) get theirs from the backend's `coderFor`
 * option — the engine knows the element and accumulator coders of each step — or its `defaultCoder`.
 * @example
 *   const seen = codedStateTags.set('seen', coders.string());
 *   const total = codedStateTags.combining('total', sumFn, coders.varInt());
 *   state.state('global', seen).add('a');
 */
import { serialize, deserialize } from 'node:v8';
import { ByteReader, ByteWriter, CoderInputError, coders, GlobalWindow, IntervalWindow, isGlobalWindow, isPlainIntervalWindow, type BoundedWindow, type Coder, RiffleError, type Instant } from '../../model/index.ts';
import { stateTags, type HoldCombine, type StateCombineFn, type StateTag, type BagState, type CombiningState, type MapState, type OrderedListState, type SetState, type ValueState, type WatermarkHoldState } from '../../semantics/index.ts';

/** The coders of one tag: `value` for values, bag/set/ordered-list elements and map values; `key` for map keys. */
export interface TagCoders {
  value?: Coder<unknown>;
  key?: Coder<unknown>;
  accumulator?: Coder<unknown>;
}

/** A semantics StateTag with its coders. */
export type CodedStateTag<S> = StateTag<S> & { readonly coders?: TagCoders };

export type AnyStateTag = CodedStateTag<unknown>;

/** Tags with coders, one factory per kind of state (the coded twins of semantics' `stateTags`). */
export const codedStateTags = {
  value<T>(id: string, coder: Coder<T>): CodedStateTag<ValueState<T>> {
    return { ...stateTags.value<T>(id), coders: { value: coder as Coder<unknown> } };
  },
  bag<T>(id: string, coder: Coder<T>): CodedStateTag<BagState<T>> {
    return { ...stateTags.bag<T>(id), coders: { value: coder as Coder<unknown> } };
  },
  combining<I, A, O>(id: string, combineFn: StateCombineFn<I, A, O>, accumulatorCoder: Coder<A>): CodedStateTag<CombiningState<I, A, O>> {
    return { ...stateTags.combining(id, combineFn), coders: { accumulator: accumulatorCoder as Coder<unknown> } };
  },
  map<K, V>(id: string, keyCoder: Coder<K>, valueCoder: Coder<V>): CodedStateTag<MapState<K, V>> {
    return { ...stateTags.map<K, V>(id), coders: { key: keyCoder as Coder<unknown>, value: valueCoder as Coder<unknown> } };
  },
  set<T>(id: string, coder: Coder<T>): CodedStateTag<SetState<T>> {
    return { ...stateTags.set<T>(id), coders: { value: coder as Coder<unknown> } };
  },
  orderedList<T>(id: string, coder: Coder<T>): CodedStateTag<OrderedListState<T>> {
    return { ...stateTags.orderedList<T>(id), coders: { value: coder as Coder<unknown> } };
  },
  /** Holds need no coder (instants are doubles). */
  watermarkHold(id: string, combine: HoldCombine = 'earliest'): CodedStateTag<WatermarkHoldState> {
    return stateTags.watermarkHold(id, combine);
  },
};

/** A cell's value cannot be encoded (no coder for its tag, or a value the fallback coder refuses). */
export class StateNotEncodableError extends RiffleError {
  constructor(message: string, hint: string) {
    super('STATE_NOT_ENCODABLE', message, { domain: 'user', hint });
  }
}

const PLAIN_PROTOTYPES = new Set<unknown>([Object.prototype, Array.prototype, Map.prototype, Set.prototype, Date.prototype, null]);

/**
 * Windows in state (the reducer's active-window set of a merging window function keeps them): global and interval
 * windows — exactly those classes, not subclasses, which carry more than the fallback coder knows — are written as a
 * plain object with this one reserved field (`'global'` or `[start, end]`) and made windows again when read. A value
 * holding them is wrapped as `{ [WINDOWS_FIELD]: value }`, so values written without windows read as before.
 */
const WINDOW_FIELD = '\u0000riffle.window';
const WINDOWS_FIELD = '\u0000riffle.windows';

/**
 * Throws unless `v` survives structured cloning unchanged (plain data: no class instances, functions or symbols),
 * global and interval windows aside: returns `v`, or a copy of it with its windows replaced (see WINDOW_FIELD).
 */
function plainOf(v: unknown, path: string, depth: number, exact: Exactness): unknown {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'function' || typeof v === 'symbol') throw notPlain(path, typeof v);
    return v;
  }
  if (ArrayBuffer.isView(v)) {
    if (!(v instanceof Uint8Array)) exact.objectCoder = false; // other views: structured serialization keeps their class
    return v;
  }
  if (depth > 64) throw notPlain(path, 'a structure more than 64 levels deep');
  const proto = Object.getPrototypeOf(v);
  if (!PLAIN_PROTOTYPES.has(proto)) {
    if (isPlainIntervalWindow(v as BoundedWindow)) return { [WINDOW_FIELD]: [(v as IntervalWindow).start, (v as IntervalWindow).end] };
    if (isGlobalWindow(v as BoundedWindow)) return { [WINDOW_FIELD]: 'global' };
    throw notPlain(path, `an instance of ${(v as object).constructor?.name ?? 'a class'}`);
  }
  if (v instanceof Map) {
    let copy: Map<unknown, unknown> | undefined;
    let i = 0;
    for (const [k, x] of v) {
      const pk = plainOf(k, `${path}<key>`, depth + 1, exact);
      const px = plainOf(x, `${path}.get(…)`, depth + 1, exact);
      if (copy === undefined && (pk !== k || px !== x)) copy = new Map([...v].slice(0, i));
      copy?.set(pk, px);
      i++;
    }
    return copy ?? v;
  }
  if (v instanceof Set) {
    let copy: Set<unknown> | undefined;
    let i = 0;
    for (const x of v) {
      const px = plainOf(x, `${path}<element>`, depth + 1, exact);
      if (copy === undefined && px !== x) copy = new Set([...v].slice(0, i));
      copy?.add(px);
      i++;
    }
    return copy ?? v;
  }
  if (v instanceof Date) return v;
  if (Array.isArray(v)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      if (!(i in v)) exact.objectCoder = false; // a hole: structured serialization keeps it, the object coder writes undefined
      const px = plainOf(v[i], `${path}[${i}]`, depth + 1, exact);
      if (copy === undefined && px !== v[i]) copy = v.slice(0, i);
      copy?.push(px);
    }
    return copy ?? v;
  }
  let copy: Record<string, unknown> | undefined;
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (k === WINDOW_FIELD || k === WINDOWS_FIELD) throw notPlain(`${path}.${JSON.stringify(k)}`, 'a field whose name the fallback state coder reserves');
    const x = (v as Record<string, unknown>)[k];
    const px = plainOf(x, `${path}.${k}`, depth + 1, exact);
    if (copy === undefined && px !== x) {
      copy = {};
      for (let j = 0; j < i; j++) copy[keys[j]!] = (v as Record<string, unknown>)[keys[j]!];
    }
    if (copy !== undefined) copy[k] = px;
  }
  return copy ?? v;
}

/** The inverse of plainOf's window replacement, in place (the value was just deserialized: it is ours). */
function revive(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v) || v instanceof Date) return v;
  if (v instanceof Map) {
    const entries = [...v];
    v.clear();
    for (const [k, x] of entries) v.set(revive(k), revive(x));
    return v;
  }
  if (v instanceof Set) {
    const items = [...v];
    v.clear();
    for (const x of items) v.add(revive(x));
    return v;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = revive(v[i]);
    return v;
  }
  const o = v as Record<string, unknown>;
  const w = o[WINDOW_FIELD];
  if (w !== undefined) return w === 'global' ? GlobalWindow.INSTANCE : new IntervalWindow((w as number[])[0]!, (w as number[])[1]!);
  for (const k of Object.keys(o)) o[k] = revive(o[k]);
  return o;
}

function notPlain(path: string, what: string): StateNotEncodableError {
  return new StateNotEncodableError(`state value ${path} is ${what}, which the fallback state coder cannot encode without changing it`, 'declare a coder for the state (codedStateTags.* or the coder of the collection the step reads)');
}

/**
 * A fallback coder for state whose tag declares none, for plain data (objects, arrays, Maps, Sets, Dates, bigints,
 * typed arrays, undefined, NaN, -0 all round-trip): Riffle's object coder, or V8's structured serialization for what
 * only it writes exactly (see OBJECT_CODER_MARK). Values it would change — class
 * instances lose their prototype — or cannot encode are refused with a StateNotEncodableError naming the path;
 * global and interval windows (the merging reducer's active-window set holds them) are the exception: see WINDOW_FIELD.
 * Not deterministic: for values only, never keys.
 */
export function structuredStateCoder<T = unknown>(): Coder<T> {
  const fast = coders.object<unknown>();
  return {
    name: 'structuredState',
    deterministic: false,
    nonDeterministicReason: 'structured serialization keeps insertion order of object keys',
    encode(v, out) {
      const exact: Exactness = { objectCoder: true };
      const plain = plainOf(v, 'value', 0, exact);
      const value = plain === v ? v : { [WINDOWS_FIELD]: plain };
      if (exact.objectCoder) {
        const mark = out.length;
        out.byte(OBJECT_CODER_MARK);
        try {
          fast.encode(value, out);
          return;
        } catch (e) {
          if (!(e instanceof CoderInputError)) throw e;
          out.length = mark; // something only structured serialization writes exactly
        }
      }
      out.bytes(serialize(value));
    },
    decode(input) {
      let v: unknown;
      if (input.peek() === OBJECT_CODER_MARK) {
        input.byte();
        v = fast.decode(input);
      } else v = deserialize(input.bytes());
      if (v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype && WINDOWS_FIELD in v) return revive((v as Record<string, unknown>)[WINDOWS_FIELD]) as T;
      return v as T;
    },
  };
}

/**
 * The first byte of a value written with the object coder (model/coders/object.ts: several times faster than V8's
 * serializer on small values). Values it cannot write exactly — typed arrays other than bytes, arrays with holes —
 * are written as before: V8's serialization, length-prefixed, whose varint length never
 * starts with a 0 byte, so values written by earlier versions (all of them that way) read as they did.
 */
const OBJECT_CODER_MARK = 0;

/** Whether plainOf met only what the object coder writes exactly. */
interface Exactness {
  objectCoder: boolean;
}

/** Writes and reads instants (watermark holds, ordered-list timestamps) as doubles: ±Infinity included. */
export const instantIo = {
  write: (w: ByteWriter, t: Instant): void => w.float64(t),
  read: (r: ByteReader): Instant => r.float64(),
};
