// Preloaded with `node --import ./module-recorder.mjs`: records every module the process loads into the file named by
// RIFFLE_MODULE_LOG, one URL a line — ES modules from a load hook (on the loader thread, written before the module
// is evaluated), CommonJS modules and native addons from the require cache at exit.
import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const log = process.env.RIFFLE_MODULE_LOG;
if (log) {
  const hooks = `
import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function load(url, context, next) { appendFileSync(log, url + '\\n'); return next(url, context); }
`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { log } });
  const require = createRequire(import.meta.url);
  process.on('exit', () => {
    const cjs = Object.keys(require.cache).map((key) => (key.startsWith('/') ? pathToFileURL(key).href : key));
    if (cjs.length > 0) appendFileSync(log, cjs.join('\n') + '\n');
  });
}
