/**
 * A validation results store on disk, laid out as Great Expectations' validations store:
 * `<store>/<suite>/<run_name>/<run_time>-<asset>.json`, one GE-shaped validation result per file, written atomically
 * (temp file + rename) so a reader never sees half a result, and never through a symbolic link. `listResults` reads
 * the history of a suite (optionally one asset), newest first.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { safeSubdir, writeFileAtomic } from '../model/index.ts';
import { SuiteError } from './quality-error.ts';
import type { ValidationResult, ValidationStatistics } from './result.ts';

/** A run's identity, as GE's RunIdentifier: a name and a time (ISO-8601). */
export interface RunId {
  readonly run_name: string;
  readonly run_time: string;
}

/** One stored result, as `listResults` lists it. */
export interface StoredResultEntry {
  readonly suite: string;
  readonly run_name: string;
  readonly run_time: string;
  readonly asset: string;
  readonly success: boolean;
  readonly statistics: ValidationStatistics;
  readonly row_count: number;
  /** The file, relative to the store. */
  readonly path: string;
}

/** A file-name-safe form of a name: letters, digits, '.', '_', '-' kept, the rest '_'. */
export function safeName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_');
  return s === '' ? '_' : s.slice(0, 120);
}

/** A run time as it appears in file names: `20240501T120000.123Z` (sorts as time, no ':' in names). */
export function runTimeKey(runTime: string): string {
  const d = new Date(runTime);
  if (Number.isNaN(d.getTime())) throw new SuiteError(`run_time ${JSON.stringify(runTime)} is not an ISO-8601 time`);
  return d.toISOString().replace(/[-:]/g, '');
}

/** Where a result is stored, relative to the store. */
export function resultPath(suite: string, runId: RunId, asset: string): string {
  return join(safeName(suite), safeName(runId.run_name), `${runTimeKey(runId.run_time)}-${safeName(asset)}.json`);
}

/** Stores a validation result; returns its path relative to the store. */
export function storeResult(store: string, result: ValidationResult, runId: RunId, asset: string): string {
  const rel = resultPath(result.meta.expectation_suite_name, runId, asset);
  const abs = join(store, rel);
  // Never through a planted link: each directory under the store is checked, the temp file created exclusively.
  mkdirSync(store, { recursive: true });
  safeSubdir(store, safeName(result.meta.expectation_suite_name), safeName(runId.run_name));
  const stored: ValidationResult = { ...result, meta: { ...result.meta, run_id: runId.run_name, run_name: runId.run_name, run_time: runId.run_time, data_asset_name: asset } };
  writeFileAtomic(abs, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o644 });
  return rel;
}

/** Reads one stored result (by its path relative to the store). */
export function readStoredResult(store: string, path: string): ValidationResult {
  try {
    return JSON.parse(readFileSync(join(store, path), 'utf8')) as ValidationResult;
  } catch (e) {
    throw new SuiteError(`cannot read stored result ${join(store, path)}: ${(e as Error).message}`);
  }
}

function dirs(path: string): string[] {
  try {
    return readdirSync(path, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}

/** The suites with stored results. */
export function listSuites(store: string): string[] {
  return dirs(store).sort();
}

/**
 * The stored results of a suite, newest first (by run time, then run name); `asset` keeps one asset's history.
 * @example listResults('quality/results', 'orders').slice(0, 5)
 */
export function listResults(store: string, suite: string, options: { asset?: string; limit?: number } = {}): StoredResultEntry[] {
  const suiteDir = join(store, safeName(suite));
  if (!statSync(store, { throwIfNoEntry: false })?.isDirectory()) throw new SuiteError(`no results store at ${store}`, { hint: 'run a checkpoint with a store_validation_result action first' });
  const out: StoredResultEntry[] = [];
  for (const run of dirs(suiteDir)) {
    for (const f of readdirSync(join(suiteDir, run))) {
      const m = /^(\d{8}T\d{6}\.\d{3}Z)-(.+)\.json$/.exec(f);
      if (!m) continue;
      if (options.asset !== undefined && m[2] !== safeName(options.asset)) continue;
      const rel = join(safeName(suite), run, f);
      const r = readStoredResult(store, rel);
      out.push({
        suite: r.meta.expectation_suite_name,
        run_name: typeof r.meta.run_name === 'string' ? r.meta.run_name : run,
        run_time: typeof r.meta.run_time === 'string' ? r.meta.run_time : m[1]!,
        asset: typeof r.meta.data_asset_name === 'string' ? r.meta.data_asset_name : m[2]!,
        success: r.success,
        statistics: r.statistics,
        row_count: r.meta.row_count,
        path: rel,
      });
    }
  }
  out.sort((a, b) => (a.run_time < b.run_time ? 1 : a.run_time > b.run_time ? -1 : a.run_name < b.run_name ? 1 : a.run_name > b.run_name ? -1 : 0));
  return options.limit === undefined ? out : out.slice(0, options.limit);
}
