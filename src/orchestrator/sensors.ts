/**
 * Ready-made sensors (custom ones are `d.sensor(id, { poke, pokeInterval, timeout, mode })`):
 * - `fileSensor`: a (templated) path or glob matches at least one file; passes the matches downstream;
 * - `deltaTableSensor`: a Delta table exists, at or past a version, with a file in a (templated) partition;
 * - `externalTaskSensor`: another DAG's task (or whole run) for the matching logical date reached an allowed state;
 *   a failed state fails the sensor at once instead of waiting for its timeout.
 * @example
 *   const arrived = d.sensor('wait_for_file', fileSensor({ path: 'landing/{{ ds }}/*.csv', pokeInterval: '1m', timeout: '6h' }));
 *   const landed = d.sensor('wait_for_events', deltaTableSensor({ path: 'lake/events', partition: { day: '{{ ds }}' } }));
 *   const upstream = d.sensor('wait_for_ingest', externalTaskSensor({ dagId: 'ingest', taskId: 'load', mode: 'reschedule' }));
 */
import { resolve } from 'node:path';
import { glob } from 'tinyglobby';
import { parseDuration, type DurationLike } from '../model/index.ts';
import { DagDefinitionError } from './errors.ts';
import type { DagRunState, TaskState } from './metadata-store.ts';
import { failWithoutRetry } from './signals.ts';
import { escapeGlob, renderTemplateWith } from './template-context.ts';
import type { SensorDefinition, TaskInputs } from './task-group.ts';
import type { TaskOptions, SensorOptions, PokeResult } from './task.ts';

export interface FileSensorOptions extends SensorOptions, TaskOptions {
  /** A path or glob, templated (values are literal: a `*` in a param matches only `*`); relative to `cwd` (default: the process's). */
  path: string;
  cwd?: string;
}

export function fileSensor(o: FileSensorOptions): SensorDefinition<TaskInputs, string[]> {
  const { path, cwd, ...options } = o;
  return {
    ...options,
    poke: async (ctx) => {
      const pattern = renderTemplateWith(path, ctx, escapeGlob); // a value with * or ? matches itself, not other files
      const base = cwd ?? process.cwd();
      const files = await glob(pattern, { cwd: base, absolute: false, onlyFiles: true, expandDirectories: false });
      ctx.log(files.length > 0 ? `found ${files.length} file(s) for ${pattern}` : `no file yet for ${pattern}`);
      return files.length > 0 ? { done: true, value: files.sort().map((f) => resolve(base, f)) } : false;
    },
  };
}

export interface DeltaTableSensorOptions extends SensorOptions, TaskOptions {
  /** The table's directory, templated; relative to `cwd` (default: the process's). */
  path: string;
  cwd?: string;
  /** Done once the table's latest version is at least this. */
  version?: number;
  /**
   * Done once a live data file has these partition values (templated, compared with the values as the Delta log
   * writes them: `{ day: '{{ ds }}' }`). Every key must be a partition column of the table.
   */
  partition?: Record<string, string>;
}

/** What a Delta table sensor passes downstream. */
export interface DeltaTableSensorValue {
  path: string;
  version: number;
  /** Live data files (in the partition, if one was asked for). */
  files: number;
  partition?: Record<string, string>;
}

/** Waits for a Delta table (read through its snapshot, never by parsing files here) to exist, reach a version, or fill a partition. */
export function deltaTableSensor(o: DeltaTableSensorOptions): SensorDefinition<TaskInputs, DeltaTableSensorValue> {
  const { path, cwd, version, partition, ...options } = o;
  if (version !== undefined && (!Number.isInteger(version) || version < 0)) {
    throw new DagDefinitionError(`deltaTableSensor: version must be an integer ≥ 0, got ${version}`);
  }
  return {
    ...options,
    poke: async (ctx) => {
      // Loaded on first poke: DAG files that never sense a table do not load the lakehouse.
      const { DeltaTable, DeltaTableError } = await import('../lakehouse/index.ts');
      const tablePath = resolve(cwd ?? process.cwd(), ctx.render(path));
      let snapshot;
      try {
        snapshot = await (await DeltaTable.open(tablePath)).snapshot();
      } catch (e) {
        if (e instanceof DeltaTableError && e.code === 'DELTA_TABLE_NOT_FOUND') {
          ctx.log(`no Delta table at ${tablePath} yet`);
          return false;
        }
        throw e;
      }
      if (version !== undefined && snapshot.version < version) {
        ctx.log(`${tablePath} is at version ${snapshot.version}; waiting for ${version}`);
        return false;
      }
      let files = snapshot.files.length;
      let wanted: Record<string, string> | undefined;
      if (partition) {
        wanted = Object.fromEntries(Object.entries(partition).map(([k, v]) => [k, ctx.render(v)]));
        const unknown = Object.keys(wanted).filter((k) => !snapshot.partitionColumns.includes(k));
        if (unknown.length > 0) {
          failWithoutRetry(`${tablePath} has no partition column ${unknown.map((k) => `'${k}'`).join(', ')} (partition columns: ${snapshot.partitionColumns.join(', ') || 'none'})`);
        }
        files = snapshot.files.filter((f) => Object.entries(wanted!).every(([k, v]) => f.add.partitionValues[k] === v)).length;
        if (files === 0) {
          ctx.log(`${tablePath} (version ${snapshot.version}) has no file in partition ${JSON.stringify(wanted)} yet`);
          return false;
        }
      }
      ctx.log(`${tablePath} is at version ${snapshot.version}${wanted ? ` with ${files} file(s) in ${JSON.stringify(wanted)}` : ''}`);
      return { done: true, value: { path: tablePath, version: snapshot.version, files, ...(wanted && { partition: wanted }) } };
    },
  };
}

export interface ExternalTaskSensorOptions extends SensorOptions, TaskOptions {
  /** The DAG to watch. */
  dagId: string;
  /** Its task to watch (a mapped task counts once all its instances are in an allowed state); omitted: the whole run. */
  taskId?: string;
  /** The watched run's logical date is this run's minus this (default 0: the same logical date). */
  executionDelta?: DurationLike;
  /** Done when the task (or run) is in one of these (default ['success']). */
  allowedStates?: readonly (TaskState | DagRunState)[];
  /** Fail at once, without retry, in one of these (default: failed and upstream_failed for a task, failed for a run). */
  failedStates?: readonly (TaskState | DagRunState)[];
}

/** What an external task sensor passes downstream. */
export interface ExternalTaskSensorValue {
  dagId: string;
  runId: string;
  taskId: string | null;
  state: string;
  logicalDate: number;
}

/** Waits for another DAG's task (or run) for the matching logical date, reading the scheduler's metadata store. */
export function externalTaskSensor(o: ExternalTaskSensorOptions): SensorDefinition<TaskInputs, ExternalTaskSensorValue> {
  const { dagId, taskId, executionDelta, allowedStates, failedStates, ...options } = o;
  if (typeof dagId !== 'string' || dagId === '') throw new DagDefinitionError('externalTaskSensor: dagId is required', { hint: "externalTaskSensor({ dagId: 'ingest', taskId: 'load' })" });
  const delta = executionDelta === undefined ? 0 : parseDuration(executionDelta, 'executionDelta');
  const allowed = allowedStates ?? ['success'];
  const failed = failedStates ?? (taskId === undefined ? ['failed'] : ['failed', 'upstream_failed']);
  const overlap = allowed.filter((s) => failed.includes(s));
  if (overlap.length > 0) throw new DagDefinitionError(`externalTaskSensor: ${overlap.join(', ')} is both allowed and failed`);
  const what = `${dagId}${taskId === undefined ? '' : `.${taskId}`}`;
  return {
    ...options,
    poke: (ctx) => ctx.readMetadata(async (store): Promise<PokeResult<ExternalTaskSensorValue>> => {
      const logicalDate = ctx.logicalDate.getTime() - delta;
      const when = new Date(logicalDate).toISOString();
      const run = (await store.listDagRuns({ dagId })).find((r) => r.logicalDate === logicalDate);
      if (!run) {
        ctx.log(`${dagId} has no run for ${when} yet`);
        return false;
      }
      let states: string[];
      if (taskId === undefined) states = [run.state];
      else {
        const tis = await store.listTaskInstances({ dagId, runId: run.runId, taskId });
        const placeholder = tis.find((t) => t.mapIndex === -1);
        // A mapped task counts through its map instances: failed if one failed, done once all are allowed.
        states = placeholder?.state === 'mapped' ? tis.filter((t) => t.mapIndex >= 0).map((t) => t.state) : placeholder ? [placeholder.state] : [];
        if (states.length === 0) {
          ctx.log(`${dagId} run ${run.runId} has no task '${taskId}' yet`);
          return false;
        }
      }
      const bad = states.find((s) => failed.includes(s as TaskState));
      if (bad !== undefined) failWithoutRetry(`${what} is ${bad} in run ${run.runId} (${when})`);
      const pending = states.find((s) => !allowed.includes(s as TaskState));
      if (pending !== undefined) {
        ctx.log(`${what} is ${pending} in run ${run.runId}; waiting for ${allowed.join(' or ')}`);
        return false;
      }
      const state = states[0]!;
      ctx.log(`${what} is ${state} in run ${run.runId}`);
      return { done: true, value: { dagId, runId: run.runId, taskId: taskId ?? null, state, logicalDate } };
    }),
  };
}
