// `riffle run <example> --workers 2` writes what `--workers 1` writes (the example with a side input, a grouping
// and combines), and reports the worker count.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../..');
const root = mkdtempSync(join(tmpdir(), 'riffle-workers-cli-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Each file set's lines, sorted (shards may split differently); error records without their time. */
function outputs(dir: string): Record<string, string[]> {
  const sets: Record<string, string[]> = {};
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.jsonl'))) {
    const set = f.replace(/-\d{5}-of-\d{5}\.jsonl$/, '');
    const lines = readFileSync(join(dir, f), 'utf8').split('\n').filter((l) => l !== '').map((l) => l.replace(/"time":"[^"]*",/, ''));
    (sets[set] ??= []).push(...lines);
  }
  for (const k of Object.keys(sets)) sets[k]!.sort();
  return sets;
}

test('riffle run examples/batch-etl.ts --workers 2 writes what --workers 1 writes', () => {
  const run = (n: number) => {
    const out = join(root, `w${n}`);
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', 'examples/batch-etl.ts', `--output=${out}`, '--workers', String(n), '--no-progress', '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    return { out, report: JSON.parse(r.stdout) as { metrics?: { gauges?: Record<string, number> } } };
  };
  const one = run(1);
  const two = run(2);
  assert.equal(two.report.metrics?.gauges?.workers, 2, JSON.stringify(two.report).slice(0, 400));
  const a = outputs(one.out);
  assert.deepEqual(Object.keys(a).sort(), ['country-metrics', 'errors', 'segment-revenue']);
  assert.ok(a['country-metrics']!.length > 0);
  assert.deepEqual(outputs(two.out), a);
});
