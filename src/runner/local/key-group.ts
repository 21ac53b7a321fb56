import { ByteWriter, isKvCoder, RiffleError, type Coder } from '../../model/index.ts';
import { canonicalKeyBytes } from '../state/index.ts';
import type { EncodedKey } from './key-encoding.ts';

/**
 * Key groups: the unit in which keyed state is partitioned, snapshotted, restored and moved when the number of workers
 * changes (Flink's maxParallelism). A key's group is `murmur3(encoded key bytes) mod maxParallelism`; a group's worker
 * is `floor(group * workers / maxParallelism)` (contiguous ranges, so rescaling moves whole ranges).
 */
export const DEFAULT_MAX_PARALLELISM = 128;

/** MurmurHash3 (x86, 32-bit) of `bytes`: stable across processes and platforms, unlike any JS object hash. */
export function murmur3(bytes: Uint8Array, seed = 0): number {
  let h = seed >>> 0;
  const n = bytes.length;
  const blocks = n & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = n & 3;
  if (rest > 0) {
    let k = bytes[blocks]!;
    if (rest > 1) k ^= bytes[blocks + 1]! << 8;
    if (rest > 2) k ^= bytes[blocks + 2]! << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The key group of a key whose deterministic encoding is `bytes`. */
export function keyGroupOf(bytes: Uint8Array, maxParallelism = DEFAULT_MAX_PARALLELISM): number {
  return murmur3(bytes) % maxParallelism;
}

/** The worker (0-based) that owns a key group when `workers` workers share `maxParallelism` groups. */
export function workerOfKeyGroup(keyGroup: number, workers: number, maxParallelism = DEFAULT_MAX_PARALLELISM): number {
  return Math.floor((keyGroup * workers) / maxParallelism);
}

/** Checks a maxParallelism option: a whole number in [1, 32768] (Flink's bounds). */
export function checkMaxParallelism(n: unknown): number {
  if (n === undefined) return DEFAULT_MAX_PARALLELISM;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1 || n > 32768) {
    throw new RiffleError('CONFIG_INVALID', `maxParallelism must be a whole number from 1 to 32768, got ${String(n)}`, { hint: 'omit it for 128 key groups' });
  }
  return n;
}

/**
 * Maps a key to its key group. The engine's in-memory path keys its tables by `EncodedKey` (key-encoding.ts); until a
 * key coder is known for every keyed collection, `encodedKeyBytes` below is the byte form hashed. An exchange or a
 * state backend that encodes keys with the collection's coder passes its own assigner (same bytes it ships/stores),
 * so that every worker computes the same group for a key.
 */
export type KeyGroupAssigner = (key: unknown, encoded: EncodedKey) => number;

const numberBytes = new Uint8Array(9);

/**
 * The bytes the default assigner hashes (runner/state's `canonicalKeyBytes`, the form state backends store keys in).
 * For a number the array is reused by the next call: hash it before calling again.
 */
export function encodedKeyBytes(encoded: EncodedKey): Uint8Array {
  return canonicalKeyBytes(encoded, numberBytes);
}

/** The default assigner, over `encodedKeyBytes`. */
export function defaultKeyGroupAssigner(maxParallelism = DEFAULT_MAX_PARALLELISM): KeyGroupAssigner {
  return (_key, encoded) => keyGroupOf(encodedKeyBytes(encoded), maxParallelism);
}

/**
 * The assigner of a keyed collection: with a declared KV coder whose key coder is deterministic, the key's coder bytes
 * (what an exchange hashes to route the key, so that a key's state sits in the group it was routed by); otherwise the
 * in-memory encoding's bytes (one worker: nothing is routed).
 */
export function keyGroupAssignerFor(coder: Coder<unknown> | undefined, maxParallelism = DEFAULT_MAX_PARALLELISM): KeyGroupAssigner {
  if (!isKvCoder(coder) || !coder.keyCoder.deterministic) return defaultKeyGroupAssigner(maxParallelism);
  const keyCoder = coder.keyCoder;
  const scratch = new ByteWriter();
  return (key) => {
    scratch.length = 0;
    keyCoder.encode(key, scratch);
    return keyGroupOf(scratch.toBytes(), maxParallelism);
  };
}
