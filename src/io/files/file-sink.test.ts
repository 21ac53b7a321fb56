import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { ConfigError, RiffleError } from '../../model/index.ts';
import { commitFiles, finalShardPath, TempFileWriter, tempDirFor } from './file-sink.ts';
import { jsonlFormat } from './jsonl-format.ts';
import { textFormat } from './text-format.ts';

async function listAll(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}

test('finalShardPath and tempDirFor', () => {
  assert.equal(finalShardPath({ prefix: 'out/part', shardIndex: 1, numShards: 4 }, 'csv', 'none'), 'out/part-00001-of-00004.csv');
  assert.equal(
    finalShardPath({ prefix: 'out/rev', shardIndex: 0, numShards: 1, windowLabel: 'W', paneLabel: 'pane-0-early', suffix: '-x' }, '.jsonl', 'gzip'),
    'out/rev-W-pane-0-early-00000-of-00001-x.jsonl.gz',
  );
  assert.equal(finalShardPath({ prefix: 'out/', shardIndex: 2, numShards: 3 }, 'txt', 'none'), 'out/00002-of-00003.txt');
  assert.throws(() => finalShardPath({ prefix: 'p', shardIndex: 4, numShards: 4 }, 'csv', 'none'), ConfigError);
  assert.throws(() => finalShardPath({ prefix: 'p', shardIndex: 0, numShards: 1, windowLabel: 'a/b' }, 'csv', 'none'), ConfigError);
  assert.equal(tempDirFor('out/revenue/part', 'job-1'), join('out/revenue', '.riffle-tmp-job-1'));
  assert.equal(tempDirFor('out/revenue/', 'job-1'), join('out/revenue', '.riffle-tmp-job-1'));
  assert.throws(() => tempDirFor('out/p', '../x'), ConfigError);
});

test('writers + commit give exactly the expected files, no temp leftovers, and commit is idempotent', async () => {
  const root = await mkdtemp(join(tmpdir(), 'riffle-sink-'));
  const prefix = join(root, 'out', 'revenue', 'part');
  const tmp = tempDirFor(prefix, 'job1');
  const renames: Array<{ tempPath: string; finalPath: string }> = [];
  for (let shard = 0; shard < 3; shard++) {
    const compression = shard === 2 ? 'gzip' : 'none';
    const w = await TempFileWriter.open(tmp, jsonlFormat<{ shard: number; i: number }>(), compression);
    for (let b = 0; b < 10; b++) {
      w.write(Array.from({ length: 1000 }, (_, i) => ({ shard, i: b * 1000 + i })));
      await w.ready();
    }
    const { tempPath, count, bytes } = await w.close();
    assert.equal(count, 10_000);
    assert.equal(bytes, (await stat(tempPath)).size);
    renames.push({ tempPath, finalPath: finalShardPath({ prefix, shardIndex: shard, numShards: 3 }, 'jsonl', compression) });
  }
  // Before commit, a reader of the output directory sees only the hidden temp dir.
  assert.deepEqual((await readdir(join(root, 'out', 'revenue'))).filter((n) => !n.startsWith('.')), []);
  await commitFiles(renames);
  assert.deepEqual(await listAll(join(root, 'out')), [
    'revenue',
    'revenue/_SUCCESS',
    'revenue/part-00000-of-00003.jsonl',
    'revenue/part-00001-of-00003.jsonl',
    'revenue/part-00002-of-00003.jsonl.gz',
  ]);
  const lines = (await readFile(renames[1].finalPath, 'utf8')).split('\n');
  assert.equal(lines.length, 10_001);
  assert.deepEqual(JSON.parse(lines[9999]), { shard: 1, i: 9999 });
  assert.equal(gunzipSync(await readFile(renames[2].finalPath)).toString().split('\n').length, 10_001);
  await commitFiles(renames); // a retry after a commit that had finished
  assert.equal((await listAll(join(root, 'out'))).length, 5);
  await rm(renames[0].finalPath);
  await assert.rejects(commitFiles(renames), (e: unknown) => e instanceof RiffleError && e.code === 'FILE_COMMIT_FAILED');
});

test('commit keeps a temp dir that other writers still use; one run adds to its set; the writer rejects writes after close', async () => {
  const root = await mkdtemp(join(tmpdir(), 'riffle-sink-'));
  const tmp = tempDirFor(join(root, 'p'), 'j');
  const a = await TempFileWriter.open(tmp, textFormat<string>(), 'none');
  const b = await TempFileWriter.open(tmp, textFormat<string>(), 'none');
  a.write(['x']);
  const done = await a.close();
  assert.throws(() => a.write(['y']), RiffleError);
  const runId = 'run-1';
  await commitFiles([{ tempPath: done.tempPath, finalPath: finalShardPath({ prefix: join(root, 'p'), shardIndex: 0, numShards: 2 }, 'txt', 'none') }], { runId });
  assert.deepEqual(await readdir(tmp), [b.tempPath.slice(tmp.length + 1)]);
  const rest = await b.close();
  await commitFiles([{ tempPath: rest.tempPath, finalPath: finalShardPath({ prefix: join(root, 'p'), shardIndex: 1, numShards: 2 }, 'txt', 'none') }], { runId });
  assert.deepEqual((await readdir(root)).sort(), ['_SUCCESS', 'p-00000-of-00002.txt', 'p-00001-of-00002.txt']);
  assert.equal(await readFile(join(root, 'p-00000-of-00002.txt'), 'utf8'), 'x\n');
  assert.equal(await readFile(join(root, 'p-00001-of-00002.txt'), 'utf8'), '');
  // Another run's commit replaces the set.
  const c = await TempFileWriter.open(tmp, textFormat<string>(), 'none');
  c.write(['z']);
  await commitFiles([{ tempPath: (await c.close()).tempPath, finalPath: finalShardPath({ prefix: join(root, 'p'), shardIndex: 0, numShards: 1 }, 'txt', 'none') }]);
  assert.deepEqual((await readdir(root)).sort(), ['_SUCCESS', 'p-00000-of-00001.txt']);
});

test('a failing encode leaves the writer consistent: the whole batch is rejected', async () => {
  const root = await mkdtemp(join(tmpdir(), 'riffle-sink-'));
  const w = await TempFileWriter.open(root, jsonlFormat<unknown>(), 'none');
  w.write([1]);
  assert.throws(() => w.write([2, 3n]));
  const { tempPath, count } = await w.close();
  assert.equal(count, 1);
  assert.equal(await readFile(tempPath, 'utf8'), '1\n');
});
