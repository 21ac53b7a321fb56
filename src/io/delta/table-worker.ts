/**
 * The worker thread behind `SyncTableClient`: runs the (asynchronous) Delta table operations of a sink — open or
 * create the table, stage data files in a transaction, commit it with a `txn` action, MERGE — while the pipeline's
 * thread waits synchronously for each answer (pipeline steps are synchronous; see sync-table-client.ts).
 *
 * A session is one commit: `begin` resolves the txn version and opens the transaction (or finds the commit already
 * done: `skipped`), `stage` writes rows as data files (merge: keeps them), `commit` commits, `abort` deletes the
 * files staged so far.
 */
import { unlink } from 'node:fs/promises';
import { workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import {
  DeltaTable, DeltaTableError, resolveDataPath, type AddAction, type Row, type Snapshot, type Transaction,
} from '../../lakehouse/index.ts';
import { evolve, mergeRows } from './delta-commit.ts';
import type { CheckedColumn } from './row-checker.ts';
import type { BeginRequest, BeginResult, CommitRequest, CommitResult, SessionRequest, StageRequest, WorkerRequest, WorkerResponse } from './worker-protocol.ts';

interface Session {
  readonly table: DeltaTable;
  readonly request: BeginRequest;
  readonly txnVersion: number;
  readonly skipped: boolean;
  tx: Transaction | undefined;
  /** Merge mode: the source rows, merged at commit. */
  mergeRows: Row[];
  adds: AddAction[];
  rows: number;
  /** Columns the rows may hold beyond the table's (schema evolution). */
  columns: readonly CheckedColumn[];
}

const sessions = new Map<string, Session>();

async function begin(r: BeginRequest): Promise<BeginResult> {
  const table = await openOrCreate(r);
  const snapshot = await table.snapshot();
  const done = snapshot.appTransactions.get(r.appId)?.version;
  const txnVersion = r.txnVersion;
  const skipped = done !== undefined && done >= txnVersion;
  const session: Session = { table, request: r, txnVersion, skipped, tx: undefined, mergeRows: [], adds: [], rows: 0, columns: [] };
  if (!skipped && r.mode !== 'merge') {
    session.tx = await table.startTransaction();
    if (r.mode === 'overwrite') session.tx.readTable();
  }
  sessions.set(r.session, session);
  return { skipped, txnVersion, tableVersion: snapshot.version, committedTxnVersion: done ?? null };
}

async function openOrCreate(r: BeginRequest): Promise<DeltaTable> {
  try {
    return await DeltaTable.open(r.path);
  } catch (e) {
    if (!(e instanceof DeltaTableError && e.code === 'DELTA_TABLE_NOT_FOUND') || r.create === undefined) throw e;
  }
  const schema = Object.fromEntries(r.create.columns.map((c) => [c.name, { type: c.type as 'string', nullable: c.nullable }]));
  try {
    return await DeltaTable.create(r.path, { schema, partitionBy: r.create.partitionBy, properties: r.create.properties });
  } catch (e) {
    // Another writer created it first: write to theirs (its schema then judges the rows).
    if (e instanceof DeltaTableError && e.code === 'DELTA_TABLE_EXISTS') return DeltaTable.open(r.path);
    throw e;
  }
}

function session(id: string): Session {
  const s = sessions.get(id);
  if (!s) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `io.delta: no open write session '${id}' (internal)`);
  return s;
}

async function stage(r: StageRequest): Promise<number> {
  const s = session(r.session);
  if (s.skipped) return 0;
  s.columns = r.columns;
  s.rows += r.rows.length;
  if (s.request.mode === 'merge') {
    for (const row of r.rows) s.mergeRows.push(row);
    return 0;
  }
  const tx = s.tx as Transaction;
  if (s.request.evolveSchema) evolve(tx, tx.snapshot as Snapshot, r.columns);
  const adds = await tx.writeRows(r.rows);
  for (const a of adds) s.adds.push(a);
  return adds.length;
}

async function commit(r: CommitRequest): Promise<CommitResult> {
  const s = session(r.session);
  sessions.delete(r.session);
  const { appId, mode, operation } = s.request;
  if (s.skipped) return { skipped: true, committed: false, version: null, rows: 0, files: 0, txnVersion: s.txnVersion };
  if (mode === 'merge') return merge(s);
  const tx = s.tx as Transaction;
  const snapshot = tx.snapshot as Snapshot;
  if (s.request.evolveSchema) evolve(tx, snapshot, s.columns);
  if (mode === 'overwrite') for (const f of snapshot.files) tx.removeFile(f);
  tx.setAppTransaction(appId, s.txnVersion);
  const parameters = operation === 'STREAMING UPDATE'
    ? { outputMode: mode === 'overwrite' ? 'Complete' : 'Append', queryId: appId, epochId: String(s.txnVersion) }
    : { mode: mode === 'overwrite' ? 'Overwrite' : 'Append', partitionBy: JSON.stringify(snapshot.partitionColumns) };
  const { version } = await tx.commit({ operation, operationParameters: parameters, operationMetrics: { numFiles: s.adds.length, numOutputRows: s.rows } });
  return { skipped: false, committed: true, version, rows: s.rows, files: s.adds.length, txnVersion: s.txnVersion };
}

/** Merge mode: the upsert of delta-commit.ts (skipped already decided by `begin`). */
function merge(s: Session): Promise<CommitResult> {
  const { appId, mergeOn, evolveSchema } = s.request;
  return mergeRows(s.table, { appId, txnVersion: s.txnVersion, mergeOn: mergeOn ?? [], rows: s.mergeRows, columns: s.columns, evolveSchema });
}

async function abort(r: SessionRequest): Promise<void> {
  const s = sessions.get(r.session);
  sessions.delete(r.session);
  if (!s) return;
  // Uncommitted files are invisible orphans; removing them now saves vacuum the work.
  // resolveDataPath: a staged path that would leave the table is never unlinked (it throws, and the catch skips it).
  await Promise.all(s.adds.map(async (a) => unlink(resolveDataPath(s.table.path, a.path)).catch(() => undefined)));
}

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.op) {
    case 'begin': return begin(request);
    case 'stage': return stage(request);
    case 'commit': return commit(request);
    case 'abort': return abort(request);
  }
}

const { port, signal, heartbeat } = workerData as { port: MessagePort; signal: Int32Array; heartbeat: Int32Array };

function reply(response: WorkerResponse): void {
  port.postMessage(response);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
}

// The waiting thread checks this counter to tell a slow operation from a dead worker.
setInterval(() => Atomics.add(heartbeat, 0, 1), 250).unref();

port.on('message', (request: WorkerRequest & { id: number }) => {
  handle(request).then(
    (value) => reply({ id: request.id, ok: true, value }),
    (e: unknown) => {
      const err = e as { name?: string; message?: string; code?: string; stack?: string };
      reply({ id: request.id, ok: false, error: { name: err?.name ?? 'Error', message: err?.message ?? String(e), code: err?.code, stack: err?.stack } });
    },
  );
});
port.postMessage({ ready: true });
