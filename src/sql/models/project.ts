/**
 * Loading a model project folder: the project file (`riffle_project.yml`, else `dbt_project.yml`: the same format,
 * so a dbt project runs as it is), `profiles.yml` (the DuckDB database file of each target), models (`*.sql`),
 * seeds (`*.csv`), macros, singular tests (`tests/*.sql`) and property files (`*.yml`). Every file is validated
 * before any SQL runs; mistakes name the file, the line and the key.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { ConfigCheck, readConfigFile, type ConfigPath } from '../../config/index.ts';
import { ModelsError } from './models-error.ts';
import {
  modelConfigSchema, modelConfigShape, profilesFileSchema, projectFileSchema, propertiesFileSchema, seedConfigSchema, seedConfigShape,
  testConfigShape, type ModelProps, type ProfilesFile, type ProjectFile, type PropertiesFile, type SourceProps,
} from './project-schema.ts';

/** The project files Riffle looks for, in order. */
export const PROJECT_FILES = ['riffle_project.yml', 'dbt_project.yml'] as const;

/** A file of the project: its path relative to the project folder (with `/`) and its text. */
export interface ProjectSource {
  readonly file: string;
  readonly absolute: string;
  readonly text: string;
}

/** A property file's entry with the file it came from (for messages). */
export interface Located<T> {
  readonly value: T;
  readonly file: string;
  readonly path: ConfigPath;
}

/** The DuckDB target a run writes into. */
export interface Target {
  readonly name: string;
  /** Absolute path of the database file. */
  readonly database: string;
  readonly schema: 'main';
  readonly threads?: number;
}

/** A loaded, validated project (no template rendered yet). */
export interface Project {
  readonly dir: string;
  readonly projectFile: string;
  readonly name: string;
  readonly file: ProjectFile;
  readonly vars: Readonly<Record<string, unknown>>;
  readonly target: Target;
  readonly targetPath: string;
  readonly models: readonly ProjectSource[];
  readonly seeds: readonly ProjectSource[];
  readonly macros: readonly ProjectSource[];
  readonly singularTests: readonly ProjectSource[];
  readonly modelProps: ReadonlyMap<string, Located<ModelProps>>;
  readonly seedProps: ReadonlyMap<string, Located<ModelProps>>;
  readonly sources: readonly Located<SourceProps>[];
  /** Configs of the project file's `models:`/`seeds:`/`data_tests:` trees: folder path ('' for all) → config. */
  readonly folderConfigs: { readonly models: FolderConfigs; readonly seeds: FolderConfigs; readonly tests: FolderConfigs };
}

/** Folder path (relative to the resource's root folder, `/`-separated, '' for the root) → config keys given there. */
export type FolderConfigs = ReadonlyMap<string, Readonly<Record<string, unknown>>>;

/** Options of loading. */
export interface LoadProjectOptions {
  /** A target of profiles.yml (default: the profile's `target`, else `dev`). */
  readonly target?: string;
  /** `--vars`: override the project file's vars. */
  readonly vars?: Readonly<Record<string, unknown>>;
}

/** Loads and validates a project folder. */
export function loadProject(dir: string, options: LoadProjectOptions = {}): Project {
  const root = resolve(dir);
  const projectFile = PROJECT_FILES.map((f) => join(root, f)).find((f) => existsSync(f));
  if (projectFile === undefined) {
    throw new ModelsError('MODELS_PROJECT', `no project file in ${root}: expected ${PROJECT_FILES.join(' or ')}`, { hint: 'pass --project-dir <folder of the project>, or create riffle_project.yml with at least `name: my_project`' });
  }
  const check = new ConfigCheck(readConfigFile(projectFile));
  const file = check.validate(projectFileSchema);
  check.finish();
  const pf = file as ProjectFile;
  const folderConfigs = {
    models: folderTree(check, pf.models, ['models'], pf.name, modelConfigShape),
    seeds: folderTree(check, pf.seeds, ['seeds'], pf.name, seedConfigShape),
    tests: folderTree(check, pf.data_tests ?? pf.tests, [pf.data_tests ? 'data_tests' : 'tests'], pf.name, testConfigShape),
  };
  check.finish();
  const list = (paths: string[] | undefined, dflt: string, ext: string) => (paths ?? [dflt]).flatMap((p) => listFiles(root, p, ext));
  const models = list(pf['model-paths'], 'models', '.sql');
  const seeds = list(pf['seed-paths'], 'seeds', '.csv');
  const macros = list(pf['macro-paths'], 'macros', '.sql');
  const singularTests = list(pf['test-paths'], 'tests', '.sql');
  const propertyFiles = [...(pf['model-paths'] ?? ['models']), ...(pf['seed-paths'] ?? ['seeds']), ...(pf['macro-paths'] ?? ['macros'])]
    .flatMap((p) => [...listFiles(root, p, '.yml', false), ...listFiles(root, p, '.yaml', false)]);
  const modelProps = new Map<string, Located<ModelProps>>();
  const seedProps = new Map<string, Located<ModelProps>>();
  const sources: Located<SourceProps>[] = [];
  for (const pfile of propertyFiles) {
    const c = new ConfigCheck(readConfigFile(pfile.absolute));
    const props = c.validate(propertiesFileSchema) as PropertiesFile | undefined;
    if (props) {
      const put = (map: Map<string, Located<ModelProps>>, entries: ModelProps[] | undefined, key: 'models' | 'seeds', schema: z.ZodType) => {
        entries?.forEach((m, i) => {
          const other = map.get(m.name);
          if (other) c.report([key, i, 'name'], `${key.slice(0, -1)} '${m.name}' is already described in ${other.file}`);
          if (m.config) c.validate(schema, m.config, [key, i, 'config']);
          map.set(m.name, { value: m, file: pfile.file, path: [key, i] });
        });
      };
      put(modelProps, props.models, 'models', modelConfigSchema);
      put(seedProps, props.seeds, 'seeds', seedConfigSchema);
      props.sources?.forEach((s, i) => sources.push({ value: s, file: pfile.file, path: ['sources', i] }));
    }
    c.finish();
  }
  const vars = { ...(pf.vars ?? {}), ...(options.vars ?? {}) };
  const target = loadTarget(root, pf, options.target);
  return { dir: root, projectFile, name: pf.name, file: pf, vars, target, targetPath: join(root, pf['target-path'] ?? 'target'), models, seeds, macros, singularTests, modelProps, seedProps, sources, folderConfigs };
}

/** The target: profiles.yml in the project folder (dbt's format, type duckdb), else `target/<name>.duckdb`. */
function loadTarget(root: string, pf: ProjectFile, asked: string | undefined): Target {
  const profilesPath = join(root, 'profiles.yml');
  if (!existsSync(profilesPath)) {
    const name = asked ?? 'dev';
    return { name, database: join(root, pf['target-path'] ?? 'target', `${name}.duckdb`), schema: 'main' };
  }
  const check = new ConfigCheck(readConfigFile(profilesPath));
  const profiles = check.validate(profilesFileSchema) as ProfilesFile | undefined;
  const profileName = pf.profile ?? pf.name;
  const profile = profiles?.[profileName];
  if (profiles && !profile) check.report([], `no profile '${profileName}' (the project's \`profile\`); profiles here: ${Object.keys(profiles).join(', ') || 'none'}`);
  check.finish();
  const p = profile as NonNullable<typeof profile>;
  const name = asked ?? p.target ?? 'dev';
  const out = p.outputs[name];
  if (!out) throw new ModelsError('MODELS_PROJECT', `${relative(process.cwd(), profilesPath) || profilesPath}: profile '${profileName}' has no target '${name}' (targets: ${Object.keys(p.outputs).join(', ')})`, { hint: `pass --target ${Object.keys(p.outputs)[0] ?? 'dev'}` });
  const database = resolve(root, out.path ?? join(pf['target-path'] ?? 'target', `${name}.duckdb`));
  return { name, database, schema: 'main', ...(out.threads !== undefined ? { threads: out.threads } : {}) };
}

/**
 * Walks a project-file tree (`models: { my_project: { staging: { +materialized: view } } }`): a key that is a config
 * key (with or without `+`) is config for that folder, a mapping under another key is a folder. The first level is
 * the project name (or `+config` for every resource).
 */
function folderTree(check: ConfigCheck, tree: Record<string, unknown> | undefined, at: ConfigPath, project: string, shape: Record<string, z.ZodType>): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  if (!tree) return out;
  const walk = (node: Record<string, unknown>, path: ConfigPath, folder: string[]) => {
    const config: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      const bare = key.startsWith('+') ? key.slice(1) : key;
      if (bare in shape && (key.startsWith('+') || value === null || typeof value !== 'object' || Array.isArray(value) || bare === 'meta' || bare === 'docs' || bare === 'column_types')) {
        // Each key checked where it stands (the issue points at `+materialized`, not at a key the file does not have).
        check.validate(shape[bare], value, [...path, key]);
        config[bare] = value;
      } else if (key.startsWith('+')) {
        check.report([...path, key], `unknown config key \`${key}\`${didYouMeanKey(bare, Object.keys(shape))}`, { key: true });
      } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        walk(value as Record<string, unknown>, [...path, key], [...folder, key]);
      } else {
        check.report([...path, key], `\`${key}\` is neither a config key (${Object.keys(shape).join(', ')}) nor a folder (a mapping)${didYouMeanKey(bare, Object.keys(shape))}`, { key: true });
      }
    }
    if (Object.keys(config).length > 0) out.set(folder.join('/'), config);
  };
  const top: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(tree)) {
    if (key === project && value !== null && typeof value === 'object' && !Array.isArray(value)) walk(value as Record<string, unknown>, [...at, key], []);
    else top[key] = value;
  }
  if (Object.keys(top).length > 0) {
    for (const key of Object.keys(top)) {
      const bare = key.startsWith('+') ? key.slice(1) : key;
      if (!(bare in shape)) check.report([...at, key], `\`${key}\` is not this project's name ('${project}') nor a config key${didYouMeanKey(key, [project, ...Object.keys(shape).map((k) => `+${k}`)])}`, { key: true });
    }
    const config = Object.fromEntries(Object.entries(top).filter(([k]) => (k.startsWith('+') ? k.slice(1) : k) in shape).map(([k, v]) => [k.startsWith('+') ? k.slice(1) : k, v]));
    for (const [k, v] of Object.entries(top)) {
      const bare = k.startsWith('+') ? k.slice(1) : k;
      if (bare in shape) check.validate(shape[bare], v, [...at, k]);
    }
    if (Object.keys(config).length > 0) {
      const existing = out.get('') ?? {};
      out.set('', { ...config, ...existing });
    }
  }
  return out;
}

function didYouMeanKey(word: string, keys: string[]): string {
  const best = keys.map((k) => [k, distance(word, k)] as const).filter(([, d]) => d <= Math.max(2, Math.floor(word.length / 3))).sort((a, b) => a[1] - b[1])[0];
  return best ? ` (did you mean \`${best[0]}\`?)` : '';
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

/** Files with an extension under a folder of the project, sorted; symbolic links are not followed. */
function listFiles(root: string, folder: string, ext: string, read = true): ProjectSource[] {
  const start = resolve(root, folder);
  if (!start.startsWith(root + sep) && start !== root) throw new ModelsError('MODELS_PROJECT', `the folder '${folder}' lies outside the project folder ${root}`);
  if (!existsSync(start)) return [];
  const out: ProjectSource[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.endsWith(ext)) {
        out.push({ file: relative(root, path).split(sep).join('/'), absolute: path, text: read ? readFileSync(path, 'utf8') : '' });
      }
    }
  };
  if (statSync(start).isDirectory()) walk(start);
  return out;
}
