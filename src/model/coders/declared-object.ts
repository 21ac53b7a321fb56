/**
 * Plain objects of a declared shape: only the values are written, in the declared field order, with no names and
 * no type tags — the fastest form, and deterministic (so it may encode keys). An element that does not fit the
 * declaration (a missing or extra field, a value of another type) is written in the generic canonical form behind
 * a marker byte instead: nothing is lost, it is only slower.
 * @example
 *   const bid = coders.object({ fields: { auction: 'int', bidder: 'int', price: 'int', dateTime: 'int', extra: 'string' } });
 */
import { CoderInputError, type ByteReader, type ByteWriter } from './byte-io.ts';
import type { Coder } from './core.ts';
import { objectCoder } from './object.ts';

/**
 * A declared field: 'int' (a safe integer, |n| ≤ 2^52), 'number' (any double), 'string', 'boolean', 'any' (any
 * value, written by the canonical generic coder: Maps and Sets are refused there, give such a field a coder of its
 * own), or a coder of its own; a '?' suffix also allows null and undefined.
 */
export type FieldSpec = 'int' | 'number' | 'string' | 'boolean' | 'any' | 'int?' | 'number?' | 'string?' | 'boolean?' | 'any?' | Coder<unknown>;

export interface DeclaredShape {
  readonly fields: Readonly<Record<string, FieldSpec>>;
}

const INT_LIMIT = 2 ** 52;
const DECLARED = 0;
const GENERIC = 1;

type Check = (x: unknown) => boolean;
type Write = (x: unknown, o: ByteWriter) => void;
type Read = (i: ByteReader) => unknown;

interface FieldOps {
  readonly check: Check;
  readonly write: Write;
  readonly read: Read;
  readonly deterministic: boolean;
}

function baseOps(spec: Exclude<FieldSpec, `${string}?`>, generic: Coder<unknown>): FieldOps {
  switch (spec) {
    case 'int':
      return {
        check: (x) => typeof x === 'number' && Number.isInteger(x) && x <= INT_LIMIT && x >= -INT_LIMIT && !Object.is(x, -0),
        write: (x, o) => o.varUint((x as number) >= 0 ? (x as number) * 2 : -(x as number) * 2 - 1),
        read: (i) => {
          const z = i.varUint();
          return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
        },
        deterministic: true,
      };
    case 'number':
      return { check: (x) => typeof x === 'number', write: (x, o) => o.float64(x as number), read: (i) => i.float64(), deterministic: true };
    case 'string':
      return { check: (x) => typeof x === 'string', write: (x, o) => o.flaggedString(x as string), read: (i) => i.flaggedString(), deterministic: true };
    case 'boolean':
      return {
        check: (x) => typeof x === 'boolean',
        write: (x, o) => o.byte(x ? 1 : 0),
        read: (i) => {
          const b = i.byte();
          if (b > 1) throw new CoderInputError(`coder object: boolean byte ${b} at ${i.position - 1}`);
          return b === 1;
        },
        deterministic: true,
      };
    case 'any':
      return { check: () => true, write: (x, o) => generic.encode(x, o), read: (i) => generic.decode(i), deterministic: generic.deterministic };
    default: {
      const c = spec;
      return { check: () => true, write: (x, o) => c.encode(x, o), read: (i) => c.decode(i), deterministic: c.deterministic };
    }
  }
}

function fieldOps(spec: FieldSpec, generic: Coder<unknown>): FieldOps {
  if (typeof spec !== 'string' || !spec.endsWith('?')) return baseOps(spec as Exclude<FieldSpec, `${string}?`>, generic);
  const inner = baseOps(spec.slice(0, -1) as Exclude<FieldSpec, `${string}?`>, generic);
  return {
    check: (x) => x === null || x === undefined || inner.check(x),
    write(x, o) {
      if (x === undefined) o.byte(0);
      else if (x === null) o.byte(1);
      else {
        o.byte(2);
        inner.write(x, o);
      }
    },
    read(i) {
      const at = i.position;
      const b = i.byte();
      if (b === 0) return undefined;
      if (b === 1) return null;
      if (b === 2) return inner.read(i);
      throw new CoderInputError(`coder object: presence byte ${b} at ${at}`);
    },
    deterministic: inner.deterministic,
  };
}

/** The coder of objects of a declared shape. */
export function declaredObjectCoder<T extends object>(shape: DeclaredShape): Coder<T> {
  const names = Object.keys(shape.fields);
  const generic = objectCoder({ canonical: true });
  const ops = names.map((n) => fieldOps(shape.fields[n]!, generic as Coder<unknown>));
  const props = names.map((n) => JSON.stringify(n));
  // Compiled with constant property names: one hidden class for every decoded object.
  const check = new Function('v', 'c', 'own', `let n = 0; for (const k in v) { if (!own(v, k)) return false; n++; } if (n !== ${names.length}) return false;
    ${props.map((p, k) => `if (!own(v, ${p}) || !c[${k}](v[${p}])) return false;`).join('\n')} return true;`) as (v: object, c: Check[], own: (o: object, k: string) => boolean) => boolean;
  const write = new Function('v', 'o', 'w', props.map((p, k) => `w[${k}](v[${p}], o);`).join('\n')) as (v: object, o: ByteWriter, w: Write[]) => void;
  const read = new Function('i', 'r', `return {${props.map((p, k) => `${p}: r[${k}](i)`).join(', ')}};`) as (i: ByteReader, r: Read[]) => T;
  const checks = ops.map((f) => f.check);
  const writes = ops.map((f) => f.write);
  const reads = ops.map((f) => f.read);
  const nonDeterministic = names.filter((_, k) => !ops[k]!.deterministic);
  return {
    name: `object{${names.join(', ')}}`,
    deterministic: nonDeterministic.length === 0,
    ...(nonDeterministic.length > 0 ? { nonDeterministicReason: `fields ${nonDeterministic.join(', ')} have non-deterministic coders` } : {}),
    encode(v, o) {
      if (v !== null && typeof v === 'object' && isPlain(v) && check(v, checks, Object.hasOwn)) {
        o.byte(DECLARED);
        write(v, o, writes);
      } else {
        o.byte(GENERIC);
        generic.encode(v, o);
      }
    },
    decode(i) {
      const at = i.position;
      const form = i.byte();
      if (form === DECLARED) return read(i, reads);
      if (form === GENERIC) return generic.decode(i) as T;
      throw new CoderInputError(`coder object: unknown form ${form} at byte ${at}`);
    },
  };
}

function isPlain(v: object): boolean {
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
}
