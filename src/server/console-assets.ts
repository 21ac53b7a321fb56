/**
 * The web console at `GET /`: the built console (console/dist/, written by `npm run build`; shipped in the
 * package) when it is there, else a small page that lists the jobs and says how to build the console. Only
 * `index.html` and the files directly in `assets/` are served: an asset name is one path segment of plain
 * characters, and its real path (symlinks followed) must lie inside the console's directory.
 *
 * The directory is looked up on each request (a `npm run build` while the server runs takes effect on reload);
 * file contents are cached by path, size and modification time.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Env, Hono } from 'hono';
import { ApiError, errorBody } from './api-error.ts';
import { CONSOLE_PAGE } from './console-page.ts';

/**
 * Where the built console is: console/dist/ at the package's root — two levels above this module both in the
 * sources (src/server/) and in the published bundle (dist/bundle/).
 */
export function defaultConsoleDir(): string {
  return fileURLToPath(new URL('../../console/dist/', import.meta.url));
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.html': 'text/html; charset=utf-8', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.woff2': 'font/woff2', '.json': 'application/json', '.map': 'application/json', '.ico': 'image/x-icon', '.wasm': 'application/wasm',
};

/** One path segment: letters, digits, '.', '_', '-', not starting with '.' (so never '..' or a hidden file). */
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;

interface Cached { size: number; mtimeMs: number; body: Uint8Array }

/** A file of the console directory, or undefined when it is missing, not a regular file or outside the directory. */
function readInside(root: string, relative: string, cache: Map<string, Cached>): Uint8Array | undefined {
  let realRoot: string;
  let real: string;
  try {
    realRoot = realpathSync(root);
    real = realpathSync(join(root, relative));
  } catch {
    return undefined;
  }
  if (!real.startsWith(realRoot + sep)) return undefined;
  const st = statSync(real, { throwIfNoEntry: false });
  if (st === undefined || !st.isFile()) return undefined;
  const hit = cache.get(real);
  if (hit !== undefined && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.body;
  const body = new Uint8Array(readFileSync(real));
  cache.set(real, { size: st.size, mtimeMs: st.mtimeMs, body });
  return body;
}

/** The page served when console/dist/ has no index.html: the job list, and how to build the console. */
export function consoleMissingPage(dir: string): string {
  const note = `<p class="note">The web console is not built in <code>${dir.replace(/[&<>"']/g, '')}</code>. From a clone, run <code>npm run build</code> (or <code>npm run build:console</code>) and reload; an installed package ships it built.</p>`;
  return CONSOLE_PAGE.replace('<body>\n', `<body>\n${note}\n`);
}

/**
 * Adds `GET /` and `GET /assets/{file}` to the app.
 * @example
 *   serveConsole(app, defaultConsoleDir());
 */
export function serveConsole<E extends Env>(app: Hono<E>, dir: string): void {
  const cache = new Map<string, Cached>();
  app.get('/', (c) => {
    const index = readInside(dir, 'index.html', cache);
    if (index === undefined) return c.html(consoleMissingPage(dir));
    return c.body(index as Uint8Array<ArrayBuffer>, 200, { 'content-type': TYPES['.html']!, 'cache-control': 'no-cache' });
  });
  app.get('/assets/:file', (c) => {
    const name = c.req.param('file');
    const body = ASSET_NAME.test(name) ? readInside(dir, join('assets', name), cache) : undefined;
    if (body === undefined) {
      const { status, body: error } = errorBody(new ApiError(404, 'NOT_FOUND', `no console asset ${c.req.path}`, 'the console was built again: reload the page'));
      return c.json(error, status);
    }
    // Vite names assets by their content's hash: a name never changes meaning.
    return c.body(body as Uint8Array<ArrayBuffer>, 200, { 'content-type': TYPES[extname(name)] ?? 'application/octet-stream', 'cache-control': 'public, max-age=31536000, immutable', 'x-content-type-options': 'nosniff' });
  });
}
