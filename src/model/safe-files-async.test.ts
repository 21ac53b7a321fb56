// writeFileAtomicAsync keeps writeFileAtomic's protocol: the new content replaces the old whole, a link planted at
// the path is replaced (its target untouched), and no temp file is left behind.
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeFileAtomicAsync } from './safe-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'riffle-atomic-async-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('replaces a file whole, replaces a planted link without following it, leaves no temp file', async () => {
  const path = join(dir, 'state.json');
  await writeFileAtomicAsync(path, '{"gen":1}');
  await writeFileAtomicAsync(path, '{"gen":2}');
  assert.equal(readFileSync(path, 'utf8'), '{"gen":2}');
  const victim = join(dir, 'victim.txt');
  writeFileSync(victim, 'keep me');
  const linked = join(dir, 'linked.json');
  symlinkSync(victim, linked);
  await writeFileAtomicAsync(linked, 'new');
  assert.equal(readFileSync(victim, 'utf8'), 'keep me');
  assert.equal(lstatSync(linked).isSymbolicLink(), false);
  assert.equal(readFileSync(linked, 'utf8'), 'new');
  assert.deepEqual(readdirSync(dir).filter((n) => n.includes('.tmp-')), []);
});
