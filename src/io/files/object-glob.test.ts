import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ObjectMeta, ObjectStore } from '../../object-store/index.ts';
import { globToRegExp, matchObjects } from './object-glob.ts';

/** A store over a map, listing whatever keys it holds (as a service would, '..' segments included). */
function memoryStore(objects: Record<string, string>): ObjectStore {
  const meta = (key: string): ObjectMeta => ({ key, size: objects[key]!.length, lastModified: 0 });
  return {
    url: 'mem://b',
    get: async (k) => (k in objects ? new TextEncoder().encode(objects[k]) : undefined),
    getRange: async (k, s, e) => new TextEncoder().encode(objects[k]!.slice(s, e)),
    head: async (k) => (k in objects ? meta(k) : undefined),
    put: async () => undefined,
    putIfAbsent: async () => false,
    list: async (prefix) => Object.keys(objects).filter((k) => k.startsWith(prefix)).sort().map(meta),
    delete: async () => undefined,
  };
}

test('globToRegExp: * and ? stay in a segment, ** spans segments, classes and alternatives', () => {
  assert.ok(globToRegExp('*.csv').test('a.csv'));
  assert.ok(!globToRegExp('*.csv').test('x/a.csv'));
  assert.ok(globToRegExp('**/*.csv').test('a.csv'));
  assert.ok(globToRegExp('**/*.csv').test('x/y/a.csv'));
  assert.ok(globToRegExp('2024-0?/[!b]*.{csv,gz}').test('2024-01/a.gz'));
  assert.ok(!globToRegExp('2024-0?/[!b]*.{csv,gz}').test('2024-01/b.gz'));
  assert.ok(!globToRegExp('a.csv').test('abcsv'), 'a dot is literal');
});

test('matchObjects: hidden names and keys with empty, . or .. segments are never matched', async () => {
  const store = memoryStore({
    'in/a.csv': 'x', 'in/../etc/passwd.csv': 'x', 'in/./b.csv': 'x', 'in//c.csv': 'x', 'in/.riffle-tmp-r/d.csv': 'x', 'in/sub/e.csv': 'x', 'in/.f.csv': 'x',
  });
  const names = async (path: string) => (await matchObjects(store, 's3://b', path)).map(([n]) => n);
  assert.deepEqual(await names('in/*.csv'), ['s3://b/in/a.csv']);
  assert.deepEqual(await names('in/**/*.csv'), ['s3://b/in/a.csv', 's3://b/in/sub/e.csv']);
  assert.deepEqual(await names('in'), ['s3://b/in/a.csv'], 'a prefix: its objects one level down');
  assert.deepEqual(await names('in/a.csv'), ['s3://b/in/a.csv']);
});

test('matchObjects: a _SUCCESS manifest hides uncommitted shards and reads a pending one from its temp prefix', async () => {
  const manifest = { format: 'riffle-files', version: 1, sets: [{ base: 'part-', rest: '.txt', runId: 'r', commits: 1, time: '', files: [{ name: 'part-00000-of-00001.txt', count: 1, bytes: 1 }], pending: { dir: '.riffle-tmp-r', names: ['part-00000-of-00001.txt'] } }] };
  const store = memoryStore({
    'out/_SUCCESS': JSON.stringify(manifest), 'out/part-00000-of-00001.txt': 'old', 'out/.riffle-tmp-r/part-00000-of-00001.txt': 'new', 'out/part-00000-of-00002.txt': 'stray', 'out/notes.md': 'n',
  });
  assert.deepEqual(await matchObjects(store, 's3://b', 'out'), [
    ['s3://b/out/notes.md', 's3://b/out/notes.md'],
    ['s3://b/out/part-00000-of-00001.txt', 's3://b/out/.riffle-tmp-r/part-00000-of-00001.txt'],
  ]);
});
