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
import { ByteReader, ByteWriter, type Coder, RiffleError, type Instant } from '../../model/index.ts';
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

/** Throws unless `v` survives structured cloning unchanged (plain data: no class instances, functions or symbols). */
function checkPlain(v: unknown, path: string, depth: number): void {
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'function' || typeof v === 'symbol') throw notPlain(path, typeof v);
    return;
  }
  if (ArrayBuffer.isView(v)) return;
  if (depth > 64) throw notPlain(path, 'a structure more than 64 levels deep');
  const proto = Object.getPrototypeOf(v);
  if (!PLAIN_PROTOTYPES.has(proto)) throw notPlain(path, `an instance of ${(v as object).constructor?.name ?? 'a class'}`);
  if (v instanceof Map) {
    for (const [k, x] of v) {
      checkPlain(k, `${path}<key>`, depth + 1);
      checkPlain(x, `${path}.get(…)`, depth + 1);
    }
  } else if (v instanceof Set) {
    for (const x of v) checkPlain(x, `${path}<element>`, depth + 1);
  } else if (!(v instanceof Date)) {
    for (const k of Object.keys(v)) checkPlain((v as Record<string, unknown>)[k], `${path}.${k}`, depth + 1);
  }
}

function notPlain(path: string, what: string): StateNotEncodableError {
  return new StateNotEncodableError(`state value ${path} is ${what}, which the fallback state coder cannot encode without changing it`, 'declare a coder for the state (codedStateTags.* or the coder of the collection the step reads)');
}

/**
 * A fallback coder for state whose tag declares none: V8's structured serialization of plain data (objects, arrays,
 * Maps, Sets, Dates, bigints, typed arrays, undefined, NaN, -0 all round-trip). Values it would change — class
 * instances lose their prototype — or cannot encode are refused with a StateNotEncodableError naming the path.
 * Not deterministic: for values only, never keys.
 */
export function structuredStateCoder<T = unknown>(): Coder<T> {
  return {
    name: 'structuredState',
    deterministic: false,
    nonDeterministicReason: 'structured serialization keeps insertion order of object keys',
    encode(v, out) {
      checkPlain(v, 'value', 0);
      out.bytes(serialize(v));
    },
    decode: (input) => deserialize(input.bytes()) as T,
  };
}

/** Writes and reads instants (watermark holds, ordered-list timestamps) as doubles: ±Infinity included. */
export const instantIo = {
  write: (w: ByteWriter, t: Instant): void => w.float64(t),
  read: (r: ByteReader): Instant => r.float64(),
};
