import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { AsyncTempFile } from './async-temp-file.ts';
import type { FileFormat } from './file-format.ts';

const lines: FileFormat<string> = { extension: 'txt', encode: (s) => `${s}\n` };

test('an async temp file holds what was added, in order, across background writes; gzip as concatenated members', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'riffle-async-temp-')), 'sub');
  const big = 'x'.repeat(300_000);
  for (const compression of ['none', 'gzip'] as const) {
    const f = AsyncTempFile.open(dir, lines, compression);
    for (let i = 0; i < 8; i++) f.add(`${i}${big}`); // past 1 MiB: written in the background while adding
    const r = await f.close();
    assert.equal(r.count, 8);
    const raw = readFileSync(r.tempPath);
    assert.equal(r.bytes, raw.length);
    const text = (compression === 'gzip' ? gunzipSync(raw) : raw).toString();
    assert.deepEqual(text.split('\n').slice(0, -1).map((l) => l[0]), ['0', '1', '2', '3', '4', '5', '6', '7']);
  }
});

test('a temp file that cannot be created fails at close naming the file; discard removes a written one', async () => {
  const base = mkdtempSync(join(tmpdir(), 'riffle-async-temp-'));
  writeFileSync(join(base, 'file'), 'not a directory');
  const bad = AsyncTempFile.open(join(base, 'file', 'sub'), lines);
  bad.add('a');
  await assert.rejects(bad.close(), (e: Error) => /writing .*file.*sub.* failed/.test(e.message));
  const f = AsyncTempFile.open(base, lines);
  f.add('a');
  await f.discard();
  assert.equal(existsSync(f.tempPath), false);
});
