// The comparison tier: pipelines run on Flink ([local], Beam's job server, Riffle's harness as a loopback worker
// pool) and on the embedded engine, their outputs compared record for record (compare-outputs.ts); prints
// `N equal, N different`. Needs Java 17 and Maven: run by .ci/tiers/portable-flink.sh (RIFFLE_PORTABLE_FLINK=1).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startFlinkJobServer, type JobServer } from '../../src/runner/portable/index.ts';
import { compareModule } from './compare-outputs.ts';

const enabled = process.env.RIFFLE_PORTABLE_FLINK === '1';
const skip = !enabled && 'set RIFFLE_PORTABLE_FLINK=1 (.ci/tiers/portable-flink.sh)';
const ROOT = resolve(import.meta.dirname, '../..');
const INPUT = join(ROOT, 'examples/data/events.csv');

interface Case {
  readonly name: string;
  readonly module: string;
  readonly params: (out: string) => Record<string, string | boolean>;
}

/** The pipelines compared (see README.md for the examples and queries not in this list, and why). */
export const CASES: readonly Case[] = [
  { name: 'grouping fixture (combine, GroupByKey, windowInto, file writes)', module: join(ROOT, 'test/portable/fixtures/grouping-pipeline.ts'), params: (out) => ({ input: INPUT, output: out }) },
  { name: 'examples/quickstart.ts', module: join(ROOT, 'examples/quickstart.ts'), params: (out) => ({ input: INPUT, output: out }) },
  { name: 'examples/batch-etl.ts', module: join(ROOT, 'examples/batch-etl.ts'), params: (out) => ({ input: INPUT, segments: join(ROOT, 'examples/data/user-segments.csv'), output: out }) },
  { name: 'examples/streaming-windows.ts', module: join(ROOT, 'examples/streaming-windows.ts'), params: (out) => ({ input: INPUT, output: out }) },
];

let server: JobServer;
const tmp = mkdtempSync(join(tmpdir(), 'riffle-flink-compare-'));

before(async () => {
  if (enabled) server = await startFlinkJobServer({ flinkMaster: '[local]' });
});

after(async () => {
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

test('pipelines on Flink write what the embedded engine writes', { skip, timeout: 1_200_000 }, async () => {
  let equal = 0;
  let different = 0;
  const failures: string[] = [];
  const only = process.env.RIFFLE_COMPARE_ONLY;
  for (const [i, c] of CASES.entries()) {
    if (only !== undefined && !c.name.includes(only)) continue;
    const dirs = { local: join(tmp, `${i}`, 'local'), flink: join(tmp, `${i}`, 'flink') };
    try {
      const r = await compareModule(c.module, c.params, dirs, server);
      const ok = r.different.length === 0 && r.equal.length > 0;
      if (ok) equal++;
      else {
        different++;
        failures.push(`${c.name}: ${r.different.map((d) => `${d.output}: ${d.why}`).join('; ') || 'no outputs'}`);
      }
      console.log(`${ok ? 'equal    ' : 'DIFFERENT'} ${c.name}: ${r.equal.length} outputs equal, ${r.different.length} different (embedded ${r.localMs} ms, flink ${r.flinkMs} ms)`);
    } catch (e) {
      different++;
      failures.push(`${c.name}: ${e instanceof Error ? e.message : String(e)}`);
      console.log(`FAILED    ${c.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  console.log(`${equal} equal, ${different} different`);
  assert.deepEqual(failures, []);
});
