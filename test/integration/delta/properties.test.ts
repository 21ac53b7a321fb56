// Table properties interop with delta-rs: the change data feed turned on for an existing Riffle table (a SET
// TBLPROPERTIES commit upgrading the writer protocol) is read by delta-rs' load_cdf exactly as Riffle reads it, and
// delta-rs still reads and appends to the table. Skips without the venv, unless RIFFLE_INTEGRATION=1.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DeltaTable } from '../../../src/lakehouse/index.ts';
import { assertSameAsDeltaRs, deltaRs, type Encoded, encode, interopRows, interopSchema, skip } from './harness.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-delta-props-'));
after(() => rmSync(root, { recursive: true, force: true }));
const rowsFrom = (start: number, count: number) => interopRows(start, count, { countries: [null, 'fr', 'de'], day: '2024-03-01' });

/** Sorted by content, `_commit_version` as a number, without `_commit_timestamp`. */
const byContent = (rows: Encoded[]): Encoded[] => rows
  .map(({ _commit_timestamp: _ts, ...r }) => ('_commit_version' in r ? { ...r, _commit_version: Number(r._commit_version) } : r))
  .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

test('delta-rs reads the change data feed Riffle turned on for an existing table, from the version that turned it on', { skip }, async () => {
  const path = join(root, 'cdf-later');
  const table = await DeltaTable.create(path, { schema: interopSchema, partitionBy: ['country'] });
  await table.append(rowsFrom(0, 20));
  const set = await table.setProperties({ 'delta.enableChangeDataFeed': 'true' });
  assert.equal(set.version, 2);
  await table.append(rowsFrom(20, 5));
  await table.delete({ n: { lt: 3 } });
  await table.update({ n: { gte: 20, lt: 22 } }, { name: 'updated' });

  const described = deltaRs('read', path);
  assert.deepEqual(described.protocol, [1, 4], 'writer 4 once the feed is on');
  assert.equal(described.history.find((h) => h.version === 2)?.operation, 'SET TBLPROPERTIES');
  await assertSameAsDeltaRs(table, described);

  const ours = byContent(encode(await table.changes({ startingVersion: 2 })));
  const theirs = byContent(deltaRs<Encoded[]>('cdf', path, '2'));
  assert.ok(ours.some((r) => r._change_type === 'update_postimage') && ours.some((r) => r._change_type === 'delete'));
  assert.deepEqual(ours, theirs, 'change data feed from version 2');

  const appended = deltaRs('append', path, JSON.stringify(encode(rowsFrom(100, 3))));
  await assertSameAsDeltaRs(table, appended);
});
