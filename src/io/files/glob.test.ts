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
