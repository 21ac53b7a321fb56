/**
 * The metadata store as `riffle dag` and `riffle scheduler` reach it: where it is (`--store`, else the project's
 * default, else .riffle/orchestrator), opened read-only for queries (they work while a scheduler runs) or for writing
 * (undefined while a scheduler holds a journal store: commands then go to its inbox), and the lookups of runs and DAGs
 * that turn "not found" into usage errors (exit 2).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  JournalStore, loadDagFolder, openMetadataStore, parseDateIn, parseStoreSpec, requireRun, withRemoteLogs,
  type Dag, type RemoteLogFolder, type DagFileError, type DagRunRecord, type MetadataStore, type StoreSpec,
} from '../orchestrator/index.ts';
import { isRiffleError, UsageError } from './cli-error.ts';
import type { CliIO } from './cli-io.ts';

/** What a dag command works on. */
export interface DagCtx {
  /** The DAG folder (or file). */
  readonly folder: string;
  readonly store: StoreSpec;
  /** The journal store's directory ('' for PostgreSQL). */
  readonly storeDir: string;
  readonly json: boolean;
  readonly io: CliIO;
  /** Where ended attempts' logs are uploaded and read back from (project setting remoteLogFolder). */
  readonly remoteLogs?: RemoteLogFolder;
}

export const DEFAULT_STORE = '.riffle/orchestrator';

/** Reads the store location; a malformed URL is a usage error, reported before any work. */
export function storeSpecOf(arg: string): StoreSpec {
  try {
    return parseStoreSpec(arg);
  } catch (e) {
    if (isRiffleError(e) && e.code === 'STORE_URL_INVALID') throw new UsageError(`--store: ${e.message}`);
    throw e;
  }
}

/** Whether there is a store to read (a PostgreSQL store always is: its schema is made on open). */
export function storeExists(ctx: DagCtx): boolean {
  return ctx.store.kind === 'postgres' || existsSync(ctx.storeDir);
}

/** Where task processes find the store (an absolute directory, or the URL). */
export function storeLocation(spec: StoreSpec): string {
  return spec.kind === 'journal' ? resolve(spec.dir) : `${spec.connectionString}${spec.connectionString.includes('?') ? '&' : '?'}schema=${spec.schema}`;
}

/** Where the store is, for messages (no password). */
export function storeName(spec: StoreSpec): string {
  return spec.kind === 'journal' ? spec.dir : `postgres://${spec.user}@${spec.host}:${spec.port}/${spec.database} (schema ${spec.schema})`;
}

export function reportFileErrors(errors: readonly DagFileError[], io: CliIO): void {
  for (const e of errors) io.err(`warning: ${e.file}: ${e.error.split('\n')[0]}`);
}

export async function loadDag(ctx: DagCtx, dagId: string, fileErrors: DagFileError[] = []): Promise<Dag> {
  const { dags, errors } = await loadDagFolder(ctx.folder);
  reportFileErrors(errors, ctx.io);
  fileErrors.push(...errors);
  const dag = dags.get(dagId);
  if (!dag) {
    throw new UsageError(`no dag '${dagId}' in ${ctx.folder}`, { hint: `dags found: ${[...dags.keys()].join(', ') || 'none'}${errors.length > 0 ? ` (${errors.length} file(s) failed to load, see above)` : ''}; --dags <folder> picks the folder` });
  }
  return dag;
}

/** Where the store's warnings go (a torn last journal record cut on open). */
export const warnTo = (io: CliIO) => (message: string) => io.err(`warning: ${message}`);

/** Opens the store read-only (queries work while a scheduler holds it). */
export async function readStore(ctx: DagCtx): Promise<MetadataStore> {
  if (ctx.store.kind === 'postgres') return withRemoteLogs(await openMetadataStore(ctx.store), ctx.remoteLogs);
  if (!existsSync(ctx.storeDir)) {
    throw new UsageError(`no metadata store at ${ctx.storeDir}`, { hint: "run 'riffle scheduler --dags <folder>' (or trigger a run) to create it, or pass --store <path>" });
  }
  return withRemoteLogs(await JournalStore.open({ dir: ctx.storeDir, readOnly: true, onWarning: warnTo(ctx.io) }), ctx.remoteLogs);
}

/** Opens the store for writing; undefined while a scheduler holds it (a PostgreSQL store is never held). */
export async function writeStore(ctx: DagCtx): Promise<MetadataStore | undefined> {
  if (ctx.store.kind === 'postgres') return openMetadataStore(ctx.store);
  try {
    return await JournalStore.open({ dir: ctx.storeDir, onWarning: warnTo(ctx.io) });
  } catch (e) {
    if (isRiffleError(e) && e.code === 'STORE_LOCKED') return undefined;
    throw e;
  }
}

export async function withStore<T>(open: Promise<MetadataStore>, fn: (store: MetadataStore) => Promise<T>): Promise<T> {
  const store = await open;
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Unknown DAG, run or task are usage errors (exit 2); other scheduler refusals are failures (exit 1). */
export function asUsage(e: unknown): never {
  if (isRiffleError(e) && ['DAG_NOT_FOUND', 'RUN_NOT_FOUND'].includes(e.code)) throw new UsageError(e.message);
  if (e instanceof Error && e.name === 'DagDefinitionError' && /has no task/.test(e.message)) throw new UsageError(e.message);
  throw e;
}

/** A run given by id, or by its logical date. */
export async function resolveRun(store: MetadataStore, dagId: string, arg: string): Promise<DagRunRecord> {
  const byId = await store.getDagRun(dagId, arg);
  if (byId) return byId;
  if (/^\d{4}-\d\d-\d\d/.test(arg)) {
    const tz = (await store.getDag(dagId))?.timezone ?? 'UTC';
    let t: number | undefined;
    try {
      t = parseDateIn(arg, tz);
    } catch {
      t = undefined;
    }
    const match = t === undefined ? undefined : (await store.listDagRuns({ dagId })).find((r) => r.logicalDate === t);
    if (match) return match;
  }
  return requireRun(store, dagId, arg).catch(asUsage);
}

export async function requireKnownDag(store: MetadataStore, dagId: string): Promise<void> {
  if (await store.getDag(dagId)) return;
  if ((await store.listDagRuns({ dagId })).length > 0) return;
  const known = (await store.listDags()).map((d) => d.dagId);
  throw new UsageError(`the metadata store has no dag '${dagId}'`, { hint: `dags in the store: ${known.join(', ') || 'none'} (a scheduler records the dags of its folder)` });
}
