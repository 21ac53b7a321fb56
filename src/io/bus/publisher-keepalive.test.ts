// A publish waiting in a publisher's batch (its 50 ms delay) keeps the process alive until it is durable: the batch
// timer is not unref'd, unlike the bus's other timers (a script that awaited its publish used to exit with code 13,
// the publish lost).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

test('a script awaiting a batched publish finishes it and exits 0', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'publish-and-exit.ts')], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'published 1');
});
