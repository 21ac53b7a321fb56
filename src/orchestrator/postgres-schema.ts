/**
 * The PostgreSQL store's schema: its migrations (applied in order on open, see `PostgresStore.connect`), and how
 * rows map to records (column lists and row readers).
 */
import type { QueryResultRow } from 'pg';
import type { DagRecord, DagRunRecord, TaskInstanceRecord, XComRecord } from './metadata-store.ts';

/** Schema migrations, in order; the index + 1 is the version each one brings. */
export const MIGRATIONS: readonly ((s: string) => string)[] = [
  (s) => `
    CREATE TABLE ${s}.riffle_dag (
      dag_id text PRIMARY KEY, fileloc text NOT NULL, schedule text, timezone text NOT NULL, is_paused boolean NOT NULL,
      tags jsonb NOT NULL, description text);
    CREATE TABLE ${s}.riffle_dag_run (
      dag_id text NOT NULL, run_id text NOT NULL, run_type text NOT NULL, state text NOT NULL, logical_date bigint NOT NULL,
      data_interval_start bigint NOT NULL, data_interval_end bigint NOT NULL, conf jsonb NOT NULL, queued_at bigint NOT NULL,
      start_date bigint, end_date bigint,
      PRIMARY KEY (dag_id, run_id), UNIQUE (dag_id, logical_date));
    CREATE INDEX riffle_dag_run_state ON ${s}.riffle_dag_run (state);
    CREATE TABLE ${s}.riffle_task_instance (
      dag_id text NOT NULL, run_id text NOT NULL, task_id text NOT NULL, map_index integer NOT NULL, state text NOT NULL, scheduled_at bigint,
      try_number integer NOT NULL, max_tries integer NOT NULL, start_date bigint, end_date bigint, duration bigint,
      hostname text, pid integer, heartbeat_at bigint, next_attempt_at bigint, first_attempt_at bigint, owner text, error text,
      updated_at bigint NOT NULL,
      PRIMARY KEY (dag_id, run_id, task_id, map_index));
    CREATE INDEX riffle_task_instance_state ON ${s}.riffle_task_instance (state);
    CREATE INDEX riffle_task_instance_task ON ${s}.riffle_task_instance (dag_id, task_id);
    CREATE TABLE ${s}.riffle_xcom (
      dag_id text NOT NULL, run_id text NOT NULL, task_id text NOT NULL, map_index integer NOT NULL, key text NOT NULL, value jsonb,
      PRIMARY KEY (dag_id, run_id, task_id, map_index, key));
    CREATE TABLE ${s}.riffle_task_log (
      seq bigserial PRIMARY KEY, dag_id text NOT NULL, run_id text NOT NULL, task_id text NOT NULL, map_index integer NOT NULL,
      try_number integer NOT NULL, text text NOT NULL);
    CREATE INDEX riffle_task_log_attempt ON ${s}.riffle_task_log (dag_id, run_id, task_id, map_index, try_number);`,
  // 2: the pool an instance occupies while queued or running, so that a claim can count pool slots in the database.
  (s) => `
    ALTER TABLE ${s}.riffle_task_instance ADD COLUMN pool text NOT NULL DEFAULT 'default_pool', ADD COLUMN pool_slots integer NOT NULL DEFAULT 1;`,
];

/** Columns of riffle_task_instance, in the order the record spells them. */
export const TI_COLUMNS = [
  ['dagId', 'dag_id', 'text'], ['runId', 'run_id', 'text'], ['taskId', 'task_id', 'text'], ['mapIndex', 'map_index', 'int4'], ['state', 'state', 'text'],
  ['scheduledAt', 'scheduled_at', 'int8'], ['tryNumber', 'try_number', 'int4'], ['maxTries', 'max_tries', 'int4'], ['startDate', 'start_date', 'int8'], ['endDate', 'end_date', 'int8'],
  ['duration', 'duration', 'int8'], ['hostname', 'hostname', 'text'], ['pid', 'pid', 'int4'], ['heartbeatAt', 'heartbeat_at', 'int8'],
  ['nextAttemptAt', 'next_attempt_at', 'int8'], ['firstAttemptAt', 'first_attempt_at', 'int8'], ['owner', 'owner', 'text'], ['error', 'error', 'text'],
  ['updatedAt', 'updated_at', 'int8'], ['pool', 'pool', 'text'], ['poolSlots', 'pool_slots', 'int4'],
] as const satisfies readonly (readonly [keyof TaskInstanceRecord, string, string])[];

export const RUN_COLUMNS = [
  ['runType', 'run_type'], ['state', 'state'], ['logicalDate', 'logical_date'], ['dataIntervalStart', 'data_interval_start'],
  ['dataIntervalEnd', 'data_interval_end'], ['conf', 'conf'], ['queuedAt', 'queued_at'], ['startDate', 'start_date'], ['endDate', 'end_date'],
] as const satisfies readonly (readonly [keyof DagRunRecord, string])[];

export const TI_COLUMN = new Map<string, string>(TI_COLUMNS.map(([k, c]) => [k, c]));
export const RUN_COLUMN = new Map<string, string>(RUN_COLUMNS.map(([k, c]) => [k, c]));

export function dagOf(r: QueryResultRow): DagRecord {
  return { dagId: r.dag_id, fileloc: r.fileloc, schedule: r.schedule, timezone: r.timezone, isPaused: r.is_paused, tags: r.tags, description: r.description };
}

export function runOf(r: QueryResultRow): DagRunRecord {
  return {
    dagId: r.dag_id, runId: r.run_id, runType: r.run_type, state: r.state, logicalDate: r.logical_date, dataIntervalStart: r.data_interval_start,
    dataIntervalEnd: r.data_interval_end, conf: r.conf, queuedAt: r.queued_at, startDate: r.start_date, endDate: r.end_date,
  };
}

export function tiOf(r: QueryResultRow): TaskInstanceRecord {
  const out: Record<string, unknown> = {};
  for (const [k, c] of TI_COLUMNS) out[k] = r[c];
  return out as unknown as TaskInstanceRecord;
}

export function xcomOf(r: QueryResultRow): XComRecord {
  return { dagId: r.dag_id, runId: r.run_id, taskId: r.task_id, mapIndex: r.map_index, key: r.key, value: r.value };
}
