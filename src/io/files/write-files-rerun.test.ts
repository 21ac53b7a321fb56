import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Pipeline, type PipelineDefinition } from '../../index.ts';

// `npm start` twice in a row (issue 10 item 20): the quickstart pipeline, run twice into one output folder (here a
// temp one), gives the same files both times — also over a folder written by an earlier version, whose stray shards
// of the same sinks are replaced.
const ROOT = join(import.meta.dirname, '..', '..', '..');

async function quickstart(out: string): Promise<void> {
  const def = (await import(pathToFileURL(join(ROOT, 'examples', 'quickstart.ts')).href)).default as PipelineDefinition<any>;
  const p = Pipeline.create();
  await def.build(p, def.parseParams({ input: join(ROOT, 'examples', 'data', 'events.csv'), output: out }));
  const log = console.log;
  console.log = () => {};
  try {
    assert.equal((await p.run()).state, 'DONE');
  } finally {
    console.log = log;
  }
}

/** The files and their contents (error records' times aside). */
const snapshot = (dir: string) =>
  readdirSync(dir)
    .sort()
    .map((n) => [n, n === '_SUCCESS' ? '' : readFileSync(join(dir, n), 'utf8').replace(/"time":"[^"]*"/g, '')]);

test('the quickstart run twice into the same folder writes the same files (npm start twice)', async () => {
  const out = mkdtempSync(join(tmpdir(), 'riffle-rerun-'));
  await quickstart(out);
  const first = snapshot(out);
  assert.deepEqual(
    first.map(([n]) => n),
    ['_SUCCESS', 'errors-00000-of-00001.jsonl', 'events-by-type-00000-of-00001.csv', 'revenue-by-country-00000-of-00001.csv'],
  );
  await quickstart(out);
  assert.deepEqual(snapshot(out), first);
});

test('the quickstart over a folder of an earlier version: its shards are replaced, the user’s own files kept', async () => {
  const out = mkdtempSync(join(tmpdir(), 'riffle-rerun-'));
  for (const n of ['revenue-by-country-00000-of-00002.csv', 'revenue-by-country-00001-of-00002.csv', 'errors-00000-of-00001.jsonl', 'notes.txt']) writeFileSync(join(out, n), 'old\n');
  await quickstart(out);
  assert.deepEqual(readdirSync(out).sort(), ['_SUCCESS', 'errors-00000-of-00001.jsonl', 'events-by-type-00000-of-00001.csv', 'notes.txt', 'revenue-by-country-00000-of-00001.csv']);
  assert.notEqual(readFileSync(join(out, 'errors-00000-of-00001.jsonl'), 'utf8'), 'old\n');
});
