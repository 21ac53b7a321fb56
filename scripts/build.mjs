// `npm run build`: the published package's dist/.
//
// 1. tsc (tsconfig.build.json) type-checks src/ and writes the declarations, dist/**/*.d.ts; the `.ts` specifiers
//    tsc leaves in them are rewritten to `.js`, so that they read as ordinary ESM declarations for every TypeScript
//    version a consumer may use.
// 2. esbuild bundles the JavaScript of every entry point into dist/bundle/ (scripts/bundle.mjs), sharing what entries have in common in
//    chunks (so one process holds one copy of each module, whichever entries it imports). Why a bundle: Node 20
//    pays about a millisecond per ES module file to resolve, read and compile it; the root entry is ~150 files, the
//    CLI ~200, which alone would exceed the startup budget (issue 12: `riffle --help` ≤ 150 ms and `import 'riffle'`
//    ≤ 100 ms over `node -e 0`). Entries and chunks sit in one folder, so the worker modules found beside their
//    users (`new URL('./runner-worker.js', import.meta.url)`) are found in the bundle too. Class and function names
//    are kept (errors name their class). Dependencies stay imports (node_modules).
//    dist/.bundle-meta.json lists the sources in each bundle file (for tests; not published).
// 3. dist/.build-stamp: bin/riffle.js runs dist/ in a checkout only when the stamp is newer than every source file.
// 4. The web console (console/, vite) into console/dist/, which the package ships (package.json `files`) and
//    `riffle server` serves at / (src/server/console-assets.ts); console/README.md says why it is built here.
//    --no-console skips it (the console's sources have not changed, or only the library is wanted).
//
// Usage: node scripts/build.mjs [--outDir <dir>] [--no-console]   (exit 1 on a type error or a failed console build)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { bundle, WORKER_ENTRIES } from './bundle.mjs';

const root = resolve(import.meta.dirname, '..');
const at = process.argv.indexOf('--outDir');
const outDir = at >= 0 ? resolve(process.argv[at + 1]) : join(root, 'dist');
const require = createRequire(import.meta.url);

// 1. Declarations.
const tsc = require.resolve('typescript/bin/tsc');
const args = [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir, '--tsBuildInfoFile', join(outDir, '.tsbuildinfo')];
const result = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
if (result.status !== 0) {
  console.error(`build: tsc failed (exit ${result.status ?? result.signal}); ${outDir} is incomplete`);
  process.exit(1);
}
// `from './x.ts'`, `import('./x.ts')` and `import './x.ts'` with a relative specifier.
const TS_SPECIFIER = /((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]*?)\.([mc]?)ts(['"])/g;
let declarations = 0;
const walk = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'bundle') walk(path);
    } else if (/\.d\.[mc]?ts$/.test(entry.name)) {
      // A declaration whose source was deleted or renamed since an earlier build is not shipped.
      const source = join(root, 'src', path.slice(outDir.length + 1).replace(/\.d\.([mc]?)ts$/, '.$1ts'));
      if (!existsSync(source)) {
        rmSync(path);
        continue;
      }
      declarations++;
      const text = readFileSync(path, 'utf8');
      const next = text.replace(TS_SPECIFIER, (_m, head, spec, m, tail) => `${head}${spec}.${m}js${tail}`);
      if (next !== text) writeFileSync(path, next);
    }
  }
};
walk(outDir);

// 2. JavaScript. Entry names are what package.json's exports and the modules' own URLs expect.
const entryPoints = {
  index: 'src/index.ts',
  lakehouse: 'src/lakehouse/index.ts',
  sql: 'src/sql/index.ts',
  quality: 'src/quality/index.ts',
  orchestrator: 'src/orchestrator/index.ts',
  cli: 'src/cli/main.ts',
  // Worker entry points, started by URL from beside their users (runner-worker, and pipeline-job: the module each
  // worker of a pipeline job loads, which run-on-workers.ts starts by URL from beside its chunk).
  'task-runner': 'src/orchestrator/task-runner.ts',
  ...WORKER_ENTRIES,
};
// riffle/io/<system>: every connector folder with an index.ts.
for (const system of readdirSync(join(root, 'src/io'), { withFileTypes: true })) {
  if (system.isDirectory() && existsSync(join(root, 'src/io', system.name, 'index.ts'))) entryPoints[`io-${system.name}`] = `src/io/${system.name}/index.ts`;
}
for (const [name, path] of Object.entries(entryPoints)) {
  if (!existsSync(join(root, path))) throw new Error(`build: entry point ${name} (${path}) does not exist`);
}
const bundleDir = join(outDir, 'bundle');
rmSync(bundleDir, { recursive: true, force: true });
const metafile = await bundle(root, entryPoints, bundleDir);
// Which sources each bundle file holds (test/package/light-import.test.ts checks what the root entry loads with it).
writeFileSync(join(outDir, '.bundle-meta.json'), JSON.stringify(metafile.outputs));
const files = Object.keys(metafile.outputs);
const bytes = Object.values(metafile.outputs).reduce((n, o) => n + o.bytes, 0);

// 3. Stamp.
writeFileSync(join(outDir, '.build-stamp'), `${new Date().toISOString()}\n`);
console.log(`build: ${declarations} declaration files and ${files.length} bundle files (${(bytes / 1024).toFixed(0)} KiB) in ${outDir}`);

// 4. The console.
if (!process.argv.includes('--no-console')) {
  const started = Date.now();
  const { build } = await import('vite');
  try {
    await build({ root: join(root, 'console'), configFile: join(root, 'console/vite.config.ts'), logLevel: 'warn' });
  } catch (e) {
    console.error(`build: the console's vite build failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
  const assets = readdirSync(join(root, 'console/dist/assets'));
  console.log(`build: console in console/dist (${assets.length} assets, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
