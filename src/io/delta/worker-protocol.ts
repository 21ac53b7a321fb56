/**
 * Messages between a sink (the pipeline thread) and its table worker (table-worker.ts). Rows travel by structured
 * clone, which keeps bigints and Dates.
 */
import type { Row } from '../../lakehouse/index.ts';
import type { CheckedColumn } from './row-checker.ts';

/** How a sink writes: append rows, replace the table's content, or upsert on key columns. */
export type DeltaWriteMode = 'append' | 'overwrite' | 'merge';

/** Opens a commit session. */
export interface BeginRequest {
  readonly op: 'begin';
  readonly session: string;
  readonly path: string;
  readonly mode: DeltaWriteMode;
  readonly appId: string;
  /** The txn version of this commit (skipped when the table holds appId at this version or later). */
  readonly txnVersion: number;
  /** Creates the table with these columns when it does not exist. */
  readonly create: { readonly columns: readonly CheckedColumn[]; readonly partitionBy: readonly string[]; readonly properties: Readonly<Record<string, string>> } | undefined;
  readonly mergeOn: readonly string[] | undefined;
  /** Add columns the rows hold and the table lacks (mergeSchema, or a table this sink created from inferred types). */
  readonly evolveSchema: boolean;
  /** commitInfo.operation: 'WRITE' (batch) or 'STREAMING UPDATE' (a pane). */
  readonly operation: 'WRITE' | 'STREAMING UPDATE';
}

/** Stages validated rows; `columns` is every column the rows may hold. */
export interface StageRequest {
  readonly op: 'stage';
  readonly session: string;
  readonly rows: Row[];
  readonly columns: readonly CheckedColumn[];
}

/** Commits a session. */
export interface CommitRequest {
  readonly op: 'commit';
  readonly session: string;
}

/** Abandons a session, deleting its staged files. */
export interface SessionRequest {
  readonly op: 'abort';
  readonly session: string;
}

export type WorkerRequest = BeginRequest | StageRequest | CommitRequest | SessionRequest;

/** What `begin` found. */
export interface BeginResult {
  /** The commit was already made (the table holds txn appId at txnVersion or later): nothing will be written. */
  readonly skipped: boolean;
  readonly txnVersion: number;
  readonly tableVersion: number;
  readonly committedTxnVersion: number | null;
}

/** What `commit` did. */
export interface CommitResult {
  readonly skipped: boolean;
  /** False for a skipped commit, and for a merge that changed nothing. */
  readonly committed: boolean;
  readonly version: number | null;
  readonly rows: number;
  readonly files: number;
  readonly txnVersion: number;
  readonly metrics?: Readonly<Record<string, number>>;
}

export type WorkerResponse =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: { readonly name: string; readonly message: string; readonly code?: string; readonly stack?: string } };
