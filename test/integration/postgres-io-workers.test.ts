// io.postgres.read split by key ranges on 2 workers (issue 16): the coordinator plans the splits and every worker
// reads its share of the same ranges from the same exported snapshot — rows written after the planning (here by the
// workers themselves, as they start) are not read, and every row of the snapshot is read exactly once. Before, each
// worker exported a snapshot and read the bounds of its own: later rows were read, and ranges could differ.
// Needs a server (RIFFLE_PG_URL; .ci/tiers/postgres.sh starts one).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { LocalRunner, Pipeline } from '../../src/index.ts';
import definition from './postgres-io-workers-pipeline.ts';

const url = process.env.RIFFLE_PG_URL;
if (!url && process.env.RIFFLE_INTEGRATION === '1') throw new Error('RIFFLE_INTEGRATION=1 but RIFFLE_PG_URL is not set');
const skip = url ? false : 'needs RIFFLE_PG_URL (run .ci/tiers/postgres.sh)';
const MODULE = resolve(import.meta.dirname, 'postgres-io-workers-pipeline.ts');
const schema = `riffle_iowk_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
const root = mkdtempSync(join(tmpdir(), 'riffle-pg-workers-'));
let admin: pg.Client;

before(async () => {
  if (!url) return;
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.query(`CREATE TABLE ${schema}.t (id bigint)`);
  await admin.query(`INSERT INTO ${schema}.t SELECT i FROM generate_series(1, 4000) i`);
});
after(async () => {
  rmSync(root, { recursive: true, force: true });
  if (!url) return;
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
});

test('read split by id on 2 workers: one plan, one snapshot — every row of it once, later rows unseen', { skip, timeout: 120_000 }, async () => {
  const params = { url: url!, table: `${schema}.t`, output: join(root, 'out') };
  const p = Pipeline.create();
  await definition.build(p, params);
  const result = await new LocalRunner().run(p.graph, { workers: 2, pipelineModule: { path: MODULE, params } });
  assert.equal(result.state, 'DONE');
  const ids: number[] = [];
  const files = readdirSync(params.output);
  for (const f of files) for (const line of readFileSync(join(params.output, f), 'utf8').split('\n')) if (line !== '') ids.push(Number(line));
  const { rows } = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.t`);
  assert.ok(Number(rows[0]!.n) > 4000, 'the workers inserted rows after the planning');
  const counts = new Map<number, number>();
  for (const i of ids) counts.set(i, (counts.get(i) ?? 0) + 1);
  const later = ids.filter((i) => i < 1 || i > 4000);
  const lost = Array.from({ length: 4000 }, (_, i) => i + 1).filter((i) => !counts.has(i)).length;
  const duplicated = [...counts.values()].reduce((s, c) => s + c - 1, 0);
  assert.deepEqual({ lost, duplicated, later: later.length }, { lost: 0, duplicated: 0, later: 0 });
  assert.equal(files.length, 2, 'both workers read a share');
});
