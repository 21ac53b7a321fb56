/**
 * PostgreSQL in pipelines: `io.postgres.write` (batched insert/upsert/delete in transactions, rejected rows to its
 * output, exactly-once through prepared transactions and `riffle_sink_progress`) and `io.postgres.read` (a bounded
 * source, streamed through a cursor, split by key ranges over one snapshot) and `io.postgres.changes` (change data capture:
 * a snapshot then the pgoutput stream, as Debezium-shaped events). The `pg` driver loads only when a pipeline runs (see pg-module.ts).
 *
 * @example
 * import { Pipeline, io } from 'riffle';
 * const p = Pipeline.create();
 * p.apply(io.postgres.read({ table: 'orders' }, { url: process.env.DATABASE_URL!, splitBy: 'id', splits: 8 }));
 */
export { read, PostgresSource, cutRanges, type PgRow, type PostgresQuery, type PostgresReadOptions } from './postgres-source.ts';
export { parsePgText, type PgValue } from './pg-values.ts';
export { PostgresError, redactUrl } from './pg-errors.ts';
export {
  write, postgresSink, PostgresRowRejectedError, type PostgresWrite, type PostgresWriteMode, type PostgresWriteOptions, type PostgresWriteResult,
} from './postgres-sink.ts';
export {
  decodePgOutput, decodeReplicationFrame, encodeStandbyStatus, formatLsn, parseLsn, pgTimeToMs, PgOutputDecodeError,
  type PgOutputMessage, type RelationColumn, type ReplicationFrame, type TupleValue,
} from './pgoutput.ts';
export { changes, ChangesReader, PostgresChangesSource, type ChangesPosition, type PostgresChangesOptions } from './changes-source.ts';
export { setupCdc, slotStatus, logicalSlots, dropCdc, publicationTables, type PublishedTable, type SlotStatus } from './cdc-admin.ts';
export { ReplicationStream, type ReplicationOptions, type WalMessage } from './replication-stream.ts';
export { ChangeAssembler, snapshotEvent, type ChangeEvent, type ChangeRow, type ChangeSource, type ChangeTransaction } from './change-events.ts';
