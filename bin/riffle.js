#!/usr/bin/env node
// The `riffle` command.
//
// Installed (the package ships dist/ and no sources), it runs the compiled CLI: no TypeScript loader is registered
// unless a command loads a user's .ts module (see src/model/user-module.ts).
// In a checkout, it runs dist/ when a build exists and is newer than every source file; otherwise — a fresh clone
// after `npm ci`, or sources edited since the last `npm run build` — it runs the sources through tsx, so that every
// command works without a build and never runs stale code.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { URL } from 'node:url';

const root = new URL('../', import.meta.url);
const compiled = new URL('dist/bundle/cli.js', root);
const sources = new URL('src/', root);

/** The newest modification time of the product sources under `dir` (tests excluded: they are not in dist/). */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (entry.name !== 'fixtures') newest = Math.max(newest, newestSource(new URL(`${entry.name}/`, dir)));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
      newest = Math.max(newest, statSync(new URL(entry.name, dir)).mtimeMs);
    }
  }
  return newest;
}

function useCompiled() {
  if (!existsSync(compiled)) return false;
  if (!existsSync(new URL('cli/main.ts', sources))) return true; // the installed package
  const stamp = new URL('dist/.build-stamp', root);
  return existsSync(stamp) && statSync(stamp).mtimeMs >= newestSource(sources);
}

if (useCompiled()) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('cli/main.ts', sources).href);
}
