/**
 * The sinks of `io.delta.write` (see the strategy in write-delta.ts): row checking, staging data files, the batch
 * committer and the per-pane committer, with what they share during a run.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  ConfigError, GlobalWindow, RiffleError, type BoundedWindow, type Instant, type KV, type PaneInfo, type Sink, type SinkOutput,
} from '../../model/index.ts';
import { parDo } from '../../transforms/index.ts';
import type { AddAction, Row } from '../../lakehouse/index.ts';
import { windowLabel } from '../files/index.ts';
import { commitChunks, type CommitResult, type CommitTarget, type StagedChunk } from './delta-commit.ts';
import { lakehouse } from './lakehouse-module.ts';
import { type CheckedColumn, RowChecker } from './row-checker.ts';
import { DeltaSinkError } from './delta-sink-error.ts';
import { type DeltaCommit, type DeltaWriteOptions, type Spec, validate } from './write-options.ts';

/** A row that does not fit the table (its reason goes to the error record). */
class RowRejectedError extends RiffleError {
  constructor(reason: string) {
    super('DELTA_SCHEMA_MISMATCH', reason, { domain: 'user' });
  }
}

/** What the steps of one sink share during a run, on one worker (each worker has its own). */
export interface RunState {
  /** Loaded in setup: batches are told from rows by apache-arrow's RecordBatch class, and turned into rows. */
  lakehouse?: typeof import('../../lakehouse/index.ts');
  arrow?: typeof import('apache-arrow');
  checker: RowChecker | undefined;
  /** Whether the rows may add columns (mergeSchema, or columns inferred for a table this sink creates). */
  evolve: boolean;
  /** The table's columns, or the schema option's for a table to create. */
  baseColumns: readonly CheckedColumn[];
  /** The table's partition columns, or partitionBy for a table to create; and its statistics setting. */
  partitionColumns: readonly string[];
  numIndexedCols: number;
  paneSeq: number;
  appId: string;
  warned: boolean;
  /** Batch: the commit in flight on this worker (a failing job's staging writers wait for it before cleaning up). */
  committing: Promise<unknown> | undefined;
}

export function newRunState(): RunState {
  return { checker: undefined, evolve: false, baseColumns: [], partitionColumns: [], numIndexedCols: -1, paneSeq: 0, appId: '', warned: false, committing: undefined };
}

/**
 * The staging sink of a batch `io.delta.write(path, options)` on its own, for tests that drive its writer's two-phase
 * commit (open, write, prepareCommit, commit) as the checkpoint coordinator does. Not part of the public API.
 *
 * @example
 * const w = await deltaStagingSink('/lake/t').open({ step: 'w', worker: 0, workers: 1, signal });
 */
export function deltaStagingSink(path: string, options: DeltaWriteOptions = {}): Sink<Row, StagedChunk> {
  return stagingSink(validate(path, options), newRunState());
}

/** Opens the worker and reads the table's columns (or takes the schema option for a table to create). */
async function startRun(spec: Spec, run: RunState): Promise<void> {
  run.paneSeq = 0;
  run.warned = false;
  // Without an appId the run is its own application: its commits are exactly once, and a rerun appends.
  run.appId = spec.appId ?? `riffle-${randomUUID()}`;
  const { DeltaTable, DeltaTableError, numIndexedCols } = await lakehouse.load();
  let columns: readonly CheckedColumn[] | undefined;
  run.partitionColumns = spec.partitionBy ?? [];
  const indexed = Number(spec.properties['delta.dataSkippingNumIndexedCols'] ?? -1);
  run.numIndexedCols = Number.isInteger(indexed) && indexed >= -1 ? indexed : -1;
  try {
    const snapshot = await (await DeltaTable.open(spec.path)).snapshot();
    columns = snapshot.schema.fields;
    const partitions = snapshot.partitionColumns;
    run.partitionColumns = partitions;
    run.numIndexedCols = numIndexedCols(snapshot.metadata);
    if (spec.partitionBy !== undefined && spec.partitionBy.join(',') !== partitions.join(',')) {
      throw new ConfigError(`io.delta.write(${spec.path}): partitionBy [${spec.partitionBy.join(', ')}] differs from the table's partition columns [${partitions.join(', ')}]`, {
        hint: 'omit partitionBy to use the table\'s, or write to a new table',
      });
    }
    for (const k of spec.mergeOn ?? []) {
      if (!columns.some((c) => c.name === k)) throw new ConfigError(`io.delta.write(${spec.path}): mergeOn column '${k}' is not in the table (${columns.map((c) => c.name).join(', ')})`);
    }
  } catch (e) {
    if (!(e instanceof DeltaTableError && e.code === 'DELTA_TABLE_NOT_FOUND')) throw e;
  }
  const created = columns === undefined;
  run.evolve = spec.mergeSchema || (created && spec.schema === undefined);
  run.baseColumns = columns ?? spec.schema ?? [];
  run.checker = new RowChecker(run.baseColumns, { allowNewColumns: run.evolve });
}

/**
 * Whether a record batch can go to the staging writers as it is (no row objects): `columnar` (a batch write of
 * appended or replaced rows), no schema evolution, and every batch column of the table's type with every table
 * column present (`checkBatches`). Other batches take the row path, with its conversions and per-row reasons.
 */
function batchAsIs(run: RunState, batch: import('apache-arrow').RecordBatch): boolean {
  const checker = run.checker as RowChecker;
  if (run.evolve) return false;
  const fields = checker.allColumns().map((c) => ({ name: c.name, type: c.type, nullable: c.nullable, metadata: {} }));
  try {
    return run.lakehouse!.checkBatches(fields, [batch]);
  } catch {
    return false;
  }
}

/**
 * Checks rows against the table; Arrow record batches are checked as batches and passed on whole when `columnar`
 * and `batchAsIs` say so, else checked and passed on as their rows.
 */
export function checkRows<T>(spec: Spec, run: RunState, columnar = false) {
  return parDo<T, T>(
    {
      setup: async () => {
        await startRun(spec, run);
        run.lakehouse = await lakehouse.load();
        run.arrow = await run.lakehouse.loadArrow();
      },
      process(row, ctx) {
        // An Arrow record batch (io.delta.read(…, { batches: true }), mapBatches) is written as its rows.
        if (run.arrow !== undefined && row instanceof run.arrow.RecordBatch) {
          if (columnar && batchAsIs(run, row)) {
            ctx.output(row as T);
            return;
          }
          const { batchFields, batchRows } = run.lakehouse!;
          for (const r of batchRows(row, batchFields(row))) {
            const why = (run.checker as RowChecker).check(r);
            if (why !== undefined) throw new RowRejectedError(`${spec.path}: ${why} (in a record batch)`);
            ctx.output(r as T);
          }
          return;
        }
        const reason = (run.checker as RowChecker).check(row);
        if (reason !== undefined) throw new RowRejectedError(`${spec.path}: ${reason}`);
        ctx.output(row);
      },
    },
    'CheckRows',
  );
}

const END_OF_GLOBAL_WINDOW = { timestamp: GlobalWindow.INSTANCE.maxTimestamp, window: GlobalWindow.INSTANCE };

/**
 * What a staging writer's `prepareCommit` returns (stored with the checkpoint): the chunks staged since the previous
 * checkpoint, to be committed as one Delta version with `txn(appId, checkpointId)`.
 */
interface PreparedCommit {
  readonly appId: string;
  readonly checkpointId: number;
  readonly chunks: readonly StagedChunk[];
}

/**
 * The txn application id of one writer's checkpoint commits: stable across runs of the job (the `appId` option, or
 * one derived from the table and the step), one per worker (each worker's writer commits its own files).
 */
function checkpointAppId(spec: Spec, step: string, worker: number, workers: number): string {
  const base = spec.appId ?? `riffle-${createHash('sha256').update(`${spec.path}\0${step}`).digest('hex').slice(0, 16)}`;
  return `${base}:checkpoints${workers > 1 ? `:w${worker}` : ''}`;
}

/**
 * Batch, on each worker: buffers the checked rows and stages them as data files (merge mode: keeps them) every
 * `stageRows` rows. Staged chunks are handed on once, either
 * - at the end of the input (`endOfInput`): to the committer, for the job's one commit; or
 * - at a checkpoint (`prepareCommit`, checkpointed runs): the chunks staged since the previous checkpoint are returned
 *   and `commit` makes them one Delta version with `txn(checkpointAppId, checkpointId)` — idempotent, so a commit run
 *   again after a restart writes nothing twice. The chunks of the end of such a run carry `txn(checkpointAppId, last
 *   checkpoint + 1)`, so the job's final commit is recognized too when a resumed run makes it again.
 * If the job fails, the writer deletes the files it staged and did not hand on; without checkpoints also those it
 * handed to the committer — unless the table references them (the commit happened before the failure): it waits for
 * a commit in flight on its worker, then reads the table. (With checkpoints, handed-on files may belong to a
 * checkpoint that a restart restores: they stay; vacuum removes orphans.)
 */
export function stagingSink(spec: Spec, run: RunState): Sink<Row, StagedChunk> {
  return {
    describe: () => `delta(${spec.path}) staging`,
    guarantee: 'exactly-once',
    async open(ctx) {
      if (run.checker === undefined) await startRun(spec, run); // opened on its own (tests drive the writer)
      const { RecordBatch } = await (await lakehouse.load()).loadArrow();
      const appId = checkpointAppId(spec, ctx.step, ctx.worker, ctx.workers);
      let buffer: Row[] = [];
      /** Record batches CheckRows passed on whole, and their rows. */
      let batches: import('apache-arrow').RecordBatch[] = [];
      let batchRowCount = 0;
      let seq = 0;
      /** Chunks staged and not handed on yet. */
      let pending: StagedChunk[] = [];
      /** Files handed to the committer. */
      let handedOn: AddAction[] = [];
      let lastCheckpoint: number | undefined;
      /** Chunks prepared for checkpoints whose commit has not come yet: the final commit carries them too. */
      const uncommitted = new Map<number, readonly StagedChunk[]>();
      const stageBuffer = async (): Promise<void> => {
        const rows = buffer;
        const staged = batches;
        buffer = [];
        batches = [];
        batchRowCount = 0;
        // (The engine awaits a write in flight before it aborts the writer: its files are in `pending` by then.)
        if (rows.length > 0) pending.push(await stageChunk(spec, run, ctx.worker, seq++, rows));
        if (staged.length > 0) pending.push(await stageBatchChunk(spec, run, ctx.worker, seq++, staged));
      };
      return {
        write(row) {
          if (row instanceof RecordBatch) {
            batches.push(row);
            batchRowCount += row.numRows;
          } else {
            buffer.push(row);
          }
        },
        flush: () => (buffer.length + batchRowCount >= spec.stageRows ? stageBuffer() : undefined),
        endOfInput() {
          if (buffer.length === 0 && batches.length === 0 && pending.length === 0 && uncommitted.size === 0) return undefined;
          return stageBuffer().then(() => {
            const txn = lastCheckpoint === undefined ? undefined : { appId, version: lastCheckpoint + 1 };
            // A checkpoint commit that has not come yet would be skipped after the final one (its txn is lower), so the
            // final commit carries its chunks as well (files a commit already added are not added twice).
            for (const chunks of uncommitted.values()) pending.unshift(...chunks);
            uncommitted.clear();
            const out = pending.map((c) => ({ value: txn === undefined ? c : { ...c, txn }, ...END_OF_GLOBAL_WINDOW }));
            for (const c of pending) handedOn.push(...c.adds);
            pending = [];
            return out;
          });
        },
        async prepareCommit(checkpointId: number): Promise<PreparedCommit> {
          await stageBuffer();
          const prepared: PreparedCommit = { appId, checkpointId, chunks: pending };
          if (pending.length > 0) uncommitted.set(checkpointId, pending);
          pending = [];
          lastCheckpoint = checkpointId;
          return prepared;
        },
        async commit(prepared: unknown): Promise<void> {
          const p = prepared as PreparedCommit;
          lastCheckpoint = Math.max(lastCheckpoint ?? -1, p.checkpointId); // a resumed run continues after it
          uncommitted.delete(p.checkpointId);
          if (!p.chunks.some((c) => c.count > 0) && spec.mode !== 'overwrite') return;
          const base: StagedChunk = { worker: -1, seq: 0, adds: [], rows: [], count: 0, columns: run.baseColumns, untyped: [] };
          // Skipped when done already (a restored checkpoint's commit, a repeat): the normal course of a resume, no warning.
          await commitChunks(commitTarget(spec, run), { appId: p.appId, txnVersion: p.checkpointId, operation: 'STREAMING UPDATE', chunks: [base, ...p.chunks] });
        },
        async finish() {},
        async abort() {
          buffer = [];
          batches = [];
          batchRowCount = 0;
          const { DeltaTable, discardStagedFiles } = await lakehouse.load();
          const mine = pending.flatMap((c) => c.adds);
          pending = [];
          await discardStagedFiles(spec.path, mine);
          const files = lastCheckpoint === undefined ? handedOn : [];
          handedOn = [];
          if (files.length === 0) return;
          await run.committing?.catch(() => undefined);
          const live = await DeltaTable.open(spec.path).then(async (t) => new Set((await t.snapshot()).files.map((f) => f.path)), () => new Set<string>());
          if (files.some((a) => live.has(a.path))) return; // committed before the job failed
          await discardStagedFiles(spec.path, files);
        },
      };
    },
  };
}

/** Stages rows as data files of the table (merge mode: keeps the rows), with the columns this worker knows. */
async function stageChunk(spec: Spec, run: RunState, worker: number, seq: number, rows: Row[]): Promise<StagedChunk> {
  const checker = run.checker as RowChecker;
  const columns = checker.allColumns();
  const untyped = checker.untypedColumns();
  // A new column that held only nulls so far has no type yet: its (null) values stay out of the files.
  const fit = untyped.length === 0 ? rows : rows.map((r) => {
    const copy = { ...r };
    for (const u of untyped) delete copy[u];
    return copy;
  });
  const base = { worker, seq, count: rows.length, columns, untyped };
  if (spec.mode === 'merge') return { ...base, adds: [], rows: fit };
  const { stageDataFiles } = await lakehouse.load();
  const schema = { fields: columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable, metadata: {} })) };
  const adds = await stageDataFiles(spec.path, schema, run.partitionColumns, fit, { numIndexedCols: run.numIndexedCols });
  return { ...base, adds, rows: [] };
}

/** Stages record batches (checked whole by CheckRows) as data files of the table, without row objects where it can. */
async function stageBatchChunk(spec: Spec, run: RunState, worker: number, seq: number, batches: readonly import('apache-arrow').RecordBatch[]): Promise<StagedChunk> {
  const checker = run.checker as RowChecker;
  const columns = checker.allColumns();
  const { stageBatchFiles } = await lakehouse.load();
  const schema = { fields: columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable, metadata: {} })) };
  const adds = await stageBatchFiles(spec.path, schema, run.partitionColumns, batches, { numIndexedCols: run.numIndexedCols });
  return { worker, seq, count: batches.reduce((n, b) => n + b.numRows, 0), columns, untyped: checker.untypedColumns(), adds, rows: [] };
}

/**
 * Batch, on the one worker the grouping brings every chunk to: once the input is complete, commits them all as one
 * Delta version with `txn(appId, txnVersion)`. Files received and not committed are deleted if the job fails.
 */
export function commitSink(spec: Spec, run: RunState): Sink<KV<number, Array<StagedChunk | null>>, DeltaCommit> {
  return {
    describe: () => `delta(${spec.path})`,
    guarantee: 'exactly-once',
    async open() {
      let queue: Array<{ chunks: StagedChunk[]; timestamp: Instant; window: BoundedWindow }> = [];
      let received: AddAction[] = [];
      const commitAll = async (): Promise<SinkOutput<DeltaCommit>[]> => {
        const groups = queue;
        queue = [];
        const out: SinkOutput<DeltaCommit>[] = [];
        for (const { chunks, timestamp, window } of groups) {
          // Forgotten first: if the commit fails, its files may already be referenced.
          received = [];
          const committing = commitBatch(spec, run, chunks);
          run.committing = committing;
          out.push({ value: await committing, timestamp, window });
        }
        return out;
      };
      return {
        write(group, timestamp, window) {
          const chunks = group.value.filter((c): c is StagedChunk => c !== null);
          for (const c of chunks) for (const a of c.adds) received.push(a);
          queue.push({ chunks, timestamp, window });
        },
        flush: () => (queue.length > 0 ? commitAll() : undefined),
        // Checkpoints: nothing to prepare. The commit happens once the input ended and carries txns — the run's, and
        // each checkpointed staging writer's (`StagedChunk.txn`) — so a resumed run making it again is skipped.
        prepareCommit: async () => null,
        commit: async () => {},
        async finish() {},
        async abort() {
          queue = [];
          const { discardStagedFiles } = await lakehouse.load();
          await discardStagedFiles(spec.path, received);
          received = [];
        },
      };
    },
  };
}

function commitTarget(spec: Spec, run: RunState): CommitTarget {
  return { path: spec.path, mode: spec.mode, mergeOn: spec.mergeOn, partitionBy: spec.partitionBy ?? [], properties: spec.properties, evolveSchema: run.evolve };
}

async function commitBatch(spec: Spec, run: RunState, chunks: readonly StagedChunk[]): Promise<DeltaCommit> {
  if (!chunks.some((c) => c.count > 0) && spec.mode !== 'overwrite') return nothingCommitted(spec, run);
  // The table's (or the schema option's) columns lead, as one worker's checker would have them.
  const base: StagedChunk = { worker: -1, seq: 0, adds: [], rows: [], count: 0, columns: run.baseColumns, untyped: [] };
  const result = await commitChunks(commitTarget(spec, run), { appId: run.appId, txnVersion: spec.txnVersion ?? 0, operation: 'WRITE', chunks: [base, ...chunks] });
  if (result.skipped) warnSkipped(spec, run, result.txnVersion);
  return toCommit(spec, run, result);
}

/** A pane staged by a checkpointed pane writer, waiting for its checkpoint's commit. */
interface StagedPane {
  readonly chunk: StagedChunk;
  readonly timestamp: Instant;
  readonly window: BoundedWindow;
}

/**
 * Windowed or triggered input, on the one worker the single-key grouping brings each pane to: each pane is one commit
 * (`txn(appId, txnVersion + n)` for the run's n-th non-empty pane), in the order panes fire — or, in a checkpointed
 * run, from its first checkpoint on, the panes since the previous checkpoint are staged (files; merge: rows) and
 * committed as one version with `txn(checkpointAppId, checkpointId)` when the checkpoint completes (overwrite: the
 * table then holds the checkpoint's last pane). Panes after the last checkpoint are committed when the input ends,
 * with `txn(checkpointAppId, last + 1)`. Rows are checked again here, against every worker's rows (a column two
 * workers inferred differently is an error).
 */
export function paneCommitSink(spec: Spec, run: RunState): Sink<KV<number, Row[]>, DeltaCommit> {
  return {
    describe: () => `delta(${spec.path})`,
    guarantee: 'exactly-once',
    async open(ctx) {
      if (run.checker === undefined) await startRun(spec, run);
      const appId = checkpointAppId(spec, ctx.step, ctx.worker, ctx.workers);
      const checker = new RowChecker(run.baseColumns, { allowNewColumns: run.evolve });
      let queue: Array<{ rows: Row[]; timestamp: Instant; window: BoundedWindow; pane: PaneInfo }> = [];
      let outputs: SinkOutput<DeltaCommit>[] = [];
      let staged: StagedPane[] = [];
      /** Panes prepared for checkpoints whose commit has not come yet. */
      const prepared = new Map<number, { panes: StagedPane[] }>();
      let checkpointed = false;
      let lastCheckpoint: number | undefined;
      let seq = 0;
      const target = () => commitTarget(spec, run);
      // Commits of this writer one at a time: a checkpoint's (from the coordinator) and a flush's may overlap.
      let chain: Promise<unknown> = Promise.resolve();
      const serially = <R>(f: () => Promise<R>): Promise<R> => {
        const next = chain.then(f);
        chain = next.catch(() => undefined);
        return next;
      };
      const base = (): StagedChunk => ({ worker: -1, seq: 0, adds: [], rows: [], count: 0, columns: run.baseColumns, untyped: [] });
      const stagePane = async (rows: Row[]): Promise<StagedChunk> => {
        for (const row of rows) {
          const reason = checker.check(row);
          if (reason !== undefined) {
            throw new DeltaSinkError('DELTA_SCHEMA_MISMATCH', `io.delta.write(${spec.path}): a row accepted by another worker does not fit here: ${reason}`, {
              hint: 'declare the column types (the schema option), so that every worker checks rows alike',
            });
          }
        }
        return stageChunk(spec, { ...run, checker }, 0, seq++, rows);
      };
      /** Commits staged chunks as one version; the output goes out in `window` at `timestamp`. */
      const commitStaged = async (chunks: readonly StagedChunk[], txn: { appId: string; version: number }, at: { timestamp: Instant; window: BoundedWindow } | undefined) => {
        if (!chunks.some((c) => c.count > 0) && spec.mode !== 'overwrite') return;
        // Overwrite: each pane replaces the table, so the last one is what the table holds.
        const commitChunksOf = spec.mode === 'overwrite' ? chunks.slice(-1) : chunks;
        if (spec.mode === 'overwrite' && chunks.length > 1) {
          const { discardStagedFiles } = await lakehouse.load();
          await discardStagedFiles(spec.path, chunks.slice(0, -1).flatMap((c) => c.adds));
        }
        const result = await commitChunks(target(), { appId: txn.appId, txnVersion: txn.version, operation: 'STREAMING UPDATE', chunks: [base(), ...commitChunksOf] });
        if (at !== undefined) outputs.push({ value: toCommit(spec, { ...run, appId: txn.appId }, result), ...at });
      };
      const take = () => {
        const out = outputs;
        outputs = [];
        return out;
      };
      const commitQueued = async (): Promise<SinkOutput<DeltaCommit>[]> => {
        const panes = queue;
        queue = [];
        for (const { rows, timestamp, window, pane } of panes) {
          const info = { index: pane.index, timing: pane.timing, isLast: pane.isLast };
          if (checkpointed) {
            staged.push({ chunk: await stagePane(rows), timestamp, window });
            continue;
          }
          if (rows.length === 0 && spec.mode !== 'overwrite') {
            // An empty pane (e.g. an on-time pane after early ones, discarding) has nothing to append or merge.
            outputs.push({ value: { ...nothingCommitted(spec, run), window: windowLabel(window), pane: info }, timestamp, window });
            continue;
          }
          const txnVersion = (spec.txnVersion ?? 0) + run.paneSeq++;
          const result = await commitChunks(target(), { appId: run.appId, txnVersion, operation: 'STREAMING UPDATE', chunks: [base(), await stagePane(rows)] });
          if (result.skipped) warnSkipped(spec, run, txnVersion);
          outputs.push({ value: { ...toCommit(spec, run, result), window: windowLabel(window), pane: info }, timestamp, window });
        }
        return take();
      };
      return {
        write(group, timestamp, window, pane) {
          queue.push({ rows: group.value, timestamp, window, pane });
        },
        flush: () => (queue.length > 0 ? serially(commitQueued) : outputs.length > 0 ? Promise.resolve(take()) : undefined),
        endOfInput: () => serially(async () => {
          if (queue.length > 0) await commitQueued();
          // Panes of checkpoints whose commit has not come yet go with the final commit (see the staging sink).
          const panes = [...[...prepared.values()].flatMap((p) => p.panes), ...staged];
          prepared.clear();
          staged = [];
          if (panes.length > 0) await commitStaged(panes.map((p) => p.chunk), { appId, version: (lastCheckpoint ?? -1) + 1 }, panes.at(-1));
          return take();
        }),
        async prepareCommit(checkpointId: number) {
          checkpointed = true;
          lastCheckpoint = checkpointId;
          const panes = staged;
          staged = [];
          prepared.set(checkpointId, { panes });
          return { appId, checkpointId, chunks: panes.map((p) => p.chunk) } satisfies PreparedCommit;
        },
        commit: (value: unknown) => serially(async () => {
          const p = value as PreparedCommit;
          checkpointed = true;
          lastCheckpoint = Math.max(lastCheckpoint ?? -1, p.checkpointId);
          const at = prepared.get(p.checkpointId)?.panes.at(-1);
          prepared.delete(p.checkpointId);
          await commitStaged(p.chunks, { appId: p.appId, version: p.checkpointId }, at);
        }),
        async finish() {},
        async abort() {
          // Staged, not prepared: deleted. Prepared panes stay for a resumed run.
          queue = [];
          const { discardStagedFiles } = await lakehouse.load();
          await discardStagedFiles(spec.path, staged.flatMap((p) => p.chunk.adds));
          staged = [];
        },
      };
    },
  };
}

function nothingCommitted(spec: Spec, run: RunState): DeltaCommit {
  return { table: spec.path, version: null, committed: false, skipped: false, rows: 0, files: 0, appId: run.appId, txnVersion: null };
}

function toCommit(spec: Spec, run: RunState, r: CommitResult): DeltaCommit {
  return {
    table: spec.path, version: r.version, committed: r.committed, skipped: r.skipped, rows: r.rows, files: r.files, appId: run.appId,
    txnVersion: r.txnVersion, ...(r.metrics ? { metrics: r.metrics } : {}),
  };
}

function warnSkipped(spec: Spec, run: RunState, txnVersion: number): void {
  if (run.warned) return;
  run.warned = true;
  process.emitWarning(
    `io.delta.write(${spec.path}): the table already holds txn ${run.appId}@${txnVersion}, so this commit was skipped as a replay. ` +
      'To write new data under this appId, raise txnVersion (or omit appId: each run then gets its own and appends).',
    { code: 'RIFFLE_DELTA_TXN_SKIPPED' },
  );
}
