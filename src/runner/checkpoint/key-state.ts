/**
 * Keyed state a checkpoint can read and restore: one factory per keyed step (semantics' in-memory state, or a
 * spilling state backend under a memory budget), snapshotted per key group through the state tags' coders.
 *
 * Restoring holds: a backend reports the watermark holds of restored state to its `onHoldChanged` listener. The
 * engine's keyed store creates a restored key (its hold listener) before the key's state is restored; while a restore
 * runs, this factory routes the backend's reports to the listener of the key they belong to.
 */
import type { Instant } from '../../model/index.ts';
import type { StateInternals } from '../../semantics/index.ts';
import type { EncodedKey, KeyStateFactory } from '../local/index.ts';
import { canonicalKeyString, InMemoryKeyState, InMemoryStateBackend, SpillingStateBackend, structuredStateCoder, type MemoryBudget, type StateBackend } from '../state/index.ts';

type HoldListener = (cell: object, next: Instant | undefined) => void;

class StepKeyState implements KeyStateFactory {
  readonly backend: InMemoryStateBackend;
  private restoring: Map<string, HoldListener> | undefined;

  constructor(make: (onHoldChanged: (ref: { key: string; keyGroup: number }, cell: object, next: Instant | undefined) => void) => InMemoryStateBackend) {
    this.backend = make((ref, cell, next) => this.restoring?.get(`${ref.keyGroup}\u0000${ref.key}`)?.(cell, next));
  }

  create(keyGroup: number, encoded: EncodedKey, _key: unknown, onHold: HoldListener) {
    const key = canonicalKeyString(encoded);
    this.restoring?.set(`${keyGroup}\u0000${key}`, onHold);
    return this.backend.forKey(keyGroup, key, onHold);
  }

  pendingIo(): Promise<void> | undefined {
    return this.backend.needsFlush ? this.backend.flush() : undefined;
  }

  release(state: StateInternals): void {
    this.backend.releaseKey(state);
  }

  snapshotGroup(keyGroup: number): Uint8Array {
    return this.backend.snapshot(keyGroup);
  }

  restoreGroup(keyGroup: number, bytes: Uint8Array): void {
    this.backend.restore(keyGroup, bytes);
  }

  beginRestore(): void {
    this.restoring = new Map();
  }

  endRestore(): void {
    this.restoring = undefined;
  }
}

/**
 * The key-state factory of a checkpointed run: one per keyed step, whose state snapshots by key group. Without a
 * budget each step's keys live in semantics' in-memory state as in a run without checkpoints (`InMemoryKeyState`:
 * encoded only when a checkpoint is taken, so running checkpointable costs nothing per state access); with a
 * `budget`, each step's state is a `SpillingStateBackend` that spills past its share of it (as the engine's
 * `memoryBytes` does). Both write the same snapshot format, so either restores the other's checkpoints.
 */
export function checkpointedKeyState(o: { budget?: MemoryBudget; keyedSteps?: number } = {}): KeyStateFactory & { readonly backends: ReadonlyMap<string, StateBackend>; close(): void } {
  const steps = new Map<string, KeyStateFactory>();
  const backends = new Map<string, StateBackend>();
  const forStep = (step: string): KeyStateFactory => {
    let s = steps.get(step);
    if (s === undefined) {
      if (o.budget === undefined) s = new InMemoryKeyState({ defaultCoder: structuredStateCoder() });
      else {
        const budget = o.budget.child(`${step} (state)`, 1 / Math.max(1, o.keyedSteps ?? 1));
        const spilling = new StepKeyState((route) => {
          const onHoldChanged = (ref: { key: string; keyGroup: number }, _ns: string, _tag: string, _prev: Instant | undefined, next: Instant | undefined, cell: object) => route(ref, cell, next);
          return new SpillingStateBackend({ budget, defaultCoder: structuredStateCoder(), onHoldChanged });
        });
        backends.set(step, spilling.backend);
        s = spilling;
      }
      steps.set(step, s);
    }
    return s;
  };
  return {
    backends,
    forStep,
    create: (keyGroup, encoded, key, onHold) => forStep('').create(keyGroup, encoded, key, onHold),
    pendingIo: () => {
      let all: Promise<void>[] | undefined;
      for (const s of steps.values()) {
        const p = s.pendingIo?.();
        if (p !== undefined) (all ??= []).push(p);
      }
      return all === undefined ? undefined : Promise.all(all).then(() => undefined);
    },
    close: () => {
      for (const b of backends.values()) b.close();
    },
  };
}
