// `riffle run --workers N` of a batch io.delta.write: every worker stages data files, one committer makes one Delta
// commit — the same table (rows, schema, one WRITE version) for N = 1, 2, 3, in append and in merge mode.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { DeltaTable } from '../../src/lakehouse/index.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const root = mkdtempSync(join(tmpdir(), 'riffle-delta-workers-'));
after(() => rmSync(root, { recursive: true, force: true }));

const COUNTRIES = ['fr', 'de', 'us'];

/** JSON Lines files of rows; `note` is null in most rows (its type comes from the few that have one). */
function writeInput(dir: string, ids: number[], amount: (id: number) => number): string {
  mkdirSync(dir, { recursive: true });
  const files = 3;
  for (let f = 0; f < files; f++) {
    const lines = ids.filter((_, i) => i % files === f).map((id) => JSON.stringify({ id, country: COUNTRIES[id % 3], amount: amount(id), note: id % 97 === 5 ? `n${id}` : null }));
    writeFileSync(join(dir, `part-${f}.jsonl`), `${lines.join('\n')}\n`);
  }
  return dir;
}

function run(input: string, table: string, workers: number, mode = 'append'): void {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', 'test/sinks/fixtures/delta-workers-pipeline.ts', `--input=${input}`, `--output=${table}`, `--mode=${mode}`, '--workers', String(workers), '--no-progress', '--json'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 90_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { metrics?: { gauges?: Record<string, number> }; sinks?: Array<{ step: string; sink: string; guarantee: string }> };
  if (workers > 1) assert.equal(report.metrics?.gauges?.workers, workers, r.stdout.slice(0, 400));
  // The report names each sink step and its guarantee.
  assert.deepEqual(report.sinks?.map((s) => [s.step.replace(/^.*WriteDelta\//, ''), s.sink.replace(/\(.*\)/, '(…)'), s.guarantee]), [
    ['Stage', 'delta(…) staging', 'exactly-once'],
    ['Commit', 'delta(…)', 'exactly-once'],
  ]);
}

async function contents(table: string) {
  const t = await DeltaTable.open(table);
  const rows = (await t.read()).map(asText).sort();
  const schema = (await t.schema()).fields.map((f) => `${f.name}:${f.type}`);
  const history = (await t.history()).map((h) => h.operation).reverse();
  const files = (await t.snapshot()).files.length;
  return { rows, schema, history, version: await t.version(), files };
}

const asText = (r: Record<string, unknown>) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
const expectedRow = (id: number, amount: number) => asText({ id: BigInt(id), country: COUNTRIES[id % 3], amount, note: id % 97 === 5 ? `n${id}` : null });

test('batch io.delta.write on 1, 2 and 3 workers: one commit, the same table; merge mode on 3 workers', async () => {
  const ids = Array.from({ length: 1200 }, (_, i) => i);
  const first = writeInput(join(root, 'in-a'), ids, (id) => id * 1.5);
  const seen: Awaited<ReturnType<typeof contents>>[] = [];
  // 2 workers too with RIFFLE_WORKERS_FULL=1 (each run is a CLI start-up: npm test keeps to 1 and 3).
  for (const n of process.env.RIFFLE_WORKERS_FULL === '1' ? [1, 2, 3] : [1, 3]) {
    const table = join(root, `t${n}`);
    run(first, table, n);
    const c = await contents(table);
    assert.deepEqual(c.history, ['CREATE TABLE', 'WRITE'], `workers=${n}`);
    // At least one file per country partition and per worker that staged rows, all in the one commit.
    assert.ok(c.files >= 3 * n, `workers=${n}: ${c.files} files`);
    seen.push(c);
  }
  assert.deepEqual(seen[0]!.rows, ids.map((id) => expectedRow(id, id * 1.5)).sort());
  assert.deepEqual(seen[0]!.schema, ['id:long', 'country:string', 'amount:double', 'note:string']);
  for (const c of seen.slice(1)) assert.deepEqual({ rows: c.rows, schema: c.schema }, { rows: seen[0]!.rows, schema: seen[0]!.schema });

  // Merge on 3 workers: every tenth id updated, 50 new ones inserted, one MERGE commit.
  const updates = [...ids.filter((id) => id % 10 === 0), ...Array.from({ length: 50 }, (_, i) => 5000 + i)];
  const table = join(root, 't3');
  run(writeInput(join(root, 'in-b'), updates, (id) => -id), table, 3, 'merge');
  const merged = await contents(table);
  assert.deepEqual(merged.history, ['CREATE TABLE', 'WRITE', 'MERGE']);
  const want = [...ids.map((id) => expectedRow(id, id % 10 === 0 ? -id : id * 1.5)), ...updates.filter((id) => id >= 5000).map((id) => expectedRow(id, -id))];
  assert.deepEqual(merged.rows, want.sort());
  // Every Parquet file in the folder is in the log (added, or removed by the MERGE): nothing staged was left behind.
  const onDisk = readdirSync(table, { recursive: true }).filter((f) => String(f).endsWith('.parquet')).length;
  assert.equal(onDisk, merged.files + (await removedFiles(table)));
});

/** Files the log removed (MERGE rewrites files; vacuum has not run), so that the folder count can be checked. */
async function removedFiles(table: string): Promise<number> {
  const { readFileSync } = await import('node:fs');
  let n = 0;
  for (const f of readdirSync(join(table, '_delta_log')).filter((x) => x.endsWith('.json'))) {
    for (const line of readFileSync(join(table, '_delta_log', f), 'utf8').split('\n')) if (line.startsWith('{"remove"')) n++;
  }
  return n;
}
