import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseCommit, validateAction } from './actions.ts';
import { DeltaTable, DeltaTableError, UnsupportedFeatureError } from './index.ts';

const root = mkdtempSync(join(tmpdir(), 'riffle-log-robust-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

const corrupt = (file: RegExp, reason: RegExp) => (e: unknown): boolean =>
  e instanceof DeltaTableError && e.code === 'DELTA_LOG_CORRUPT' && file.test(e.message) && reason.test(e.message);

/** A table with versions 0..4 (ids 1..4 appended one per version) and checkpoints at 2 and 4. */
async function table(): Promise<{ t: DeltaTable; log: string; warnings: string[] }> {
  const path = join(root, `t${n++}`);
  await DeltaTable.create(path, { schema: { id: 'long' }, properties: { 'delta.checkpointInterval': '2' } });
  const warnings: string[] = [];
  const t = await DeltaTable.open(path, { onWarning: (m) => warnings.push(m) });
  for (let i = 1; i <= 4; i++) await t.append([{ id: i }]);
  const log = join(path, '_delta_log');
  assert.ok(readdirSync(log).includes('00000000000000000002.checkpoint.parquet') && readdirSync(log).includes('00000000000000000004.checkpoint.parquet'));
  return { t, log, warnings };
}
const ids = async (t: DeltaTable, version?: number): Promise<number[]> => (await t.read(version === undefined ? {} : { version })).map((r) => Number(r.id)).sort();

test('commit lines are validated: null, arrays, empty objects, malformed known actions are refused with file and line', () => {
  assert.throws(() => parseCommit('{"commitInfo":{}}\nnull\n', 3, 'f.json'), corrupt(/f\.json line 2/, /is not an action .* it is null/));
  assert.throws(() => parseCommit('[1]\n', 3, 'f.json'), corrupt(/line 1/, /an array/));
  assert.throws(() => parseCommit('{}\n', 3, 'f.json'), corrupt(/line 1/, /exactly one key, this one has none/));
  assert.throws(() => parseCommit('{"add":{"path":"a","partitionValues":{},"size":-1,"modificationTime":0,"dataChange":true}}', 3, 'f.json'), corrupt(/line 1/, /field 'size' is -1/));
  assert.throws(() => parseCommit('{"add":{"path":7,"partitionValues":{},"size":1,"modificationTime":0,"dataChange":true}}', 3, 'f.json'), corrupt(/f\.json/, /'add' action: field 'path' is 7/));
  assert.throws(() => parseCommit('{"remove":{"path":"a"}}', 3, 'f.json'), corrupt(/f\.json/, /field 'dataChange' is missing/));
  // A path whose percent-escapes do not decode (a flipped bit in a commit) is refused with the commit's line.
  assert.throws(() => parseCommit('{"add":{"path":"p=1/part-0.parqu%t","partitionValues":{},"size":1,"modificationTime":0,"dataChange":true}}', 3, 'f.json'), corrupt(/f\.json line 1/, /field 'path' is .*URI-encoded/));
  assert.equal(parseCommit('{"add":{"path":"d=a%253Ab/part-0.parquet","partitionValues":{},"size":1,"modificationTime":0,"dataChange":true}}', 3, 'f.json').length, 1);
  assert.throws(() => parseCommit('{"metaData":{"id":"x","format":{"provider":"parquet"},"schemaString":"{}","partitionColumns":"a"}}', 3, 'f.json'), corrupt(/f\.json/, /'partitionColumns'/));
  assert.throws(() => parseCommit('{"protocol":{"minReaderVersion":"1","minWriterVersion":2}}', 3, 'f.json'), corrupt(/f\.json/, /minReaderVersion/));
  assert.throws(() => parseCommit('{"txn":{"appId":"a"}}', 3, 'f.json'), corrupt(/f\.json/, /'version' is missing/));
  assert.throws(() => parseCommit('{"add":{}} trailing', 3, 'f.json'), corrupt(/f\.json line 1/, /is not JSON/));
  assert.throws(() => parseCommit('', 3, 'f.json'), corrupt(/f\.json/, /is empty \(0 bytes\)/));
  assert.throws(() => parseCommit('\n\n', 3, 'f.json'), corrupt(/f\.json/, /holds no action/));
  // Unknown kinds are kept (to be ignored or named by feature checks); metaData gets its optional maps.
  assert.deepEqual(parseCommit('{"someFutureAction":{"x":1}}', 3), [{ other: { kind: 'someFutureAction', value: { x: 1 } } }]);
  const meta = validateAction({ metaData: { id: 'x', format: { provider: 'parquet' }, schemaString: '{}', partitionColumns: [] } }, 'f');
  assert.deepEqual('metaData' in meta && [meta.metaData.configuration, meta.metaData.format.options], [{}, {}]);
});

test('a null line, a malformed action or a 0-byte commit in the log is refused naming the file; history too', async () => {
  const { t, log } = await table();
  const v4 = join(log, '00000000000000000004.json');
  unlinkSync(join(log, '00000000000000000004.checkpoint.parquet'));
  appendFileSync(v4, 'null\n');
  await assert.rejects(t.read(), corrupt(/00000000000000000004\.json line \d/, /it is null/));
  await assert.rejects(t.history(), corrupt(/00000000000000000004\.json/, /null/));
  assert.deepEqual(await ids(t, 3), [1, 2, 3], 'versions before the damage still read');
  truncateSync(v4, 0);
  await assert.rejects(t.read(), corrupt(/00000000000000000004\.json/, /empty \(0 bytes\)/));
  writeFileSync(v4, '{"add":{"path":"x.parquet","partitionValues":{},"size":"big","modificationTime":0,"dataChange":true}}\n');
  await assert.rejects(t.read(), corrupt(/00000000000000000004\.json line 1/, /field 'size' is "big"/));
  writeFileSync(v4, Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]));
  await assert.rejects(t.read(), corrupt(/00000000000000000004\.json/, /not valid UTF-8/));
});

test('an unreadable checkpoint is skipped with a warning: the previous checkpoint, then the commits, rebuild the same table', async () => {
  const { t, log, warnings } = await table();
  const cp4 = join(log, '00000000000000000004.checkpoint.parquet');
  const bytes = readFileSync(cp4);
  // A bit flipped in each of 32 bytes a third of the way in: inside a page its CRC fails, inside a page header its
  // decoding does. (One flipped byte there sometimes hit a header field no reader uses — how far in the pages start
  // depends on the checkpoint's contents — and the file read correctly, without the warning.)
  const at = Math.floor(bytes.length / 3);
  for (let i = at; i < at + 32; i++) bytes[i]! ^= 0x10;
  writeFileSync(cp4, bytes);
  assert.deepEqual(await ids(t), [1, 2, 3, 4]);
  assert.match(warnings.join('\n'), /skipped unreadable checkpoint 00000000000000000004\.checkpoint\.parquet .*rebuilt the table from checkpoint 2/);
  // Both checkpoints damaged (one truncated, one garbage): the commits from 0.
  writeFileSync(join(log, '00000000000000000002.checkpoint.parquet'), 'not parquet at all');
  truncateSync(cp4, 100);
  warnings.length = 0;
  assert.deepEqual(await ids(t), [1, 2, 3, 4]);
  assert.match(warnings.join('\n'), /rebuilt the table from its commits/);
  // A damaged _last_checkpoint is never trusted: readers list the log.
  writeFileSync(join(log, '_last_checkpoint'), '{"version": 99, garbage');
  assert.deepEqual(await ids(t), [1, 2, 3, 4]);
});

test('an unreadable checkpoint whose commits were cleaned up is refused with the checkpoint, the reason and the missing commit', async () => {
  const { t, log } = await table();
  for (const v of [0, 1, 2, 3]) unlinkSync(join(log, `0000000000000000000${v}.json`));
  writeFileSync(join(log, '00000000000000000004.checkpoint.parquet'), Buffer.alloc(64));
  await assert.rejects(DeltaTable.open(t.path), corrupt(/checkpoint 00000000000000000004\.checkpoint\.parquet cannot be read \(Parquet file .* PAR1/, /commit 3, needed to rebuild the table without it, is gone/));
});

test('unknown action kinds are named by the feature check, never a TypeError', async () => {
  const { t, log } = await table();
  appendFileSync(join(log, '00000000000000000005.json'), '{"commitInfo":{"operation":"X"}}\n{"futureThing":{"a":1}}\n');
  // Named with the commit it first appears in: a misspelt action kind may be a flipped bit in that file.
  await assert.rejects(t.read(), (e: unknown) => e instanceof UnsupportedFeatureError && /'futureThing' actions \(first in 00000000000000000005\.json\)/.test(e.message));
});
