// `npm run build`: compiles src/ to dist/ (tsconfig.build.json), then
// 1. rewrites the `.ts` specifiers that tsc leaves in declaration files (rewriteRelativeImportExtensions rewrites the
//    JavaScript only) to `.js`, so that the shipped types read as ordinary ESM declarations for every TypeScript
//    version a consumer may use;
// 2. writes dist/.build-stamp, which bin/riffle.js compares with the sources' times in a checkout (a stale build
//    is not run).
// Usage: node scripts/build.mjs [--outDir <dir>]   (exit 1 on a type error)
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const at = process.argv.indexOf('--outDir');
const outDir = at >= 0 ? resolve(process.argv[at + 1]) : join(root, 'dist');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const args = [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', outDir, '--tsBuildInfoFile', join(outDir, '.tsbuildinfo')];
const result = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
if (result.status !== 0) {
  console.error(`build: tsc failed (exit ${result.status ?? result.signal}); ${outDir} may be incomplete`);
  process.exit(1);
}

// `from './x.ts'`, `import('./x.ts')` and `import './x.ts'` with a relative specifier.
const TS_SPECIFIER = /((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]*?)\.([mc]?)ts(['"])/g;
let rewritten = 0;
const walk = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (/\.d\.[mc]?ts$/.test(entry.name)) {
      const text = readFileSync(path, 'utf8');
      const next = text.replace(TS_SPECIFIER, (_m, head, spec, m, tail) => `${head}${spec}.${m}js${tail}`);
      if (next !== text) {
        writeFileSync(path, next);
        rewritten++;
      }
    }
  }
};
walk(outDir);
writeFileSync(join(outDir, '.build-stamp'), `${new Date().toISOString()}\n`);
console.log(`build: ${outDir} (${rewritten} declaration files had .ts specifiers rewritten)`);
