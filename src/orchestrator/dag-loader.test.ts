import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadDagFolder } from './dag-loader.ts';

const folder = mkdtempSync(join(tmpdir(), 'riffle-dags-'));
after(() => rmSync(folder, { recursive: true, force: true }));
const DAG = JSON.stringify(new URL('./dag.ts', import.meta.url).href);

describe('loadDagFolder', () => {
  it('loads every file; import errors, cycles and duplicate ids are reported per file', async () => {
    writeFileSync(join(folder, 'good.ts'), `import { dag } from ${DAG};\nexport const d = dag({ id: 'good', schedule: '@daily', startDate: '2024-01-01' });\nd.task('a', () => 1);\n`);
    // Dynamic DAGs from config: one module exports an array of generated DAGs.
    writeFileSync(join(folder, 'from-config.ts'), `import { dag } from ${DAG};\nexport default ['eu', 'us'].map((region) => { const d = dag({ id: 'ingest-' + region, schedule: '@hourly', startDate: '2024-01-01', params: { region } }); d.task('pull', ({ params }) => params.region); return d; });\n`);
    writeFileSync(join(folder, 'broken.ts'), `import { nothing } from './missing.ts';\nexport const x = nothing;\n`);
    writeFileSync(join(folder, 'cycle.ts'), `import { dag } from ${DAG};\nexport const d = dag({ id: 'cyclic', schedule: null, startDate: '2024-01-01' });\nconst a = d.task('a', () => 1); const b = d.task('b', () => 1); a.then(b).then(a);\n`);
    writeFileSync(join(folder, 'twin.ts'), `import { dag } from ${DAG};\nexport const d = dag({ id: 'good', schedule: null, startDate: '2024-01-01' });\n`);
    mkdirSync(join(folder, 'lib'));
    writeFileSync(join(folder, 'lib', 'helpers.ts'), 'export const helper = 1;\n');
    writeFileSync(join(folder, 'good.test.ts'), 'throw new Error("tests are not DAG files");\n');
    const { dags, errors } = await loadDagFolder(folder);
    assert.deepEqual([...dags.keys()].sort(), ['good', 'ingest-eu', 'ingest-us']);
    const byFile = Object.fromEntries(errors.map((e) => [e.file.slice(folder.length + 1), e.error]));
    assert.deepEqual(Object.keys(byFile).sort(), ['broken.ts', 'cycle.ts', 'twin.ts']);
    assert.match(byFile['cycle.ts']!, /dag 'cyclic' has a cycle: (a → b → a|b → a → b)/);
    assert.match(byFile['twin.ts']!, /dag id 'good' is already defined in .*good\.ts/);
    assert.match(byFile['broken.ts']!, /missing/);
    assert.equal(dags.get('good')!.fileloc, join(folder, 'good.ts'));
  });
});

describe('loadDagFolder on a missing folder', () => {
  it('a DAG folder that does not exist is one error naming it and what to pass, not a raw ENOENT', async () => {
    const { errors, dags } = await loadDagFolder('/nonexistent/riffle-dags');
    assert.equal(dags.size, 0);
    assert.deepEqual(errors.map((e) => e.error), ['cannot read the DAG folder (it does not exist); pass --dags <folder of DAG files>']);
  });
});
