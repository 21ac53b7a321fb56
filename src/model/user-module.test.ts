import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { importUserModule, isTypeScriptModule } from './user-module.ts';

describe('user modules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'riffle-user-module-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a TypeScript loader is needed for .ts, .mts and .cts, not for JavaScript or declarations', () => {
    for (const p of ['/a/p.ts', '/a/p.mts', '/a/p.cts']) assert.equal(isTypeScriptModule(p), true, p);
    for (const p of ['/a/p.js', '/a/p.mjs', '/a/p.d.ts', '/a/ts', '/a/p.tsx.js']) assert.equal(isTypeScriptModule(p), false, p);
  });

  it('imports JavaScript and TypeScript modules by absolute path (names with spaces and #)', async () => {
    writeFileSync(join(dir, 'a b#1.mjs'), 'export default 41;\n');
    writeFileSync(join(dir, 'c d#2.ts'), 'const n: number = 42;\nexport default n;\n');
    assert.equal((await importUserModule(join(dir, 'a b#1.mjs'))).default, 41);
    assert.equal((await importUserModule(join(dir, 'c d#2.ts'))).default, 42);
  });
});
