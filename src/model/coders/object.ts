/**
 * The default coder for plain JS values (objects, arrays, strings, numbers, booleans, null, undefined, bigints,
 * Uint8Arrays and Buffers, Dates, Maps, Sets): a tagged binary encoding that is faster than JSON and `v8.serialize`
 * and never loses data (a class instance it cannot rebuild is refused with an error, never flattened; symbol-keyed
 * and non-enumerable properties are not data here, as in JSON and structured clone).
 *
 * Plain objects are written by *shape*: the coder learns each list of field names it meets (up to 64 shapes),
 * compiles an encoder and a decoder for it, and writes the names once per object as a compact signature followed by
 * the values; an object of a new shape past the limit is written field by field (tag and name each). Every encoded
 * value is self-contained: any instance of the coder, in any worker, decodes it.
 *
 * `coders.object({ fields })` declares the shape instead: only the values are written (a field of the wrong type,
 * or a missing or extra field, sends that element through the generic form instead, so nothing is lost).
 *
 * Determinism: field order follows insertion order, so `coders.object()` is not deterministic; `{ canonical: true }`
 * writes fields in sorted order (and refuses Maps and Sets, which have no canonical order), and a declared shape is
 * written in its declared order: both may key a grouping.
 * @example
 *   const c = coders.object<Bid>();
 *   decodeFromBytes(c, encodeToBytes(c, { auction: 1, bidder: 2, price: 3, dateTime: 4, extra: '' }))
 */
import { ByteReader, ByteWriter, CoderInputError } from './byte-io.ts';
import type { Coder } from './core.ts';
import { bigintFromBytes, bigintToBytes } from './scalars.ts';

const T_NULL = 0;
const T_UNDEFINED = 1;
const T_FALSE = 2;
const T_TRUE = 3;
const T_INT = 4;
const T_DOUBLE = 5;
const T_STRING = 6;
const T_ARRAY = 7;
/** 8 is reserved (objects are all written as T_SHAPED). */
const T_BIGINT = 9;
const T_BYTES = 10;
const T_DATE = 11;
const T_MAP = 12;
const T_SET = 13;
const T_SHAPED = 14;
const T_BUFFER = 15;

const MAX_SHAPES = 64;
const MAX_DEPTH = 200;
/** Integers written as zigzag varints: |n| ≤ 2^52 keeps 2|n| exact. */
const INT_LIMIT = 2 ** 52;

interface Shape {
  readonly names: readonly string[];
  /** The signature as written: its byte length, the field count, then each name length-prefixed. */
  readonly sig: Uint8Array;
  readonly hash: number;
  readonly encodeFields: (v: Record<string, unknown>, o: ByteWriter, w: ValueWriter) => void;
  readonly decodeFields: (i: ByteReader, r: ValueReader) => Record<string, unknown>;
}

type ValueWriter = (v: unknown, o: ByteWriter) => void;
type ValueReader = (i: ByteReader) => unknown;

function hashBytes(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let k = start; k < end; k++) h = Math.imul(h ^ b[k]!, 0x01000193);
  return h >>> 0;
}

/** The signature of a list of field names (see Shape.sig). */
function signature(names: readonly string[]): Uint8Array {
  const body = new ByteWriter(16 + names.length * 8);
  body.varUint(names.length);
  for (const n of names) body.string(n);
  const w = new ByteWriter(body.length + 4);
  w.bytes(body.written());
  return w.toBytes();
}

function compileShape(names: readonly string[]): Shape {
  const sig = signature(names);
  const props = names.map((n) => JSON.stringify(n));
  // Generated code reads and builds the object with constant property names, so V8 keeps one hidden class per shape.
  const encodeFields = new Function('v', 'o', 'w', props.map((p) => `w(v[${p}], o);`).join('\n')) as Shape['encodeFields'];
  // A literal `{"__proto__": x}` would set the prototype instead of a field: such shapes define their fields one by one.
  const decodeFields = names.includes('__proto__')
    ? (i: ByteReader, r: ValueReader) => {
        const out: Record<string, unknown> = {};
        for (const n of names) Object.defineProperty(out, n, { value: r(i), enumerable: true, writable: true, configurable: true });
        return out;
      }
    : (new Function('i', 'r', `return {${props.map((p) => `${p}: r(i)`).join(', ')}};`) as Shape['decodeFields']);
  return { names, sig, hash: hashBytes(sig, 0, sig.length), encodeFields, decodeFields };
}

const plainProto = Object.prototype;

function isPlainObject(v: object): v is Record<string, unknown> {
  const p = Object.getPrototypeOf(v) as unknown;
  return p === plainProto || p === null;
}

export interface ObjectCoderOptions {
  /** Write object fields (and nothing with an insertion order) canonically, so the coder may encode keys. */
  readonly canonical?: boolean;
}

/** A coder of any plain JS value, learning object shapes as it goes. */
export function objectCoder<T = unknown>(opts: ObjectCoderOptions = {}): Coder<T> {
  const canonical = opts.canonical === true;
  const shapes: Shape[] = [];
  const byHash = new Map<number, Shape[]>();
  // The two shapes met last, in encoding and in decoding (nested objects alternate between two).
  let last: Shape | undefined;
  let previous: Shape | undefined;
  let depth = 0;

  const learn = (names: readonly string[]): Shape | undefined => {
    if (shapes.length >= MAX_SHAPES) return undefined;
    const s = compileShape(names);
    shapes.push(s);
    const list = byHash.get(s.hash);
    if (list) list.push(s);
    else byHash.set(s.hash, [s]);
    return s;
  };

  /**
   * The learned shape of a plain object, learning it if there is room. Insertion order decides the field order, or,
   * when canonical, the sorted names; either way the bytes depend only on the value, never on what was learned.
   */
  const shapeOf = (v: Record<string, unknown>): Shape | undefined => {
    const matches = canonical ? sameKeySet : sameKeys;
    if (last !== undefined && matches(v, last.names)) return last;
    let s: Shape | undefined;
    if (previous !== undefined && matches(v, previous.names)) s = previous;
    else s = shapes.find((x) => matches(v, x.names)) ?? learn(canonical ? Object.keys(v).sort() : Object.keys(v));
    if (s) {
      previous = last;
      last = s;
    }
    return s;
  };

  const write: ValueWriter = (v, o) => {
    switch (typeof v) {
      case 'string':
        o.byte(T_STRING);
        o.flaggedString(v);
        return;
      case 'number':
        if (Number.isInteger(v) && v <= INT_LIMIT && v >= -INT_LIMIT && !Object.is(v, -0)) {
          o.byte(T_INT);
          o.varUint(v >= 0 ? v * 2 : -v * 2 - 1);
        } else {
          o.byte(T_DOUBLE);
          o.float64(v);
        }
        return;
      case 'boolean':
        o.byte(v ? T_TRUE : T_FALSE);
        return;
      case 'undefined':
        o.byte(T_UNDEFINED);
        return;
      case 'bigint':
        o.byte(T_BIGINT);
        o.bytes(bigintToBytes(v));
        return;
      case 'object':
        if (v === null) {
          o.byte(T_NULL);
          return;
        }
        if (++depth > MAX_DEPTH) {
          depth = 0;
          throw new RangeError(`coders.object: values nest deeper than ${MAX_DEPTH} levels (a cycle?)`);
        }
        try {
          writeObject(v, o);
        } finally {
          depth--;
        }
        return;
      default:
        throw new RangeError(`coders.object: cannot encode a ${typeof v} (only data: objects, arrays, strings, numbers, booleans, bigints, null, undefined, Uint8Array, Date, Map, Set)`);
    }
  };

  const writeObject = (v: object, o: ByteWriter): void => {
    if (Array.isArray(v)) {
      o.byte(T_ARRAY);
      o.varUint(v.length);
      for (let k = 0; k < v.length; k++) write(v[k], o);
      return;
    }
    if (isPlainObject(v)) {
      const s = shapeOf(v);
      if (s) {
        o.byte(T_SHAPED);
        o.raw(s.sig);
        s.encodeFields(v, o, write);
        return;
      }
      // Past the shape limit: the same bytes, written field by field.
      const names = canonical ? Object.keys(v).sort() : Object.keys(v);
      o.byte(T_SHAPED);
      o.raw(signature(names));
      for (const n of names) write(v[n], o);
      return;
    }
    if (v instanceof Uint8Array && (v.constructor === Uint8Array || Buffer.isBuffer(v))) {
      o.byte(v.constructor === Uint8Array ? T_BYTES : T_BUFFER);
      o.bytes(v);
      return;
    }
    if (v instanceof Date) {
      o.byte(T_DATE);
      o.float64(v.getTime());
      return;
    }
    if (v instanceof Map || v instanceof Set) {
      if (canonical) throw new RangeError(`coders.object({ canonical: true }): a ${v instanceof Map ? 'Map' : 'Set'} has no canonical order; key by a plain object or an array`);
      o.byte(v instanceof Map ? T_MAP : T_SET);
      o.varUint(v.size);
      if (v instanceof Map) {
        for (const [k, x] of v) {
          write(k, o);
          write(x, o);
        }
      } else for (const x of v) write(x, o);
      return;
    }
    const cls = (v as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    throw new RangeError(`coders.object: cannot encode an instance of ${cls} without losing its class; give the collection a coder of its own (withCoder)`);
  };

  const read: ValueReader = (i) => {
    const at = i.position;
    const tag = i.byte();
    switch (tag) {
      case T_STRING:
        return i.flaggedString();
      case T_INT: {
        const z = i.varUint();
        return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      }
      case T_SHAPED:
        return readShaped(i);
      case T_DOUBLE:
        return i.float64();
      case T_TRUE:
        return true;
      case T_FALSE:
        return false;
      case T_NULL:
        return null;
      case T_UNDEFINED:
        return undefined;
      case T_ARRAY: {
        const n = i.count('an array length');
        const out: unknown[] = new Array<unknown>(n);
        for (let k = 0; k < n; k++) out[k] = read(i);
        return out;
      }
      case T_BIGINT:
        return bigintFromBytes(i.bytes());
      case T_BYTES:
        return i.bytes().slice();
      case T_BUFFER:
        return Buffer.from(i.bytes());
      case T_DATE:
        return new Date(i.float64());
      case T_MAP: {
        const n = i.count('a Map size', 2);
        const m = new Map<unknown, unknown>();
        for (let k = 0; k < n; k++) {
          const key = read(i);
          m.set(key, read(i));
        }
        return m;
      }
      case T_SET: {
        const n = i.count('a Set size');
        const s = new Set<unknown>();
        for (let k = 0; k < n; k++) s.add(read(i));
        return s;
      }
      default:
        throw new CoderInputError(`coder object: unknown type tag ${tag} at byte ${at}`);
    }
  };

  /** A shaped object: the recent shapes are tried in place, then the one the signature's hash names, then a new one. */
  const readShaped = (i: ByteReader): Record<string, unknown> => {
    if (last !== undefined && i.skipIfNext(last.sig)) return last.decodeFields(i, read);
    if (previous !== undefined && i.skipIfNext(previous.sig)) {
      const s = previous;
      previous = last;
      last = s;
      return s.decodeFields(i, read);
    }
    const start = i.position;
    const sigLength = i.count('an object signature');
    const sigStart = i.position;
    const total = sigStart - start + sigLength;
    i.raw(sigLength);
    const all = i.viewAt(start, start + total);
    let s = byHash.get(hashBytes(all, 0, all.length))?.find((x) => sameBytes(x.sig, all));
    if (s === undefined) {
      const sig = new ByteReader(all.subarray(sigStart - start));
      const n = sig.count('an object field count');
      const names: string[] = [];
      for (let k = 0; k < n; k++) names.push(sig.string());
      if (!sig.done) throw new CoderInputError(`coder object: the signature at byte ${start} has ${sig.remaining} bytes after its names`);
      if (new Set(names).size !== n) throw new CoderInputError(`coder object: the signature at byte ${start} names a field twice`);
      s = learn(names);
      if (s === undefined) {
        const out: Record<string, unknown> = {};
        for (const name of names) Object.defineProperty(out, name, { value: read(i), enumerable: true, writable: true, configurable: true });
        return out;
      }
    }
    previous = last;
    last = s;
    return s.decodeFields(i, read);
  };

  return {
    name: canonical ? 'object(canonical)' : 'object',
    deterministic: canonical,
    ...(canonical ? {} : { nonDeterministicReason: 'object fields are written in insertion order (use coders.object({ canonical: true }) or a declared shape)' }),
    encode(v, o) {
      depth = 0;
      write(v, o);
    },
    decode: (i) => read(i) as T,
  };
}

function sameKeys(v: Record<string, unknown>, names: readonly string[]): boolean {
  let k = 0;
  for (const key in v) {
    if (names[k] !== key) return false;
    k++;
  }
  return k === names.length;
}

/** The object has exactly these own keys, in any order. */
function sameKeySet(v: Record<string, unknown>, names: readonly string[]): boolean {
  let k = 0;
  for (const key in v) {
    if (!Object.hasOwn(v, key)) return false;
    k++;
  }
  if (k !== names.length) return false;
  for (const n of names) if (!Object.hasOwn(v, n)) return false;
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}
