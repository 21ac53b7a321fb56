// Bounded memory (issue 13, item 3): a groupByKey over data several times the heap (2M elements, ~135 MB encoded,
// several hundred MB as objects) completes under NODE_OPTIONS=--max-old-space-size=64 with the default budget (a
// fraction of that heap), spilling sorted runs, and every key's values check against the reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('./fixtures/big-group.ts', import.meta.url));
const N = 2_000_000;
const K = 20_000;
const HEAP_MB = 64;

test(`a groupByKey over ${N} elements completes in a ${HEAP_MB} MB heap by spilling, with the reference result`, () => {
  const child = spawnSync(process.execPath, ['--import', 'tsx', FIXTURE, String(N), String(K)], {
    env: { ...process.env, NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}` },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout: 120_000,
  });
  assert.equal(child.status, 0, `the child failed (${child.signal ?? child.status}): ${child.stderr.slice(-2000)}`);
  const r = JSON.parse(child.stdout) as { counts: number[]; sums: number[]; bad: number; memory: { bytesSpilled: number; runsWritten: number; peakBytesInMemory: number; limit: number } };
  assert.equal(r.bad, 0, 'every value came back whole, under its own key');
  const counts: number[] = [];
  const sums: number[] = [];
  for (let k = 0; k < K; k++) {
    const c = Math.floor((N - 1 - k) / K) + 1;
    counts.push(c);
    sums.push(c * k + (K * c * (c - 1)) / 2);
  }
  assert.deepEqual(r.counts, counts);
  assert.deepEqual(r.sums, sums);
  // The default budget derives from the heap limit NODE_OPTIONS set (0.4 of V8's limit, young space included).
  assert.ok(r.memory.limit < HEAP_MB * 1.5 * 2 ** 20 * 0.4 + (16 << 20), `budget ${r.memory.limit} follows the ${HEAP_MB} MB heap`);
  assert.ok(r.memory.bytesSpilled > HEAP_MB * 2 ** 20, `more than the heap was spilled: ${JSON.stringify(r.memory)}`);
  assert.ok(r.memory.runsWritten >= 2);
});
