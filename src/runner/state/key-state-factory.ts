/**
 * The plug between a state backend and the engine's keyed operators: a `KeyStateFactory` (runner/local) whose keys'
 * state lives in `backend`, addressed by the key group the engine assigned and the key's bytes, and whose bundle-
 * boundary work is the backend's flush when it is past its budget.
 * @example
 *   const backend = new SpillingStateBackend({ budget: worker.child('state', 0.5), defaultCoder: structuredStateCoder() });
 *   runner.run(pipeline, { keyState: backendKeyState(backend) });
 */
import type { EncodedKey, KeyStateFactory } from '../local/index.ts';
import type { Instant } from '../../model/index.ts';
import { latin1 } from './spilling-buffer.ts';
import type { StateBackend } from './state-backend.ts';

export interface BackendKeyStateOptions {
  /** A key's bytes (default: the engine's canonical encoding of the key, tagged by type so 1 and '1' differ). */
  keyBytes?: (encoded: EncodedKey, key: unknown) => Uint8Array;
}

const utf8 = new TextEncoder();

/**
 * An injective byte encoding of the engine's EncodedKey values: a type tag and the value (UTF-8 for strings, float64
 * for numbers, -0 as 0), so 1 and '1' differ. It is what the engine hashes into key groups (runner/local's
 * `encodedKeyBytes`) and what state backends store a key as. A number is written into `scratch` (9 bytes) when one is
 * given — no allocation on the engine's hot path; the caller then uses the bytes before the next call.
 */
export function canonicalKeyBytes(encoded: EncodedKey, scratch?: Uint8Array): Uint8Array {
  switch (typeof encoded) {
    case 'string':
      return utf8.encode('s' + encoded);
    case 'number': {
      const b = scratch ?? new Uint8Array(9);
      b[0] = 0x6e;
      new DataView(b.buffer, b.byteOffset, 9).setFloat64(1, Object.is(encoded, -0) ? 0 : encoded);
      return b;
    }
    case 'boolean':
      return Uint8Array.of(encoded ? 0x74 : 0x66);
    case 'bigint':
      return utf8.encode('b' + encoded.toString());
    case 'undefined':
      return Uint8Array.of(0x75);
    default:
      return Uint8Array.of(0x30); // null
  }
}

const numberScratch = new Uint8Array(9);
const float = new Float64Array(1);
const floatBytes = new Uint8Array(float.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * `canonicalKeyBytes` as the latin1 string a state backend keys by (one character per byte), built without copying
 * the bytes through a Buffer: an ASCII string key is its tag and itself, a number its 9 bytes as characters.
 */
export function canonicalKeyString(encoded: EncodedKey): string {
  if (typeof encoded === 'string') {
    let ascii = true;
    for (let i = 0; i < encoded.length; i++) {
      if (encoded.charCodeAt(i) > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) return 's' + encoded;
  } else if (typeof encoded === 'number') {
    // 'n' and the float64 big-endian (as canonicalKeyBytes writes it), -0 as 0.
    float[0] = Object.is(encoded, -0) ? 0 : encoded;
    const b = floatBytes;
    return littleEndian
      ? String.fromCharCode(0x6e, b[7]!, b[6]!, b[5]!, b[4]!, b[3]!, b[2]!, b[1]!, b[0]!)
      : String.fromCharCode(0x6e, b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, b[6]!, b[7]!);
  }
  return latin1(canonicalKeyBytes(encoded, numberScratch));
}

/** A key's bytes as a state backend stores them (a fresh array each call). */
export function defaultKeyBytes(encoded: EncodedKey): Uint8Array {
  return canonicalKeyBytes(encoded);
}

/**
 * A `KeyStateFactory` with one backend per keyed step (`backendFor(step)`, made when the engine builds the step), so
 * steps keyed alike never share a key's state. `close()` closes every backend (spill files removed).
 * @example
 *   const keyState = perStepKeyState((step) => new SpillingStateBackend({ budget: job.child(step, 1), defaultCoder: structuredStateCoder() }));
 */
export function perStepKeyState(
  backendFor: (step: string) => StateBackend,
  opts: BackendKeyStateOptions = {},
): KeyStateFactory & { readonly backends: ReadonlyMap<string, StateBackend>; close(): void } {
  const backends = new Map<string, StateBackend>();
  const factories = new Map<string, KeyStateFactory>();
  const forStep = (step: string): KeyStateFactory => {
    let f = factories.get(step);
    if (f === undefined) {
      if (backends.has(step)) throw new Error(`perStepKeyState: step '${step}' asked twice`);
      const backend = backendFor(step);
      backends.set(step, backend);
      factories.set(step, (f = backendKeyState(backend, opts)));
    }
    return f;
  };
  // A caller that does not say the step (not the engine, which asks forStep) gets one shared backend.
  const shared = (): KeyStateFactory => forStep('');
  return {
    backends,
    forStep,
    create: (keyGroup, encoded, key, onHold) => shared().create(keyGroup, encoded, key, onHold),
    pendingIo: () => {
      let all: Promise<void>[] | undefined;
      for (const f of factories.values()) {
        const p = f.pendingIo?.();
        if (p !== undefined) (all ??= []).push(p);
      }
      return all === undefined ? undefined : Promise.all(all).then(() => undefined);
    },
    close: () => {
      for (const b of backends.values()) b.close();
    },
  };
}

export function backendKeyState(backend: StateBackend, opts: BackendKeyStateOptions = {}): KeyStateFactory {
  const keyBytes = opts.keyBytes ?? ((encoded: EncodedKey) => defaultKeyBytes(encoded));
  return {
    create: (keyGroup: number, encoded: EncodedKey, key: unknown, onHold: (cell: object, next: Instant | undefined) => void) =>
      backend.forKey(keyGroup, latin1(keyBytes(encoded, key)), onHold),
    pendingIo: () => (backend.needsFlush ? backend.flush() : undefined),
  };
}
