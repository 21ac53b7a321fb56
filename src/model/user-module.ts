/**
 * Loading a user's module (a pipeline or DAG file) by path.
 *
 * A TypeScript module (.ts, .mts, .cts) needs a loader when Riffle itself runs as compiled JavaScript (the installed
 * package, `dist/`): tsx is registered then, once, on the first such module — never for a .js module, so a command
 * that loads none pays nothing for it. When Riffle runs from its own TypeScript sources, a loader is already in
 * place and nothing is registered.
 *
 * @example
 * const mod = await importUserModule('/home/me/pipelines/revenue.ts'); // registers tsx first if needed
 */
import { pathToFileURL } from 'node:url';

const TYPESCRIPT_MODULE = /\.[mc]?ts$/;

let loader: Promise<void> | undefined;

/** Whether a module at this path needs a TypeScript loader. */
export function isTypeScriptModule(path: string): boolean {
  return TYPESCRIPT_MODULE.test(path) && !path.endsWith('.d.ts');
}

/**
 * Makes `.ts` modules importable in this process: registers tsx unless Riffle already runs under a TypeScript
 * loader (this very file is then a .ts module). Idempotent.
 */
export function ensureTypeScriptLoader(): Promise<void> {
  if (TYPESCRIPT_MODULE.test(import.meta.url)) return Promise.resolve();
  loader ??= import('tsx/esm/api').then((tsx) => {
    tsx.register();
  });
  return loader;
}

/** Imports the module at an absolute path, registering the TypeScript loader first when the module needs it. */
export async function importUserModule(absolutePath: string): Promise<Record<string, unknown>> {
  if (isTypeScriptModule(absolutePath)) await ensureTypeScriptLoader();
  return (await import(pathToFileURL(absolutePath).href)) as Record<string, unknown>;
}
