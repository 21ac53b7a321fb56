/**
 * PostgreSQL in pipelines: `io.postgres.read` (a bounded source, streamed through a cursor, split by key ranges over
 * one snapshot). The `pg` driver loads only when a pipeline runs (see pg-module.ts).
 *
 * @example
 * import { Pipeline, io } from 'riffle';
 * const p = Pipeline.create();
 * p.apply(io.postgres.read({ table: 'orders' }, { url: process.env.DATABASE_URL!, splitBy: 'id', splits: 8 }));
 */
export { read, PostgresSource, cutRanges, type PgRow, type PostgresQuery, type PostgresReadOptions } from './postgres-source.ts';
export { parsePgText, type PgValue } from './pg-values.ts';
export { PostgresError } from './pg-errors.ts';
