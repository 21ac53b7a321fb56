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

/** An injective byte encoding of the engine's EncodedKey values (the same shape as runner/local's encodedKeyBytes). */
export function defaultKeyBytes(encoded: EncodedKey): Uint8Array {
  switch (typeof encoded) {
    case 'string':
      return utf8.encode('s' + encoded);
    case 'number': {
      const b = new Uint8Array(9);
      b[0] = 0x6e;
      new DataView(b.buffer).setFloat64(1, Object.is(encoded, -0) ? 0 : encoded);
      return b;
    }
    case 'boolean':
      return Uint8Array.of(encoded ? 0x74 : 0x66);
    case 'bigint':
      return utf8.encode('b' + encoded.toString());
    case 'undefined':
      return Uint8Array.of(0x75);
    default:
      return Uint8Array.of(0x30);
  }
}

export function backendKeyState(backend: StateBackend, opts: BackendKeyStateOptions = {}): KeyStateFactory {
  const keyBytes = opts.keyBytes ?? ((encoded: EncodedKey) => defaultKeyBytes(encoded));
  return {
    create: (keyGroup: number, encoded: EncodedKey, key: unknown, onHold: (cell: object, next: Instant | undefined) => void) =>
      backend.forKey(keyGroup, latin1(keyBytes(encoded, key)), onHold),
    pendingIo: () => (backend.needsFlush ? backend.flush() : undefined),
  };
}
