import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../model/index.ts';
import { expandPaths } from './glob.ts';

test('expandPaths: globs and plain paths, sorted and deduplicated, hidden files and dirs skipped', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'riffle-glob-'));
  await mkdir(join(dir, 'sub'));
  await mkdir(join(dir, '.riffle-tmp-job'));
  for (const f of ['b.csv', 'a.csv', 'c.txt', 'sub/d.csv', '.hidden.csv', '.riffle-tmp-job/x.csv', 'weird[1].csv']) await writeFile(join(dir, f), 'x\n');
  assert.deepEqual(await expandPaths(join(dir, '[ab].csv')), [join(dir, 'a.csv'), join(dir, 'b.csv')]);
  assert.deepEqual(await expandPaths([join(dir, 'b.csv'), join(dir, '*.csv'), join(dir, '**/*.csv')]), [
    join(dir, 'a.csv'),
    join(dir, 'b.csv'),
    join(dir, 'sub/d.csv'),
    join(dir, 'weird[1].csv'),
  ]);
  // A plain path is used as is, even with glob characters; a directory gives its files.
  assert.deepEqual(await expandPaths(join(dir, 'weird[1].csv')), [join(dir, 'weird[1].csv')]);
  assert.deepEqual(await expandPaths(join(dir, 'sub')), [join(dir, 'sub/d.csv')]);
});

test('expandPaths: no match is a ConfigError naming the pattern and the working directory', async () => {
  await assert.rejects(expandPaths(['package.json', 'no/such/*.csv']), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /no\/such\/\*\.csv/);
    assert.ok(e.message.includes(process.cwd()));
    return true;
  });
  await assert.rejects(expandPaths([]), ConfigError);
});

test('expandPaths honours a _SUCCESS manifest: listed files of a set, files of no set; never the marker, unlisted shards, or a pending file’s old content', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'riffle-glob-'));
  await mkdir(join(dir, 'sub'));
  const pendingDir = '.riffle-tmp-run';
  await mkdir(join(dir, 'sub', pendingDir));
  const files = {
    'part-00000-of-00002.jsonl': 'old 0', // committed, but its new content is still pending in the temp dir
    'part-00001-of-00002.jsonl': 'new 1', // committed
    'part-00000-of-00003.jsonl': 'older', // a shard of the set the manifest does not list: an older run's
    'part-00000-of-00002-v2.jsonl': 'another set, no entry: visible',
    'notes.txt': 'the user’s',
    [`${pendingDir}/part-00000-of-00002.jsonl`]: 'new 0',
  };
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, 'sub', name), text);
  const manifest = {
    format: 'riffle-files',
    version: 1,
    sets: [
      {
        base: 'part-',
        rest: '.jsonl',
        runId: 'run',
        commits: 1,
        time: '2026-12-06T22:00:00.000Z',
        files: [0, 1].map((i) => ({ name: `part-0000${i}-of-00002.jsonl`, count: 1, bytes: 5 })),
        pending: { dir: pendingDir, names: ['part-00000-of-00002.jsonl'] },
      },
    ],
  };
  await writeFile(join(dir, 'sub', '_SUCCESS'), JSON.stringify(manifest));
  const sub = join(dir, 'sub');
  const expected = [join(sub, 'notes.txt'), join(sub, 'part-00000-of-00002-v2.jsonl'), join(sub, pendingDir, 'part-00000-of-00002.jsonl'), join(sub, 'part-00001-of-00002.jsonl')];
  assert.deepEqual(await expandPaths(sub), expected);
  assert.deepEqual(await expandPaths(join(sub, '*')), expected);
  assert.deepEqual(await expandPaths(join(dir, '**', 'part-*-of-00002.jsonl')), [join(sub, pendingDir, 'part-00000-of-00002.jsonl'), join(sub, 'part-00001-of-00002.jsonl')]);
  await assert.rejects(expandPaths(join(sub, 'part-*-of-00003.jsonl')), ConfigError);
});
