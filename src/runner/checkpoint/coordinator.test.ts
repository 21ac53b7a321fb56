import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointCoordinator, type CheckpointedJob } from './coordinator.ts';
import { LocalCheckpointStorage } from './storage.ts';

test('after a checkpoint fails (a sink commit throws) no later checkpoint is taken while the job stops', async () => {
  // A committed later checkpoint would publish past the one whose commit failed, and a resumed run re-commits only the
  // checkpoint it restores: the failed commit's output would be lost.
  const dir = mkdtempSync(join(tmpdir(), 'riffle-coordinator-'));
  try {
    const commits: number[] = [];
    const failures: unknown[] = [];
    const source = { position: undefined, finalizePosition: async () => {} };
    const sink = {
      async commitCheckpoint(id: number) {
        commits.push(id);
        if (id === 1) throw new Error('injected commit failure');
      },
    };
    // The job keeps running after it was told to fail (its sources stop at their next batch boundary, later).
    const job = { ops: [], stages: [], sources: [source], sinks: [sink], settle: async () => {}, beforeBarrier: () => {}, fail: (e: unknown) => void failures.push(e) } as unknown as CheckpointedJob;
    const coordinator = new CheckpointCoordinator(new LocalCheckpointStorage(dir), { graph: 'g', steps: [], maxParallelism: 128 }, { intervalMs: 5, log: () => {} });
    coordinator.start(job);
    for (let i = 0; i < 100 && failures.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(failures.length, 1, 'the failure reached the job');
    await new Promise((r) => setTimeout(r, 100)); // twenty intervals
    await coordinator.stop();
    assert.deepEqual(commits, [1]);
    assert.deepEqual(readdirSync(dir).filter((d) => d.startsWith('chk-')), ['chk-1']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
