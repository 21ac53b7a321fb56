/**
 * VACUUM: delete the files of the table directory that no version within the retention period needs — data files
 * removed longer ago than the retention (by `remove.deletionTimestamp`), files crashed writers left unreferenced,
 * and `_change_data` files — never `_delta_log`, never a file of the latest snapshot or removed within the retention.
 *
 * Strategy: 1. retention = `retentionHours`, default `delta.deletedFileRetentionDuration` (1 week); below that
 * default it is refused unless `enforceRetentionDuration: false` (a reader on an older snapshot, or a writer about to
 * commit a file it wrote, may still need a younger file); 2. keep = the latest snapshot's files plus tombstones
 * deleted after now − retention (the files versions within the retention still reference); 3. walk the table
 * directory, skipping `_delta_log` and hidden names (`.x`, `_x`) other than `_change_data` and partition
 * directories; 4. a file not kept whose modification time is older than now − retention is deleted (the mtime
 * guard protects files a writer is producing right now) — but only when its name is one a Delta writer gives data
 * files (`DATA_FILE_NAME`: Riffle's, Spark's and delta-rs' `part-…parquet`, change data `cdc-…parquet`, deletion
 * vectors); any other file (the user's own, in a folder that became a table) is listed in `filesSkipped` and never
 * deleted; 5. unless `dryRun`, commit `VACUUM START` (parameters and
 * numFilesToDelete/sizeOfDataToDelete), delete, commit `VACUUM END` (numDeletedFiles) — commitInfo-only commits,
 * as delta-rs writes them, and none when there is nothing to delete.
 */
import { readdir, stat, unlink } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import type { DeltaLog } from './delta-log.ts';
import { DeltaTableError } from './errors.ts';
import { DATA_FILE_NAME, resolveDataPath } from './data-path.ts';
import { deleteLocation, type ObjectStore } from '../object-store/index.ts';
import { escapePathPart } from './partition-path.ts';
import { Snapshot } from './snapshot.ts';
import { deletedFileRetentionMs } from './table-properties.ts';
import { Transaction } from './transaction.ts';

/**
 * Options of `vacuum`.
 *
 * @example
 * await table.vacuum({ retentionHours: 240, dryRun: true });
 */
export interface VacuumOptions {
  /** Default: the table's delta.deletedFileRetentionDuration (168 hours unless set). */
  readonly retentionHours?: number;
  /** Refuse a retention below the table's delete-file retention (default true). */
  readonly enforceRetentionDuration?: boolean;
  /** List what would be deleted, delete nothing, commit nothing. */
  readonly dryRun?: boolean;
}

/**
 * The outcome of a vacuum: table-relative paths (`/`-separated) of the files deleted (or, with `dryRun`, that would
 * be).
 *
 * @example
 * const { filesDeleted } = await table.vacuum({ dryRun: true });
 */
export interface VacuumResult {
  readonly filesDeleted: string[];
  /** Files no version references whose names are not data-file names: never deleted (table-relative paths). */
  readonly filesSkipped: string[];
  readonly dryRun: boolean;
}


const HOUR_MS = 3_600_000;

/** Every file under `dir` that vacuum may consider, as absolute paths. */
async function listCandidates(root: string, dir: string, partitionColumns: readonly string[], out: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  for (const entry of entries) {
    const name = entry.name;
    const top = dir === root;
    if (top && name === '_delta_log') continue;
    const hidden = name.startsWith('.') || name.startsWith('_');
    const partitionDir = entry.isDirectory() && partitionColumns.some((c) => name.startsWith(`${escapePathPart(c)}=`));
    if (hidden && !partitionDir && !(top && name === '_change_data')) continue;
    const path = join(dir, name);
    if (entry.isDirectory()) await listCandidates(root, path, partitionColumns, out);
    else if (entry.isFile()) out.push(path);
  }
}

/**
 * Every object of a table in an object store that vacuum may consider (the same rules as `listCandidates`, applied
 * to each key's segments), with the size and time the listing gives.
 */
async function listObjectCandidates(log: DeltaLog, partitionColumns: readonly string[]): Promise<Map<string, { size: number; mtimeMs: number }>> {
  const out = new Map<string, { size: number; mtimeMs: number }>();
  for (const o of await (log.store as ObjectStore).list('')) {
    const segments = o.key.split('/');
    const ok = segments.every((name, i) => {
      const top = i === 0;
      const isDir = i < segments.length - 1;
      if (top && name === '_delta_log') return false;
      const hidden = name.startsWith('.') || name.startsWith('_');
      const partitionDir = isDir && partitionColumns.some((c) => name.startsWith(`${escapePathPart(c)}=`));
      return !hidden || partitionDir || (top && isDir && name === '_change_data');
    });
    if (ok) out.set(`${log.tablePath}/${o.key}`, { size: o.size, mtimeMs: o.lastModified });
  }
  return out;
}

/**
 * Vacuums the table (see the strategy above).
 *
 * @example
 * await vacuumTable(table.log, { retentionHours: 168 });
 */
export async function vacuumTable(log: DeltaLog, options: VacuumOptions = {}, now = Date.now()): Promise<VacuumResult> {
  const snapshot = await Snapshot.load(log);
  const defaultMs = deletedFileRetentionMs(snapshot.metadata);
  const hours = options.retentionHours;
  if (hours !== undefined && !(Number.isFinite(hours) && hours >= 0)) {
    throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `vacuum: retentionHours must be a number of hours ≥ 0, got ${String(hours)}`);
  }
  const retentionMs = hours === undefined ? defaultMs : hours * HOUR_MS;
  const enforce = options.enforceRetentionDuration ?? true;
  if (enforce && retentionMs < defaultMs) {
    throw new DeltaTableError('DELTA_INVALID_ARGUMENT',
      `vacuum: a retention of ${retentionMs / HOUR_MS} hours is below the table's minimum of ${defaultMs / HOUR_MS} hours (delta.deletedFileRetentionDuration)`, {
        hint: 'younger files may still be read by time travel or by readers and writers on older snapshots; pass enforceRetentionDuration: false only if none are',
      });
  }
  const dryRun = options.dryRun ?? false;
  // Fails like a write on tables whose writer features Riffle lacks (vacuumProtocolCheck asks vacuum to check them).
  const start = new Transaction(log, snapshot);
  const horizon = now - retentionMs;
  const keep = new Set(snapshot.files.map((f) => f.absolutePath));
  for (const t of snapshot.state.tombstones.values()) {
    if ((t.deletionTimestamp ?? 0) <= horizon) continue;
    try {
      keep.add(resolveDataPath(log.tablePath, t.path, log));
    } catch {
      // A tombstone naming a file outside the table keeps nothing inside it: vacuum only walks the table.
    }
  }
  const candidates: string[] = [];
  const objects = log.store !== undefined ? await listObjectCandidates(log, snapshot.partitionColumns) : undefined;
  if (objects !== undefined) candidates.push(...objects.keys());
  else await listCandidates(log.tablePath, log.tablePath, snapshot.partitionColumns, candidates);
  const doomed: { path: string; size: number }[] = [];
  const skipped: string[] = [];
  for (const path of candidates) {
    if (keep.has(path)) continue;
    const info = objects !== undefined ? objects.get(path) : await stat(path).catch(() => undefined);
    if (!info || info.mtimeMs >= horizon) continue;
    if (!DATA_FILE_NAME.test(basename(path))) { skipped.push(path); continue; }
    doomed.push({ path, size: info.size });
  }
  const rel = (p: string): string => (objects !== undefined ? p.slice(log.tablePath.length + 1) : relative(log.tablePath, p).split(sep).join('/'));
  const filesDeleted = doomed.map((d) => rel(d.path)).sort();
  const filesSkipped = skipped.map(rel).sort();
  if (dryRun || doomed.length === 0) return { filesDeleted, filesSkipped, dryRun };
  await start.commit({
    operation: 'VACUUM START',
    operationParameters: {
      retentionCheckEnabled: String(enforce), ...(hours !== undefined ? { specifiedRetentionMillis: String(retentionMs) } : {}),
      defaultRetentionMillis: String(defaultMs),
    },
    operationMetrics: { numFilesToDelete: doomed.length, sizeOfDataToDelete: doomed.reduce((n, d) => n + d.size, 0) },
  });
  let deleted = 0;
  for (const d of doomed) {
    if (objects !== undefined) { await deleteLocation(d.path); deleted++; continue; }
    await unlink(d.path).then(() => { deleted++; }, (e: NodeJS.ErrnoException) => { if (e.code !== 'ENOENT') throw e; });
  }
  const end = new Transaction(log, await Snapshot.load(log));
  await end.commit({ operation: 'VACUUM END', operationParameters: { status: 'COMPLETED' }, operationMetrics: { numDeletedFiles: deleted, numVacuumedDirectories: 0 } });
  return { filesDeleted, filesSkipped, dryRun };
}
