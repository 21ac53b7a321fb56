// Interop with delta-rs, the real thing: delta-rs (Python `deltalake`) reads the tables Riffle writes and Riffle
// reads the tables delta-rs writes, version by version, with identical rows and history. Needs the venv that
// setup.sh makes; without it these tests skip, unless RIFFLE_INTEGRATION=1 (as .ci/run sets), where they fail.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parquetMetadata } from 'hyparquet';
import { DeltaTable } from '../../../src/lakehouse/index.ts';
import { assertSameAsDeltaRs, type Described, deltaRs, type Encoded, encode, interopRows, interopSchema, missing, required, skip, sortRows } from './harness.ts';

test('delta-rs venv is present when integration tests are required', { skip: required ? false : 'only checked with RIFFLE_INTEGRATION=1' }, () => {
  assert.equal(missing, undefined, missing);
});

const root = mkdtempSync(join(tmpdir(), 'riffle-delta-interop-'));
after(() => rmSync(root, { recursive: true, force: true }));

const schema = interopSchema;
const countries = [null, 'fr', 'de', 'a b/c:d%'];
const rowsFrom = (start: number, count: number) => interopRows(start, count, { countries, day: (i) => new Date(Date.UTC(2024, 1, 28 + (i % 3))) });

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

test('files write a column without nulls as REQUIRED: delta-rs reads, compacts and z-orders them with OPTIONAL ones', { skip }, async () => {
  const path = join(root, 'required-optional');
  const table = await DeltaTable.create(path, { schema });
  await table.append(rowsFrom(1, 4));                                    // no null name (i % 5 ≠ 0), no null amount
  await table.append(rowsFrom(10, 10));                                  // nulls in name (10, 15) and amount (14)
  const repetition = (file: string, column: string) =>
    parquetMetadata(new Uint8Array(readFileSync(join(path, file))).buffer).schema.find((e) => e.name === column)?.repetition_type;
  const files = (await table.snapshot()).files.map((f) => f.path);
  assert.deepEqual(files.map((f) => [repetition(f, 'name'), repetition(f, 'amount'), repetition(f, 'id')]),
    [['REQUIRED', 'REQUIRED', 'REQUIRED'], ['OPTIONAL', 'OPTIONAL', 'REQUIRED']]);
  const described = deltaRs<Described & { results: unknown[] }>('ops', path, JSON.stringify(['compact', 'zorder:amount,n']));
  await assertSameAsDeltaRs(table, described);
  assert.deepEqual(encode(await table.read()), encode([...rowsFrom(1, 4), ...rowsFrom(10, 10)].map((r) => ({ ...r, day: (r.day as Date).toISOString().slice(0, 10) }))));
  await table.append(rowsFrom(30, 3));                                   // Riffle appends after delta-rs' rewrite
  assert.deepEqual(sortRows(deltaRs('read', path).versions[String(await table.version())] as Encoded[]), encode(await table.read()));
});
