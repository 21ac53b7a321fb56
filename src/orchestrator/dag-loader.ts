/**
 * Finds DAGs: imports every module of a folder and collects the DAGs they export (a DAG, or an array of DAGs for
 * DAGs generated from config). A module that fails to import, or whose DAG has a cycle, is reported with its file
 * and does not stop the others.
 * @example
 *   const { dags, errors } = await loadDagFolder('examples/dags');
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { importUserModule } from '../model/index.ts';
import { isDag, type Dag } from './dag.ts';

export interface DagFileError {
  file: string;
  error: string;
}

export interface LoadedDags {
  dags: Map<string, Dag>;
  errors: DagFileError[];
}

const MODULE = /\.(ts|mts|js|mjs)$/;

/** The module files of a folder, recursively, sorted (tests, declarations and node_modules excluded); a file is itself. */
export function dagFiles(folder: string): string[] {
  if (statSync(folder).isFile()) return [resolve(folder)];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (MODULE.test(name) && !/\.(test|spec)\.[mc]?[jt]s$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
    }
  };
  walk(resolve(folder));
  return out;
}

/** Imports one module and returns its DAGs, validated; throws on import errors and cycles. */
export async function loadDagFile(file: string): Promise<Dag[]> {
  const absolute = resolve(file);
  const mod = await importUserModule(absolute);
  const dags: Dag[] = [];
  for (const value of Object.values(mod)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (isDag(v) && !dags.includes(v)) dags.push(v);
    }
  }
  for (const d of dags) {
    d.validate();
    d.fileloc = absolute;
  }
  return dags;
}

/** Loads every DAG of a folder; errors are collected per file. */
export async function loadDagFolder(folder: string): Promise<LoadedDags> {
  const dags = new Map<string, Dag>();
  const errors: DagFileError[] = [];
  let files: string[];
  try {
    files = dagFiles(folder);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : e instanceof Error ? e.message : String(e);
    return { dags, errors: [{ file: folder, error: `cannot read the DAG folder (${why}); pass --dags <folder of DAG files>` }] };
  }
  for (const file of files) {
    try {
      for (const d of await loadDagFile(file)) {
        const other = dags.get(d.id);
        if (other) throw new Error(`dag id '${d.id}' is already defined in ${other.fileloc}`);
        dags.set(d.id, d);
      }
    } catch (e) {
      errors.push({ file, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return { dags, errors };
}
