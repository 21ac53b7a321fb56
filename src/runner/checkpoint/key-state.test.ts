import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stateTags } from '../../semantics/index.ts';
import { checkpointedKeyState } from './key-state.ts';
import { canonicalKeyString, MemoryBudget, parseSnapshot } from '../state/index.ts';

describe('checkpointedKeyState', () => {
  for (const budget of [undefined, MemoryBudget.forJob(1 << 20)]) {
    it(`forgets a key the keyed store released empty (memory follows the live keys), and snapshots the others (${budget ? 'spilling backend' : 'in memory'})`, () => {
      const factory = checkpointedKeyState(budget ? { budget } : {});
      const step = factory.forStep!('Count');
      const tag = stateTags.value<number>('n');
      const kept = step.create(3, 7, 7, () => {});
      kept.state('w', tag).write(1);
      for (let k = 100; k < 200; k++) {
        const s = step.create(3, k, k, () => {});
        s.state('w', tag).write(k);
        s.clearNamespace('w');
        step.release?.(s);
      }
      // The keyed store lists the keys it kept (7) when it snapshots a group.
      const bytes = step.snapshotGroup!(3, [{ encoded: 7, state: kept }]);
      assert.deepEqual(parseSnapshot(3, bytes).map((r) => r.key), [canonicalKeyString(7)]);
      if (budget) assert.equal(factory.backends.get('Count')!.metrics().keysInMemory, 1);
      // Either kind restores the other's snapshot.
      for (const restoredBy of [checkpointedKeyState(), checkpointedKeyState({ budget: MemoryBudget.forJob(1 << 20) })]) {
        const restored = restoredBy.forStep!('Count');
        const s = restored.create(3, 7, 7, () => {});
        restored.restoreGroup!(3, bytes, [{ encoded: 7, state: s }]);
        assert.equal(s.state('w', tag).read(), 1);
        restoredBy.close();
      }
      factory.close();
    });
  }
});
