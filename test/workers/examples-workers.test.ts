// The examples write the same output on any number of workers: `riffle run examples/<name>.ts --output=DIR
// --workers N` for N = 1 (in-process, the reference), 2 and (quickstart) 3. Compared: every file set's lines, sorted
// (shards split differently; a file's shard suffix is not content), with wall-clock fields masked; a Delta table's
// rows; and the run report's per-step counts (elements out, errors, late drops: each worker's summed) and dead letters.
// npm test runs streaming-windows (TestStream in lockstep; batch-etl on 2 workers is test/properties/workers-cli.test.ts);
// RIFFLE_WORKERS_FULL=1 adds quickstart (2 and 3 workers), batch-etl and streaming-bus (.ci/tiers/workers.sh). cdc-warehouse needs PostgreSQL and is not run here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { after, test } from 'node:test';
import { DeltaTable } from '../../src/lakehouse/index.ts';
import { defaultStart } from '../../examples/streaming-bus.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const FULL = process.env.RIFFLE_WORKERS_FULL === '1';
const root = mkdtempSync(join(tmpdir(), 'riffle-examples-workers-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface StepReport {
  step: string;
  kind: string;
  elementsOut: number;
  droppedLate: number;
  errors: number;
}
interface Report {
  state: string;
  metrics: { steps: StepReport[]; gauges: Record<string, number> };
  deadLetters?: { count?: number };
}

/** Lines with the wall-clock fields (when a record was rejected, when a message was published) masked. */
function mask(line: string): string {
  return line.replace(/"time":"[^"]*"/g, '"time":"…"').replace(/"publishTime":\d+/g, '"publishTime":…');
}

/** What a run wrote: each file set's sorted lines, by set name; each Delta table's rows, sorted. */
async function contents(dir: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const walk = async (d: string): Promise<void> => {
    if (existsSync(join(d, '_delta_log'))) {
      const rows = await (await DeltaTable.open(d)).read();
      out[`delta:${relative(dir, d)}`] = rows.map((r) => JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).sort();
      return;
    }
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      // The example's own bus (its input, published by the run) and the commit markers (run ids, times) are not output.
      if (name === 'bus' || name === '_SUCCESS') continue;
      if (statSync(path).isDirectory()) await walk(path);
      else {
        const set = relative(dir, path).replace(/-\d{5}-of-\d{5}(\.[a-z]+)$/, '$1');
        const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map(mask);
        // Each shard of a CSV set has the header line: the set's header once, then its rows.
        if (set.endsWith('.csv') && lines.length > 0) {
          const header = lines.shift()!;
          out[`${set} (header)`] = [...new Set([...(out[`${set} (header)`] ?? []), header])];
        }
        (out[set] ??= []).push(...lines);
      }
    }
  };
  await walk(dir);
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
}

function run(example: string, workers: number, args: readonly string[]): { dir: string; report: Report } {
  const dir = join(root, `${example}-w${workers}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', `examples/${example}.ts`, `--output=${dir}`, ...args, '--workers', String(workers), '--no-progress', '--json'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `${example} on ${workers} workers: ${r.stderr}`);
  return { dir, report: JSON.parse(r.stdout) as Report };
}

/**
 * Per-step counts that do not depend on how the work was spread: every step's errors and late drops; the elements out
 * of each read and grouping (not of a file sink's own steps, which count files and shards: more workers, more
 * shards); a lifted combine's precombine runs on 1 worker only.
 */
function counts(report: Report): Record<string, string> {
  const entries: Array<[string, string]> = [];
  for (const s of report.metrics.steps) {
    if (s.step.endsWith('/Precombine')) continue;
    const sinkStep = /^Write[^/]*\//.test(s.step) || s.step.endsWith('/Impulse');
    const counted = !sinkStep && ['read', 'testStream', 'groupByKey', 'combinePerKey'].includes(s.kind);
    entries.push([s.step, `${counted ? `out=${s.elementsOut} ` : ''}errors=${s.errors} late=${s.droppedLate}`]);
  }
  return Object.fromEntries(entries);
}

const EXAMPLES: ReadonlyArray<{ name: string; workers: readonly number[]; quick: boolean; args?: readonly string[] }> = [
  { name: 'quickstart', workers: [2, 3], quick: false },
  { name: 'streaming-windows', workers: [2], quick: true },
  { name: 'batch-etl', workers: [2], quick: false },
  // Its readings' event times are fixed for both runs (by default they follow the clock).
  { name: 'streaming-bus', workers: [2], quick: false, args: [`--start=${defaultStart()}`] },
];

for (const ex of EXAMPLES) {
  if (!FULL && !ex.quick) continue;
  test(`examples/${ex.name}.ts writes the same output on ${ex.workers.join(' and ')} workers as on 1`, async () => {
    const one = run(ex.name, 1, ex.args ?? []);
    assert.equal(one.report.state, 'DONE');
    const expected = await contents(one.dir);
    assert.ok(Object.values(expected).some((lines) => lines.length > 0), 'the example wrote something');
    for (const n of ex.workers) {
      const got = run(ex.name, n, ex.args ?? []);
      assert.equal(got.report.state, 'DONE');
      assert.equal(got.report.metrics.gauges.workers, n);
      assert.deepEqual(await contents(got.dir), expected, `${ex.name}: ${n} workers write what 1 does`);
      // Metrics and errors of every worker, gathered: the same counts per step as one worker's.
      assert.deepEqual(counts(got.report), counts(one.report), `${ex.name}: per-step counts on ${n} workers`);
    }
  });
}
