// `import { sql, SqlSession } from 'riffle/sql'` and building a pipeline with sql.transform load neither DuckDB nor
// the lakehouse: they load when a session opens (a query runs, or the pipeline runs). Recorded by the package
// tests' module recorder.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { pathToFileURL } from 'node:url';

const ROOT = join(import.meta.dirname, '../..');
const RECORDER = pathToFileURL(join(ROOT, 'test/package/module-recorder.mjs')).href;
const work = mkdtempSync(join(tmpdir(), 'riffle-sql-light-'));
after(() => rmSync(work, { recursive: true, force: true }));

it('riffle/sql loads DuckDB and the lakehouse only when a session opens', () => {
  const log = join(work, 'modules.log');
  const code = `
const { sql } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'src/sql/index.ts')).href)});
const riffle = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'src/index.ts')).href)});
const p = riffle.Pipeline.create();
sql.transform('SELECT * FROM t', { inputs: { t: p.apply(riffle.create([{ id: 1 }])) } });
`;
  const r = spawnSync(process.execPath, ['--import', RECORDER, '--import', import.meta.resolve('tsx'), '--input-type=module', '-e', code], {
    cwd: ROOT, env: { ...process.env, RIFFLE_MODULE_LOG: log }, encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  const loaded = readFileSync(log, 'utf8').split('\n');
  assert.ok(loaded.some((u) => u.endsWith('/src/sql/index.ts')), 'the recorder saw riffle/sql');
  assert.deepEqual(loaded.filter((u) => /\/node_modules\/@duckdb\/|\/src\/lakehouse\/|\.node$/.test(u)), []);
});
