// `import { Pipeline } from 'riffle'` stays light: the root entry point (from the sources, and from dist/ when a
// build is up to date) must not load the lakehouse, quality, the orchestrator, or a heavy or native dependency —
// neither on import nor when a pipeline using io.delta is built (its lakehouse loads only when the pipeline runs).
// Every module a child process loads is recorded by module-recorder.mjs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

const ROOT = join(import.meta.dirname, '../..');
const RECORDER = pathToFileURL(join(import.meta.dirname, 'module-recorder.mjs')).href;
const TSX = import.meta.resolve('tsx');
const work = mkdtempSync(join(tmpdir(), 'riffle-light-import-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Folders of src/ and packages the root must not load (the native addons are caught by their `.node` files). */
const HEAVY_SRC = /\/(?:src|dist)\/(lakehouse|quality|orchestrator|cli|server|sql)\//;
const HEAVY_PACKAGES = [
  'pg', 'pg-pool', 'snappy', 'hyparquet', 'hyparquet-compressors', 'hyparquet-writer', 'duckdb', '@duckdb', 'kafkajs', '@confluentinc', '@platformatic', 'zod', 'yaml',
  'croner', 'commander', 'hono', '@hono', 'ws', 'avsc', 'ajv', 'typescript',
];
const HEAVY_PACKAGE = new RegExp(`/node_modules/(${HEAVY_PACKAGES.map((p) => p.replace('/', '\\/')).join('|')})/`);

interface Loaded {
  readonly all: string[];
  readonly heavy: string[];
}

/** Runs `code` (an ES module body) in a fresh node with the recorder (and tsx when `sources`), returns what it loaded. */
function loadedBy(code: string, sources: boolean, label: string): Loaded {
  const log = join(work, `${label}.log`);
  const args = ['--import', RECORDER, ...(sources ? ['--import', TSX] : []), '--input-type=module', '-e', code];
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env: { ...process.env, RIFFLE_MODULE_LOG: log }, encoding: 'utf8' });
  assert.equal(r.status, 0, `${label}: the child failed:\n${r.stderr}`);
  const all = [...new Set(readFileSync(log, 'utf8').split('\n').filter((l) => l !== ''))];
  const heavy = all.filter((url) => HEAVY_SRC.test(url) || HEAVY_PACKAGE.test(url) || url.endsWith('.node'));
  return { all, heavy };
}

/** Modules of Riffle itself and of its dependencies (not node: builtins nor the tsx loader). */
function ownAndDependencies(all: readonly string[]): number {
  return all.filter((u) => !u.startsWith('node:') && !/\/node_modules\/(tsx|esbuild|get-tsconfig|resolve-pkg-maps)\//.test(u)).length;
}

/** The body run in the child: imports the root, builds (does not run) a pipeline with io.delta and io.files. */
function body(entry: string): string {
  return `
const riffle = await import(${JSON.stringify(entry)});
const p = riffle.Pipeline.create();
const rows = p.apply(riffle.create([{ id: 1n }]));
rows.apply(riffle.io.delta.write(${JSON.stringify(join(work, 'table'))}));
p.apply(riffle.io.delta.read(${JSON.stringify(join(work, 'table'))}));
rows.apply(riffle.io.files.writeJsonl(${JSON.stringify(join(work, 'out'))}));
p.apply(riffle.io.kafka.read('events', { brokers: ['localhost:9092'] })).apply(riffle.io.kafka.write('copy', { brokers: ['localhost:9092'], exactlyOnce: true }));
if (typeof riffle.Pipeline !== 'function' || 'lakehouse' in riffle || 'orchestrator' in riffle || 'quality' in riffle) process.exit(3);
`;
}

/** The newest modification time of the product sources (as bin/riffle.js computes it). */
function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) newest = e.name === 'fixtures' ? newest : Math.max(newest, newestSource(path));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const stamp = join(ROOT, 'dist/.build-stamp');
const distFresh = existsSync(stamp) && statSync(stamp).mtimeMs >= newestSource(join(ROOT, 'src'));

describe('the root entry point is light', () => {
  it('from the sources: no lakehouse, quality, orchestrator or heavy/native dependency, even with io.delta in a pipeline', (t) => {
    const { all, heavy } = loadedBy(body(pathToFileURL(join(ROOT, 'src/index.ts')).href), true, 'src');
    t.diagnostic(`src/index.ts loads ${all.length} modules (${ownAndDependencies(all)} of Riffle and its dependencies)`);
    assert.deepEqual(heavy, []);
    assert.ok(all.some((u) => u.endsWith('/src/io/delta/write-delta.ts')), 'the recorder saw the io.delta factory load');
  });

  it('the check itself catches a heavy module (the lakehouse subpath)', () => {
    const { heavy } = loadedBy(`await import(${JSON.stringify(pathToFileURL(join(ROOT, 'src/lakehouse/index.ts')).href)});`, true, 'lakehouse');
    assert.ok(heavy.some((u) => u.includes('/src/lakehouse/')));
    assert.ok(heavy.some((u) => HEAVY_PACKAGE.test(u)), 'and its dependencies (zod, yaml)');
  });

  it("import('riffle') compiled (dist/, when a build is up to date): the same, without tsx", { skip: distFresh ? false : 'no up-to-date build in dist/ (npm run build; the consumer tier runs this test after building)' }, (t) => {
    // The package's own name resolves through its exports to the bundle; the bundle's files are mapped back to the
    // sources they hold (dist/.bundle-meta.json, written by the build).
    const { all, heavy } = loadedBy(body('riffle'), false, 'dist');
    const meta = JSON.parse(readFileSync(join(ROOT, 'dist/.bundle-meta.json'), 'utf8')) as Record<string, { inputs: Record<string, unknown> }>;
    const bundled = all.filter((u) => u.includes('/dist/bundle/'));
    assert.ok(bundled.some((u) => u.endsWith('/dist/bundle/index.js')), 'the root entry is the bundle');
    const sources = bundled.flatMap((u) => {
      const file = Object.keys(meta).find((f) => u.endsWith(`/${f}`));
      assert.ok(file, `${u} is in the bundle's metadata`);
      return Object.keys(meta[file]!.inputs);
    });
    t.diagnostic(`import('riffle') loads ${all.length} modules (${ownAndDependencies(all)} files: ${bundled.length} of the bundle, holding ${sources.length} sources)`);
    assert.deepEqual(heavy, []);
    assert.deepEqual(sources.filter((s) => HEAVY_SRC.test(`/${s}`)), []);
    assert.ok(sources.includes('src/io/delta/write-delta.ts'));
    assert.ok(!all.some((u) => u.includes('/node_modules/tsx/')), 'the compiled root does not load tsx');
  });
});
