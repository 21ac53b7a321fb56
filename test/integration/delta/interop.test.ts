// Interop with delta-rs, the real thing: delta-rs (Python `deltalake`) reads the tables Riffle writes and Riffle
// reads the tables delta-rs writes, version by version, with identical rows and history. Needs the venv that
// setup.sh makes; without it these tests skip, unless RIFFLE_INTEGRATION=1 (as .ci/run sets), where they fail.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { DeltaTable } from '../../../src/lakehouse/index.ts';

const venv = join(process.env.RIFFLE_CACHE ?? join(homedir(), '.cache', 'riffle'), 'py');
const python = join(venv, 'bin', 'python');
const oracle = fileURLToPath(new URL('./oracle.py', import.meta.url));
const required = process.env.RIFFLE_INTEGRATION === '1';
const missing = existsSync(python) ? undefined : `delta-rs venv not found at ${venv}: run test/integration/delta/setup.sh (or set RIFFLE_CACHE)`;
const skip = missing !== undefined && !required ? missing : false;

test('delta-rs venv is present when integration tests are required', { skip: required ? false : 'only checked with RIFFLE_INTEGRATION=1' }, () => {
  assert.equal(missing, undefined, missing);
});

type Encoded = Record<string, string | number | boolean | null>;
interface Described {
  version: number;
  protocol: [number, number];
  versions: Record<string, Encoded[] | { error: string }>;
  files: Record<string, number>;
  history: { version: number; operation: string; timestamp: number }[];
}

function deltaRs(...args: string[]): Described {
  const r = spawnSync(python, [oracle, ...args], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`delta-rs oracle ${args[0]} failed (${r.status ?? r.signal}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as Described;
}

const sortRows = (rows: Encoded[]): Encoded[] => [...rows].sort((a, b) => (String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0));
/** Riffle's canonical values in the oracle's exact encoding (64-bit ints and µs timestamps as strings). */
const encode = (rows: Record<string, unknown>[]): Encoded[] =>
  sortRows(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : (v as Encoded[string])]))));

const root = mkdtempSync(join(tmpdir(), 'riffle-delta-interop-'));
after(() => rmSync(root, { recursive: true, force: true }));

const schema = { id: { type: 'long', nullable: false }, name: 'string', country: 'string', amount: 'double', ok: 'boolean', ts: 'timestamp', day: 'date', n: 'integer' } as const;
const countries = [null, 'fr', 'de', 'a b/c:d%'];
const rowsFrom = (start: number, count: number) => Array.from({ length: count }, (_, k) => {
  const i = start + k;
  return {
    id: BigInt(i) * 1_000_000_007n + (i % 3 === 0 ? 2n ** 60n : 0n), name: i % 5 === 0 ? null : `riffle-${i}`, country: countries[i % 4],
    amount: i % 7 === 0 ? null : i * 0.1, ok: i % 2 === 0, ts: BigInt(i) * 1_000_003n - 5_000_000n, day: new Date(Date.UTC(2024, 1, 28 + (i % 3))), n: i,
  };
});

async function assertSameAsDeltaRs(table: DeltaTable, described: Described): Promise<void> {
  assert.equal(described.version, await table.version(), 'latest version');
  for (const [v, expected] of Object.entries(described.versions)) {
    if ('error' in expected) assert.fail(`delta-rs could not read version ${v}: ${expected.error}`);
    assert.deepEqual(encode(await table.read({ version: Number(v) })), sortRows(expected), `rows at version ${v}`);
    assert.equal((await table.snapshot(Number(v))).files.length, described.files[v], `files at version ${v}`);
  }
  const ours = (await table.history()).map((h) => ({ version: h.version, operation: h.operation, timestamp: h.timestamp }));
  assert.deepEqual(ours, described.history, 'history');
}

test('delta-rs reads a partitioned Riffle table identically at every version (checkpoint, overwrite, txn)', { skip }, async () => {
  const path = join(root, 'riffle-written');
  const table = await DeltaTable.create(path, { schema, partitionBy: ['country'] });
  for (let k = 0; k < 11; k++) await table.append(rowsFrom(k * 10, 10 + k));
  await table.overwrite(rowsFrom(500, 9));
  await table.append(rowsFrom(600, 5), { txn: { appId: 'sink', version: 1 } });
  assert.ok(readdirSync(join(path, '_delta_log')).includes('00000000000000000010.checkpoint.parquet'));
  const described = deltaRs('read', path);
  assert.deepEqual(described.protocol, [1, 2]);
  await assertSameAsDeltaRs(table, described);
  // delta-rs appends to Riffle's table; Riffle reads delta-rs' commit.
  const after = deltaRs('append', path, JSON.stringify(encode(rowsFrom(700, 4).map((r) => ({ ...r, day: '2024-03-01' })))));
  assert.equal(after.version, 14);
  await assertSameAsDeltaRs(table, after);
});

for (const partitionBy of [['country'], []]) {
  test(`Riffle reads a delta-rs table (${partitionBy.length ? 'partitioned' : 'unpartitioned'}, with a delta-rs checkpoint) identically`, { skip }, async () => {
    const path = join(root, `rs-written-${partitionBy.length}`);
    const described = deltaRs('write', path, JSON.stringify({ partitionBy, appends: 3, overwrite: true, after: 2 }));
    assert.ok(readdirSync(join(path, '_delta_log')).includes('00000000000000000003.checkpoint.parquet'), 'delta-rs wrote a checkpoint');
    const table = await DeltaTable.open(path);
    await assertSameAsDeltaRs(table, described);
    // Data skipping and pruning on delta-rs' statistics agree with filtering delta-rs' rows.
    const latest = described.versions[String(described.version)] as Encoded[];
    const { files, skipped } = (await table.snapshot()).filesMatching({ n: { gte: 2010 } });
    assert.ok(skipped > 0 && files.length > 0, `skipped ${skipped} of ${files.length + skipped} files`);
    assert.deepEqual(encode(await table.read({ where: { n: { gte: 2010 } } })), sortRows(latest.filter((r) => (r.n as number) >= 2010)));
    // Riffle reads the latest version from delta-rs' checkpoint alone: drop the commits it covers.
    for (let v = 0; v <= 3; v++) unlinkSync(join(path, '_delta_log', `${String(v).padStart(20, '0')}.json`));
    assert.deepEqual(encode(await table.read()), sortRows(latest));
    // Riffle appends to delta-rs' table; delta-rs reads Riffle's commit.
    await table.append(rowsFrom(900, 6).map((r) => ({ ...r, id: r.id })));
    const afterAppend = deltaRs('read', path);
    assert.deepEqual(sortRows(afterAppend.versions[String(afterAppend.version)] as Encoded[]), encode(await table.read()));
  });
}
