// delta-rs (Python `deltalake`, the Delta tier's venv) and Riffle on the same moto S3 endpoint: each reads the
// tables the other writes there, rows compared exactly. Needs RIFFLE_S3_ENDPOINT and RIFFLE_DELTA_PYTHON (the
// tier sets both).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { DeltaTable, type Row } from '../../src/lakehouse/index.ts';
import { freshS3Url, S3_SKIP, s3Env, useTierEnv } from './servers.ts';

useTierEnv();
const PYTHON = process.env.RIFFLE_DELTA_PYTHON;
const skip = S3_SKIP ?? (PYTHON ? undefined : 'RIFFLE_DELTA_PYTHON is unset: run .ci/tiers/object-stores.sh, which makes the delta-rs venv');
const ORACLE = fileURLToPath(new URL('./s3_oracle.py', import.meta.url));

interface OracleRead { version: number; rows: { id: string; country: string; amount: number }[]; history: string[]; files: number }

function oracle(...args: string[]): OracleRead {
  const r = spawnSync(PYTHON as string, [ORACLE, ...args], { encoding: 'utf8', timeout: 120_000, env: s3Env(), maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`delta-rs oracle ${args[0]} failed (${r.status ?? r.signal}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as OracleRead;
}

const rows = (from: number, n: number): Row[] => Array.from({ length: n }, (_, i) => ({ id: BigInt(from + i), country: ['fr', 'de', 'jp', 'a b/c=d'][(from + i) % 4], amount: (from + i) / 8 }));
const exact = (rs: readonly Row[]): { id: string; country: string; amount: number }[] =>
  rs.map((r) => ({ id: String(r.id), country: r.country as string, amount: r.amount as number }))
    .sort((a, b) => Number(BigInt(a.id) - BigInt(b.id)) || (a.country < b.country ? -1 : 1));

test('delta-rs reads the table Riffle wrote to S3: same rows, same versions', skip ? { skip } : {}, async () => {
  const url = await freshS3Url();
  const table = await DeltaTable.create(url, { schema: { id: 'long', country: 'string', amount: 'double' }, partitionBy: ['country'], properties: { 'delta.checkpointInterval': '2' } });
  await table.append(rows(0, 500));
  await table.append(rows(500, 500));
  await table.delete({ country: 'de' });
  const seen = oracle('read', url);
  const expected = exact((await table.read()));
  assert.equal(seen.version, 3);
  assert.equal(seen.rows.length, 750);
  assert.deepEqual(seen.rows, expected);
  assert.deepEqual(seen.history.slice(-1), ['CREATE TABLE']);
});

test('Riffle reads the table delta-rs wrote to S3, and appends to it where delta-rs reads again', skip ? { skip } : {}, async () => {
  const url = await freshS3Url();
  const input = exact(rows(0, 300));
  const written = oracle('write', url, JSON.stringify(input));
  assert.equal(written.version, 1);
  const table = await DeltaTable.open(url);
  assert.equal(await table.version(), 1);
  const mine = exact(await table.read());
  assert.deepEqual(mine, exact([...rows(0, 300), ...rows(0, 300)]));
  assert.deepEqual(mine, written.rows);
  await table.append(rows(1000, 10));
  const again = oracle('read', url);
  assert.equal(again.version, 2);
  assert.deepEqual(again.rows, exact(await (await DeltaTable.open(url)).read()));
});
