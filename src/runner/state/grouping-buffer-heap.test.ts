import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// A grouping over several times the heap, in a child process with a 64 MB old space: it must complete, spill,
// match the reference exactly (spill-workload.ts checks every key and value), and stay below the data's size in RSS.
it('groups ~300 MB of data with a 64 MB heap: spills, merges, matches the reference', () => {
  const script = fileURLToPath(new URL('./spill-workload.ts', import.meta.url));
  const elements = 2_000_000;
  const child = spawnSync(process.execPath, ['--max-old-space-size=64', '--import', 'tsx', script, String(elements), '200000', '140', '16m'], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(child.status, 0, `child failed (${child.signal ?? child.status}): ${child.stderr}\n${child.stdout}`);
  const r = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { ok: boolean; inputBytes: number; bytesSpilled: number; runsWritten: number; peakRssBytes: number; heapLimitBytes: number };
  assert.equal(r.ok, true);
  assert.ok(r.inputBytes > 4 * r.heapLimitBytes / 2, `data ${r.inputBytes} is several times the heap`);
  assert.ok(r.bytesSpilled >= r.inputBytes, `spilled ${r.bytesSpilled} of ${r.inputBytes}`);
  assert.ok(r.runsWritten > 5, `runs ${r.runsWritten}`);
  assert.ok(r.peakRssBytes < r.inputBytes, `peak RSS ${r.peakRssBytes} stays below the data's ${r.inputBytes}`);
});
