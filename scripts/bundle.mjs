// The esbuild configuration of Riffle's bundles, shared by `npm run build` (dist/bundle/) and the benchmarks that run
// worker threads on compiled JavaScript (bench/nexmark: workers load one bundle, as an installed package's do).
//
// Entries and their shared chunks go to one folder, so worker modules found beside their users
// (`new URL('./runner-worker.js', import.meta.url)`) are in the bundle too. Class and function names are kept.
// Dependencies stay imports (node_modules).
import { join } from 'node:path';

/** The worker entry points every bundle that runs pipelines on workers needs, by the names their users look for. */
export const WORKER_ENTRIES = {
  'runner-worker': 'src/runner/exchange/runner-worker.ts',
  'pipeline-job': 'src/runner/exchange/pipeline-job.ts',
};

/** Bundles `entryPoints` ({ name: path relative to root }) into `outdir`; returns esbuild's metafile. */
export async function bundle(root, entryPoints, outdir) {
  const esbuild = await import('esbuild');
  const built = await esbuild.build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(Object.entries(entryPoints).map(([name, path]) => [name, join(root, path)])),
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    keepNames: true,
    chunkNames: 'chunk-[hash]',
    tsconfig: join(root, 'tsconfig.build.json'),
    logLevel: 'warning',
    metafile: true,
    plugins: [
      {
        // node:test is imported by the conformance suites that some indexes export for other backends' tests; importing
        // it has no effect a product module relies on, so an entry that does not use a suite does not load the test
        // runner (about 10 ms).
        name: 'side-effect-free-test-runner',
        setup(b) {
          b.onResolve({ filter: /^node:test$/ }, (a) => ({ path: a.path, external: true, sideEffects: false }));
        },
      },
    ],
  });
  return built.metafile;
}
