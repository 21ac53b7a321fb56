/**
 * The project file: `riffle.config.json`, `.yaml`/`.yml` or `.ts`, found upward from the working directory (or given
 * with `--config FILE`), holding defaults for the CLI — the DAG folder and metadata store, checkpoint and
 * dead-letter directories, workers, memory, the server URL. Environment variables override the file, command-line
 * flags override both. One zod schema validates it: unknown keys and bad values are errors naming file:line:key.
 * Relative paths in the file are relative to the file's directory. A `.ts` file is loaded (through tsx) only when it
 * is the one found.
 *
 * @example
 *   // riffle.config.yaml
 *   store: .riffle/orchestrator      # or postgres://user@host/db
 *   dags: dags
 *   workers: 4
 *   memory: 1g
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, importUserModule } from '../model/index.ts';
import { ConfigCheck } from './config-check.ts';
import { configFromValue, readConfigFile, type ConfigDocument } from './config-file.ts';

/** The file names searched for, in this order, in each directory from the working directory up. */
export const PROJECT_CONFIG_FILES = ['riffle.config.json', 'riffle.config.yaml', 'riffle.config.yml', 'riffle.config.ts'] as const;

/**
 * `64m`, `1g`, `512k`, `1.5GB`, `2GiB` or a number of bytes, as bytes (powers of 1024). Throws a ConfigError naming
 * `what` for anything else.
 * @example parseSize('64m', '--memory') // 67108864
 */
export function parseSize(text: string | number, what: string): number {
  const m = typeof text === 'number' ? [String(text), String(text), undefined] : /^\s*(\d+(?:\.\d+)?)\s*([kmgt])?(?:i?b)?\s*$/i.exec(text);
  const bytes = m ? Math.round(Number(m[1]) * 1024 ** 'bkmgt'.indexOf((m[2] ?? 'b').toLowerCase())) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new ConfigError(`${what} must be a size such as 512k, 64m or 1g (or a number of bytes), got '${String(text)}'`, { hint: 'units are k, m, g, t (powers of 1024)' });
  }
  return bytes;
}

const size = z.union([z.number().int().positive(), z.string().refine((s) => /^\s*\d+(\.\d+)?\s*[kmgt]?(i?b)?\s*$/i.test(s), { message: 'expected a size such as 512k, 64m or 1g' })]);

/** The schema of the project file (every key optional; unknown keys are errors). */
export const projectConfigSchema = z.strictObject({
  /** The orchestrator's metadata store: a directory or a postgres:// URL (riffle dag, scheduler, store). */
  store: z.string().min(1).optional(),
  /** The DAG folder (riffle dag, scheduler). */
  dags: z.string().min(1).optional(),
  /**
   * Where task logs are uploaded when an attempt ends, and read from when the metadata store has none (riffle
   * scheduler, dag logs, server): an s3://, az:// or abfss:// URL (Airflow's remote_base_log_folder).
   */
  remoteLogFolder: z.string().regex(/^(s3|s3a|az|azure|abfs|abfss):\/\/[^/]+/i, { message: 'expected an object-store URL such as s3://bucket/logs or az://container/logs' }).optional(),
  /** Where runs keep their checkpoints. */
  checkpointDir: z.string().min(1).optional(),
  /** Where dead letters go by default (riffle run). */
  deadLetterDir: z.string().min(1).optional(),
  /** Worker threads of a run (riffle run --workers). */
  workers: z.number().int().min(1).max(1024).optional(),
  /** Memory budget of a run (riffle run --memory). */
  memory: size.optional(),
  /** The Riffle server's URL (commands that talk to a server). */
  serverUrl: z.url({ protocol: /^https?$/ }).optional(),
});

/** The defaults of the project, resolved: file < environment. */
export interface ProjectConfig {
  readonly store?: string;
  readonly dags?: string;
  readonly remoteLogFolder?: string;
  readonly checkpointDir?: string;
  readonly deadLetterDir?: string;
  readonly workers?: number;
  readonly memoryBytes?: number;
  readonly serverUrl?: string;
}

export type ProjectConfigKey = keyof ProjectConfig;

/** A resolved project configuration, with where each value came from (for messages and `riffle config`). */
export interface ResolvedProjectConfig {
  readonly values: ProjectConfig;
  /** The project file read, if any. */
  readonly file: string | undefined;
  readonly sources: Readonly<Partial<Record<ProjectConfigKey, string>>>;
}

/** The environment variables that override the file (RIFFLE_ORCHESTRATOR_STORE is the older name of RIFFLE_STORE). */
export const PROJECT_CONFIG_ENV: Readonly<Record<ProjectConfigKey, readonly string[]>> = {
  store: ['RIFFLE_STORE', 'RIFFLE_ORCHESTRATOR_STORE'],
  dags: ['RIFFLE_DAGS'],
  remoteLogFolder: ['RIFFLE_REMOTE_LOG_FOLDER'],
  checkpointDir: ['RIFFLE_CHECKPOINT_DIR'],
  deadLetterDir: ['RIFFLE_DEAD_LETTER_DIR'],
  workers: ['RIFFLE_WORKERS'],
  memoryBytes: ['RIFFLE_MEMORY'],
  serverUrl: ['RIFFLE_SERVER_URL'],
};

/** The project file for `cwd`: the first of PROJECT_CONFIG_FILES in `cwd` or a directory above it. */
export function findProjectConfig(cwd: string): string | undefined {
  for (let dir = resolve(cwd); ; ) {
    for (const name of PROJECT_CONFIG_FILES) {
      const file = join(dir, name);
      if (existsSync(file) && statSync(file).isFile()) return file;
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * Reads and validates the project file (`file`, else the one found from `cwd`), then applies the environment.
 * Every problem of the file is reported at once (a ConfigFileError: file:line: key: what is expected).
 * @example const { values } = await loadProjectConfig({ cwd: process.cwd(), env: process.env }); values.workers
 */
export async function loadProjectConfig(o: { cwd: string; env: NodeJS.ProcessEnv; file?: string | undefined }): Promise<ResolvedProjectConfig> {
  const file = o.file !== undefined ? resolve(o.cwd, o.file) : findProjectConfig(o.cwd);
  const values: { -readonly [K in ProjectConfigKey]?: ProjectConfig[K] } = {};
  const sources: Partial<Record<ProjectConfigKey, string>> = {};
  if (file !== undefined) {
    const parsed = await readProjectFile(file);
    const base = dirname(file);
    const path = (p: string | undefined) => (p === undefined || /^[a-z][a-z0-9+.-]*:\/\//i.test(p) || isAbsolute(p) ? p : resolve(base, p));
    const fromFile: ProjectConfig = {
      ...(parsed.store !== undefined && { store: path(parsed.store)! }),
      ...(parsed.dags !== undefined && { dags: path(parsed.dags)! }),
      ...(parsed.remoteLogFolder !== undefined && { remoteLogFolder: parsed.remoteLogFolder }),
      ...(parsed.checkpointDir !== undefined && { checkpointDir: path(parsed.checkpointDir)! }),
      ...(parsed.deadLetterDir !== undefined && { deadLetterDir: path(parsed.deadLetterDir)! }),
      ...(parsed.workers !== undefined && { workers: parsed.workers }),
      ...(parsed.memory !== undefined && { memoryBytes: parseSize(parsed.memory, `${file}: memory`) }),
      ...(parsed.serverUrl !== undefined && { serverUrl: parsed.serverUrl }),
    };
    Object.assign(values, fromFile);
    for (const key of Object.keys(fromFile) as ProjectConfigKey[]) sources[key] = file;
  }
  for (const [key, names] of Object.entries(PROJECT_CONFIG_ENV) as Array<[ProjectConfigKey, readonly string[]]>) {
    const name = names.find((n) => o.env[n] !== undefined && o.env[n] !== '');
    if (name === undefined) continue;
    const text = o.env[name]!;
    if (key === 'workers') values.workers = parseCount(text, name);
    else if (key === 'memoryBytes') values.memoryBytes = parseSize(text, name);
    else if (key === 'serverUrl') values.serverUrl = checkUrl(text, name);
    else values[key] = text; // a path from the environment is relative to the working directory, as a flag's
    sources[key] = `$${name}`;
  }
  return { values, file, sources };
}

/** A whole number of workers ≥ 1 from text (a flag or a variable named `what`). */
export function parseCount(text: string, what: string): number {
  const n = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > 1024) throw new ConfigError(`${what} must be a whole number from 1 to 1024, got '${text}'`, { hint: 'e.g. 4; the default is the runner\'s' });
  return n;
}

function checkUrl(text: string, what: string): string {
  if (!z.url({ protocol: /^https?$/ }).safeParse(text).success) throw new ConfigError(`${what} must be an http(s) URL, got '${text}'`, { hint: 'e.g. http://localhost:8080' });
  return text;
}

async function readProjectFile(file: string): Promise<z.output<typeof projectConfigSchema>> {
  let doc: ConfigDocument;
  if (/\.[cm]?ts$/i.test(file)) {
    if (!existsSync(file)) throw new ConfigError(`${file}: cannot read: no such file`, { hint: 'check the path given to --config' });
    // The model's loader of user modules: tsx is registered only now, and only if Riffle runs compiled.
    const mod = (await importUserModule(file)) as { default?: unknown };
    // Outside a `"type": "module"` package the file loads as CommonJS: its `export default` is then `default.default`.
    const value = mod.default !== null && typeof mod.default === 'object' && Object.keys(mod.default).join() === 'default' ? (mod.default as { default: unknown }).default : mod.default;
    doc = configFromValue(value, file);
  } else {
    doc = readConfigFile(file);
  }
  const check = new ConfigCheck(doc);
  const parsed = check.validate(projectConfigSchema);
  check.finish({ hint: `the keys of ${PROJECT_CONFIG_FILES[0]} are: ${Object.keys(projectConfigSchema.shape).join(', ')}` });
  return parsed!;
}
