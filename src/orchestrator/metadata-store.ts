/**
 * The metadata store port: DAGs, DAG runs, task instances, XComs and per-attempt logs. The scheduler is written
 * against this interface only. Every method is async so that a networked implementation (PostgreSQL) fits; updates
 * are compare-and-set (`expect`) so that several schedulers can share a store the way Airflow's HA schedulers do
 * (`UPDATE ... WHERE state = ...`, or `SELECT ... FOR UPDATE SKIP LOCKED` in `claimTaskInstances`).
 * Conformance: `runMetadataStoreSuite(name, factory)` checks any implementation.
 */

export type DagRunState = 'queued' | 'running' | 'success' | 'failed';
export type DagRunType = 'scheduled' | 'manual' | 'backfill' | 'test';

/**
 * Task instance states, as in Airflow: `none` (not yet decided), `scheduled` (dependencies met), `queued` (handed
 * to the executor), `running`, `up_for_retry` / `up_for_reschedule` (waiting for `nextAttemptAt`), the final states
 * `success`, `failed`, `skipped`, `upstream_failed`, and `mapped` (expanded into map instances, which carry the state).
 */
export type TaskState =
  | 'none' | 'scheduled' | 'queued' | 'running' | 'up_for_retry' | 'up_for_reschedule'
  | 'success' | 'failed' | 'skipped' | 'upstream_failed' | 'mapped';

export const FINAL_TASK_STATES: readonly TaskState[] = ['success', 'failed', 'skipped', 'upstream_failed', 'mapped'];

export interface DagRecord {
  dagId: string;
  fileloc: string;
  schedule: string | null;
  timezone: string;
  isPaused: boolean;
  tags: string[];
  description: string | null;
}

export interface DagRunRecord {
  dagId: string;
  runId: string;
  runType: DagRunType;
  state: DagRunState;
  logicalDate: number;
  dataIntervalStart: number;
  dataIntervalEnd: number;
  /** Params of this run (DAG params overridden by the trigger's). */
  conf: Record<string, unknown>;
  queuedAt: number;
  startDate: number | null;
  endDate: number | null;
}

/** Identifies a task instance; `mapIndex` is -1 for unmapped tasks. */
export interface TaskInstanceKey {
  dagId: string;
  runId: string;
  taskId: string;
  mapIndex: number;
}

export interface TaskInstanceRecord extends TaskInstanceKey {
  state: TaskState;
  /** When it last became ready to run (`scheduled`): its queue latency is `startDate - scheduledAt`. */
  scheduledAt: number | null;
  /** Attempts started so far (the running attempt's number). */
  tryNumber: number;
  maxTries: number;
  startDate: number | null;
  endDate: number | null;
  /** ms of the last attempt. */
  duration: number | null;
  hostname: string | null;
  pid: number | null;
  heartbeatAt: number | null;
  /** Earliest time of the next attempt (retry or sensor reschedule). */
  nextAttemptAt: number | null;
  /** First poke of a sensor in reschedule mode (its timeout counts from here). */
  firstAttemptAt: number | null;
  /** Who runs it (a scheduler id): lets a restarted or peer scheduler tell its own work from orphans. */
  owner: string | null;
  /** The pool it takes slots in while queued or running, and how many (set from its task when created and claimed). */
  pool: string;
  poolSlots: number;
  error: string | null;
  updatedAt: number;
}

export interface XComRecord extends TaskInstanceKey {
  key: string;
  value: unknown;
}

export interface DagRunFilter {
  dagId?: string;
  states?: readonly DagRunState[];
  runTypes?: readonly DagRunType[];
}

export interface TaskInstanceFilter {
  dagId?: string;
  runId?: string;
  taskId?: string;
  states?: readonly TaskState[];
}

/**
 * One instance a scheduler asks to claim: what it occupies while queued or running, and the limits it must fit in.
 * Limits count every queued or running instance in the store, whichever scheduler holds it.
 */
export interface ClaimRequest extends TaskInstanceKey {
  /** Its pool, and how many of the pool's slots it takes (recorded on the instance when claimed). */
  pool: string;
  poolSlots: number;
  /** Most queued or running instances of its DAG at once, over all its runs (the DAG's maxActiveTasks). */
  maxActiveTasks?: number;
  /** Most queued or running instances of its task at once, over all runs (the task's maxActiveInstances). */
  maxActiveInstances?: number;
}

export interface ClaimOptions {
  /** Most instances to claim in this call (the executor's free parallelism). */
  limit: number;
  /** Slots per pool; a pool not listed has none. */
  pools: Readonly<Record<string, number>>;
}

/** Conditions of a compare-and-set update. */
export interface TaskInstanceExpectation {
  states?: readonly TaskState[];
  tryNumber?: number;
}

export interface MetadataStore {
  /**
   * Several schedulers may use this store at once (PostgreSQL). A scheduler then adopts a peer's queued or running
   * instances only once their heartbeat is older than its zombie threshold; on an exclusive store (the journal,
   * which one process holds) every queued or running instance it finds at start is an orphan of a stopped scheduler.
   */
  readonly shared?: boolean;
  upsertDag(dag: DagRecord): Promise<void>;
  getDag(dagId: string): Promise<DagRecord | undefined>;
  listDags(): Promise<DagRecord[]>;
  setDagPaused(dagId: string, paused: boolean): Promise<void>;

  /** Creates a run; false if one exists with the same run id or the same (dag, logical date). */
  createDagRun(run: DagRunRecord): Promise<boolean>;
  getDagRun(dagId: string, runId: string): Promise<DagRunRecord | undefined>;
  /** Runs matching the filter, by logical date ascending. */
  listDagRuns(filter?: DagRunFilter): Promise<DagRunRecord[]>;
  /** The run with the greatest logical date among the given types. */
  latestDagRun(dagId: string, runTypes?: readonly DagRunType[]): Promise<DagRunRecord | undefined>;
  /** Updates a run if its state is one of `expectStates` (any state when omitted); false otherwise. */
  updateDagRun(dagId: string, runId: string, patch: Partial<Omit<DagRunRecord, 'dagId' | 'runId'>>, expectStates?: readonly DagRunState[]): Promise<boolean>;

  /** Creates task instances; existing keys are left as they are. */
  createTaskInstances(tis: readonly TaskInstanceRecord[]): Promise<void>;
  getTaskInstance(key: TaskInstanceKey): Promise<TaskInstanceRecord | undefined>;
  listTaskInstances(filter: TaskInstanceFilter): Promise<TaskInstanceRecord[]>;
  /** Compare-and-set: applies `patch` if the instance exists and meets `expect`; false otherwise. */
  updateTaskInstance(key: TaskInstanceKey, patch: Partial<Omit<TaskInstanceRecord, keyof TaskInstanceKey>>, expect?: TaskInstanceExpectation): Promise<boolean>;
  /**
   * Moves instances from `scheduled` to `queued` for `owner`, within their limits, and returns them. Goes through
   * `requests` in order: an instance is claimed if it is scheduled and fits — its pool has `poolSlots` free, its DAG
   * and task are under `maxActiveTasks` / `maxActiveInstances`, counting every queued or running instance in the
   * store and those claimed before it in this call; one that does not fit is passed over (a later, smaller one may
   * fit, as in Airflow). Stops after `o.limit`. Atomic against every other claim on the store, so that schedulers
   * claiming at the same instant never overshoot a limit together nor claim the same instance (Postgres: a
   * transaction under one advisory lock per store, rows picked `FOR UPDATE SKIP LOCKED`; the journal: its single
   * writer). Limits are checked only here: instances claimed earlier under larger limits stay where they are.
   */
  claimTaskInstances(requests: readonly ClaimRequest[], owner: string, o: ClaimOptions): Promise<TaskInstanceRecord[]>;

  setXCom(x: XComRecord): Promise<void>;
  getXCom(key: TaskInstanceKey, xcomKey?: string): Promise<XComRecord | undefined>;
  /** XComs of a run (optionally one task), by task id then map index. */
  listXComs(dagId: string, runId: string, taskId?: string): Promise<XComRecord[]>;
  /** Deletes a task's XComs in a run (before a retry or clear). */
  clearXComs(key: TaskInstanceKey): Promise<void>;

  appendLog(key: TaskInstanceKey, tryNumber: number, text: string): Promise<void>;
  readLog(key: TaskInstanceKey, tryNumber: number): Promise<string>;

  close(): Promise<void>;
}

/** `dag/run/task/mapIndex` as one string (for maps and messages). */
export function taskInstanceId(k: TaskInstanceKey): string {
  return `${k.dagId}/${k.runId}/${k.taskId}${k.mapIndex >= 0 ? `[${k.mapIndex}]` : ''}`;
}
