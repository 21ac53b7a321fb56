import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../model/index.ts';

type TS = typeof import('typescript');

/** What `riffle run --typecheck` found: tsc-formatted diagnostics (empty when the module type-checks). */
export interface TypecheckResult {
  readonly errors: number;
  readonly text: string;
  /** Where the incremental state is kept between runs. */
  readonly cacheFile: string;
}

/**
 * Type-checks a pipeline module (and what it imports) with the TypeScript of the module's project (Riffle's own
 * when the project has none), under the nearest tsconfig.json, as `tsc --noEmit` would. Incremental: the build info
 * is kept in `node_modules/.cache/riffle/` of that project (or `~/.cache/riffle/`), so a second run of an unchanged
 * module costs little.
 * @example const r = await typecheckModule('pipelines/daily.ts'); if (r.errors > 0) console.error(r.text);
 */
export async function typecheckModule(path: string, cwd = process.cwd()): Promise<TypecheckResult> {
  const absolute = resolve(cwd, path);
  const ts = await loadTypeScript(dirname(absolute));
  const configPath = ts.findConfigFile(dirname(absolute), ts.sys.fileExists, 'tsconfig.json');
  let options: import('typescript').CompilerOptions = { strict: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, allowImportingTsExtensions: true, skipLibCheck: true };
  const projectDir = configPath !== undefined ? dirname(configPath) : dirname(absolute);
  if (configPath !== undefined) {
    const read = ts.readConfigFile(configPath, ts.sys.readFile);
    if (read.error) throw new ConfigError(`cannot read ${configPath}: ${ts.flattenDiagnosticMessageText(read.error.messageText, '\n')}`);
    options = ts.parseJsonConfigFileContent(read.config, ts.sys, projectDir, undefined, configPath).options;
  }
  const cacheDir = existsSync(join(projectDir, 'node_modules')) ? join(projectDir, 'node_modules', '.cache', 'riffle') : join(homedir(), '.cache', 'riffle');
  mkdirSync(cacheDir, { recursive: true });
  const key = createHash('sha256').update(`${ts.version}\0${configPath ?? ''}\0${absolute}`).digest('hex').slice(0, 16);
  const cacheFile = join(cacheDir, `typecheck-${key}.tsbuildinfo`);
  const host = ts.createIncrementalCompilerHost({ ...options, noEmit: true, incremental: true, tsBuildInfoFile: cacheFile });
  const program = ts.createIncrementalProgram({ rootNames: [absolute], options: { ...options, noEmit: true, incremental: true, tsBuildInfoFile: cacheFile }, host });
  const diagnostics = [
    ...program.getConfigFileParsingDiagnostics(),
    ...program.getOptionsDiagnostics(),
    ...program.getSyntacticDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...program.getSemanticDiagnostics(),
  ];
  program.emit(); // with noEmit, writes only the build info
  const formatHost = { getCanonicalFileName: (f: string) => f, getCurrentDirectory: () => cwd, getNewLine: () => '\n' };
  const errors = diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error).length;
  return { errors, text: errors > 0 ? ts.formatDiagnostics(diagnostics, formatHost).trimEnd() : '', cacheFile };
}

/** The project's own `typescript` (resolved from the module's folder), else Riffle's. */
async function loadTypeScript(from: string): Promise<TS> {
  for (const base of [join(from, 'noop.js'), import.meta.url]) {
    try {
      const resolved = createRequire(base).resolve('typescript');
      const mod = (await import(pathToFileURL(resolved).href)) as TS & { default?: TS };
      return mod.default ?? mod;
    } catch {
      // try the next place
    }
  }
  throw new ConfigError('--typecheck needs the typescript package, which is not installed here', { hint: 'npm install --save-dev typescript, or run without --typecheck' });
}
