/**
 * The coder interface. A coder turns values into bytes and back: what elements become when they cross a worker or
 * process boundary, or are spilled or checkpointed. It says whether equal values always encode to equal bytes
 * (`deterministic`): grouping and state need that of their keys, and a pipeline that keys by a non-deterministic
 * coder is refused before it runs.
 *
 * Contexts, as in Beam: `encode`/`decode` write a value *nested* — self-delimiting, so that more can follow (a
 * string carries its length). `encodeOuter`/`decodeOuter`, when a coder has them, write the value as the *last*
 * thing in its buffer (Beam's outer context: bytes and strings without their length). `encodeToBytes(c, v, 'outer')`
 * uses them.
 * @example
 *   const c = coders.kv(coders.string(), coders.varInt());
 *   decodeFromBytes(c, encodeToBytes(c, kv('a', 1)))  // { key: 'a', value: 1 }
 */
import type { KV } from '../kv.ts';
import { ByteReader, ByteWriter, CoderInputError } from './byte-io.ts';

export interface Coder<T> {
  readonly name: string;
  readonly deterministic: boolean;
  /** Why the coder is not deterministic (for error messages). */
  readonly nonDeterministicReason?: string;
  /** Writes the value in the nested context: self-delimiting. */
  encode(value: T, out: ByteWriter): void;
  decode(input: ByteReader): T;
  /** Writes the value as the last thing in the buffer (Beam's outer context); absent: as `encode`. */
  encodeOuter?(value: T, out: ByteWriter): void;
  /** Reads a value that runs to the end of the input; absent: as `decode`. */
  decodeOuter?(input: ByteReader): T;
}

/** Beam's two encoding contexts: `nested` (self-delimiting) and `outer` (the value ends with its buffer). */
export type CoderContext = 'nested' | 'outer';

/** The coder of keyed collections: its key coder is what grouping checks. */
export interface KvCoder<K, V> extends Coder<KV<K, V>> {
  readonly keyCoder: Coder<K>;
  readonly valueCoder: Coder<V>;
}

export function isKvCoder(c: Coder<unknown> | undefined): c is KvCoder<unknown, unknown> {
  return c !== undefined && 'keyCoder' in c;
}

/** Writes `value` with `coder` in the given context. */
export function encodeIn<T>(coder: Coder<T>, value: T, out: ByteWriter, context: CoderContext): void {
  if (context === 'outer' && coder.encodeOuter) coder.encodeOuter(value, out);
  else coder.encode(value, out);
}

/** Reads a value with `coder` in the given context. */
export function decodeIn<T>(coder: Coder<T>, input: ByteReader, context: CoderContext): T {
  return context === 'outer' && coder.decodeOuter ? coder.decodeOuter(input) : coder.decode(input);
}

/** The bytes of one value (nested context unless `outer` is asked for). */
export function encodeToBytes<T>(coder: Coder<T>, value: T, context: CoderContext = 'nested'): Uint8Array {
  const w = new ByteWriter();
  encodeIn(coder, value, w, context);
  return w.toBytes();
}

/** The value of `bytes`, which must hold exactly one encoded value (trailing bytes are an error). */
export function decodeFromBytes<T>(coder: Coder<T>, bytes: Uint8Array, context: CoderContext = 'nested'): T {
  const r = new ByteReader(bytes);
  const v = decodeIn(coder, r, context);
  if (!r.done) throw new CoderInputError(`coder ${coder.name}: trailing bytes after the value (${r.remaining} of ${bytes.length} left at byte ${r.position})`);
  return v;
}

/** The determinism fields of a coder built from components: deterministic when all of them are. */
export function composedDeterminism(components: readonly Coder<unknown>[]): { deterministic: boolean; nonDeterministicReason?: string } {
  for (const c of components) {
    if (!c.deterministic) return { deterministic: false, nonDeterministicReason: `${c.name}: ${c.nonDeterministicReason ?? 'not deterministic'}` };
  }
  return { deterministic: true };
}

/** Coders that write zero bytes (a global window, null): an iterable of them may count more items than it has bytes. */
export const zeroWidthCoders = new WeakSet<Coder<unknown>>();
