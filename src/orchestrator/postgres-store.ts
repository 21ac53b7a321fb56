/**
 * The PostgreSQL metadata store, for deployments where several schedulers (on several machines) share the work,
 * as Airflow's HA schedulers do. Every compare-and-set is one statement, hence one transaction
 * (`UPDATE ... WHERE state = ANY(...) AND try_number = ...`). `claimTaskInstances` is one transaction under a
 * per-store advisory lock: it counts what queued and running instances occupy and claims only what fits the pools
 * and the DAG and task limits, picking rows with `SELECT ... FOR UPDATE SKIP LOCKED`, so that schedulers claiming
 * at the same instant never overshoot a limit together nor claim the same instance. Logs are rows too, so that any machine can read any attempt's log.
 *
 * The schema is created or migrated on open under an advisory lock (`riffle_schema_version` records what is
 * applied); a database written by a newer Riffle is refused. Tables live in the schema named by `?schema=` in the
 * URL (default `public`). The `pg` driver is loaded on first use, so the orchestrator stays light without Postgres.
 * @example
 *   const store = await PostgresStore.connect('postgres://riffle@db.internal:5432/riffle?schema=orchestrator');
 */
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { checkClaim, ClaimBudget } from './claim-limits.ts';
import { MetadataStoreError } from './errors.ts';
import type {
  ClaimOptions, ClaimRequest, DagRecord, DagRunFilter, DagRunRecord, DagRunState, DagRunType, MetadataStore, TaskInstanceExpectation, TaskInstanceFilter, TaskInstanceKey,
  TaskInstanceRecord, XComRecord,
} from './metadata-store.ts';
import { dagOf, MIGRATIONS, RUN_COLUMN, runOf, TI_COLUMN, TI_COLUMNS, tiOf, xcomOf } from './postgres-schema.ts';
import { parsePostgresUrl, redactUrl, type PostgresLocation } from './store-url.ts';

export interface PostgresStoreOptions {
  /** Overrides the URL's `?schema=` (tests use a fresh schema each). */
  schema?: string;
  /** Connections in the pool (default 4). */
  maxConnections?: number;
  /** Give up connecting after this long (default 10 s). */
  connectTimeoutMs?: number;
}

const KEY_WHERE = 'dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4';
/** Advisory lock key class for migrations (any constant: 'rifl'). */
const MIGRATION_LOCK = 0x7269666c;
/** Advisory lock key class for claims ('rifc'): one lock per schema serialises every claim on the store. */
const CLAIM_LOCK = 0x72696663;

/** The networked store. Open with `PostgresStore.connect(url)`. */
export class PostgresStore implements MetadataStore {
  /** Several schedulers may use it at once. */
  readonly shared = true;
  private closed = false;

  private constructor(
    private readonly pool: Pool,
    /** The schema, quoted for SQL. */
    private readonly s: string,
    /** The schema's name (the claim lock's key). */
    private readonly schema: string,
    /** Where it is (without the password), for messages. */
    readonly location: string,
  ) {}

  /**
   * Connects, creates or migrates the schema, and returns the store. A malformed URL, an unreachable server or a
   * database from a newer Riffle is a MetadataStoreError saying which.
   */
  static async connect(url: string, o: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const loc = parsePostgresUrl(url);
    const schema = o.schema ?? loc.schema;
    const pg = await loadDriver();
    // Per-pool type parsers: int8 as number (times are ms since epoch, well within 2^53), without touching the
    // process-wide parsers other users of pg may rely on.
    const types = new pg.TypeOverrides();
    types.setTypeParser(20, (v: string) => Number(v));
    const pool = new pg.Pool({ connectionString: loc.connectionString, max: o.maxConnections ?? 4, connectionTimeoutMillis: o.connectTimeoutMs ?? 10_000, types });
    // An idle connection dropped by the server must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    const store = new PostgresStore(pool, pg.escapeIdentifier(schema), schema, `${redactUrl(loc)} (schema ${schema})`);
    try {
      await store.migrate(schema);
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw connectError(e, loc);
    }
    return store;
  }

  /** The schema version this code writes. */
  static get schemaVersion(): number {
    return MIGRATIONS.length;
  }

  private async migrate(schema: string): Promise<void> {
    await this.transaction(async (c) => {
      // Two schedulers starting at once: the second waits here, then finds the tables made.
      await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK, schema]);
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${this.s}`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${this.s}.riffle_schema_version (version integer PRIMARY KEY, applied_at bigint NOT NULL)`);
      const { rows } = await c.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${this.s}.riffle_schema_version`);
      const current = rows[0]?.v ?? 0;
      if (current > MIGRATIONS.length) {
        throw new MetadataStoreError('STORE_TOO_NEW', `the metadata store ${this.location} has schema version ${current}; this Riffle knows versions up to ${MIGRATIONS.length}`, {
          hint: 'upgrade Riffle on this machine, or point --store at another database or schema',
        });
      }
      for (let v = current + 1; v <= MIGRATIONS.length; v++) {
        await c.query(MIGRATIONS[v - 1]!(this.s));
        await c.query(`INSERT INTO ${this.s}.riffle_schema_version (version, applied_at) VALUES ($1, $2)`, [v, Date.now()]);
      }
    });
  }

  private async transaction<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new MetadataStoreError('STORE_CLOSED', 'the metadata store is closed');
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  private async q<R extends QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    if (this.closed) throw new MetadataStoreError('STORE_CLOSED', 'the metadata store is closed');
    try {
      return (await this.pool.query<R>(sql, params)).rows;
    } catch (e) {
      if (e instanceof MetadataStoreError) throw e;
      throw new MetadataStoreError('STORE_QUERY_FAILED', `PostgreSQL store ${this.location}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  // ---- DAGs ----

  async upsertDag(d: DagRecord): Promise<void> {
    await this.q(
      `INSERT INTO ${this.s}.riffle_dag (dag_id, fileloc, schedule, timezone, is_paused, tags, description) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)
       ON CONFLICT (dag_id) DO UPDATE SET fileloc = EXCLUDED.fileloc, schedule = EXCLUDED.schedule, timezone = EXCLUDED.timezone,
         is_paused = EXCLUDED.is_paused, tags = EXCLUDED.tags, description = EXCLUDED.description`,
      [d.dagId, d.fileloc, d.schedule, d.timezone, d.isPaused, JSON.stringify(d.tags), d.description],
    );
  }
  async getDag(dagId: string): Promise<DagRecord | undefined> {
    const [row] = await this.q(`SELECT * FROM ${this.s}.riffle_dag WHERE dag_id = $1`, [dagId]);
    return row && dagOf(row);
  }
  async listDags(): Promise<DagRecord[]> {
    return (await this.q(`SELECT * FROM ${this.s}.riffle_dag`)).map(dagOf).sort((a, b) => a.dagId.localeCompare(b.dagId));
  }
  async setDagPaused(dagId: string, paused: boolean): Promise<void> {
    const rows = await this.q(`UPDATE ${this.s}.riffle_dag SET is_paused = $2 WHERE dag_id = $1 RETURNING 1`, [dagId, paused]);
    if (rows.length === 0) throw new MetadataStoreError('DAG_NOT_FOUND', `no dag '${dagId}' in the metadata store`, { hint: 'run the scheduler once so that it records the DAG files' });
  }

  // ---- runs ----

  async createDagRun(r: DagRunRecord): Promise<boolean> {
    // No conflict target: both the run id and the (dag, logical date) are unique.
    const rows = await this.q(
      `INSERT INTO ${this.s}.riffle_dag_run (dag_id, run_id, run_type, state, logical_date, data_interval_start, data_interval_end, conf, queued_at, start_date, end_date)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11) ON CONFLICT DO NOTHING RETURNING 1`,
      [r.dagId, r.runId, r.runType, r.state, r.logicalDate, r.dataIntervalStart, r.dataIntervalEnd, JSON.stringify(r.conf), r.queuedAt, r.startDate, r.endDate],
    );
    return rows.length === 1;
  }
  async getDagRun(dagId: string, runId: string): Promise<DagRunRecord | undefined> {
    const [row] = await this.q(`SELECT * FROM ${this.s}.riffle_dag_run WHERE dag_id = $1 AND run_id = $2`, [dagId, runId]);
    return row && runOf(row);
  }
  async listDagRuns(filter: DagRunFilter = {}): Promise<DagRunRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.dagId !== undefined) where.push(`dag_id = $${params.push(filter.dagId)}`);
    if (filter.states) where.push(`state = ANY($${params.push([...filter.states])})`);
    if (filter.runTypes) where.push(`run_type = ANY($${params.push([...filter.runTypes])})`);
    const rows = await this.q(`SELECT * FROM ${this.s}.riffle_dag_run${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY logical_date`, params);
    return rows.map(runOf).sort((a, b) => a.logicalDate - b.logicalDate || a.dagId.localeCompare(b.dagId));
  }
  async latestDagRun(dagId: string, runTypes?: readonly DagRunType[]): Promise<DagRunRecord | undefined> {
    const [row] = runTypes
      ? await this.q(`SELECT * FROM ${this.s}.riffle_dag_run WHERE dag_id = $1 AND run_type = ANY($2) ORDER BY logical_date DESC LIMIT 1`, [dagId, [...runTypes]])
      : await this.q(`SELECT * FROM ${this.s}.riffle_dag_run WHERE dag_id = $1 ORDER BY logical_date DESC LIMIT 1`, [dagId]);
    return row && runOf(row);
  }
  async updateDagRun(dagId: string, runId: string, patch: Partial<Omit<DagRunRecord, 'dagId' | 'runId'>>, expectStates?: readonly DagRunState[]): Promise<boolean> {
    const sets: string[] = [];
    const params: unknown[] = [dagId, runId];
    for (const [k, v] of Object.entries(patch)) {
      const col = RUN_COLUMN.get(k);
      if (col === undefined || v === undefined || k === 'logicalDate') continue;
      sets.push(k === 'conf' ? `conf = $${params.push(JSON.stringify(v))}::jsonb` : `${col} = $${params.push(v)}`);
    }
    let where = 'dag_id = $1 AND run_id = $2';
    if (expectStates) where += ` AND state = ANY($${params.push([...expectStates])})`;
    if (patch.logicalDate !== undefined) {
      // The logical date is part of a run's identity (unique per DAG): refuse to change it, as the journal store does.
      const [row] = await this.q<{ logical_date: number }>(`SELECT logical_date FROM ${this.s}.riffle_dag_run WHERE dag_id = $1 AND run_id = $2`, [dagId, runId]);
      if (row && row.logical_date !== patch.logicalDate) throw new MetadataStoreError('IMMUTABLE', 'the logical date of a run cannot change');
    }
    const rows = await this.q(`UPDATE ${this.s}.riffle_dag_run SET ${sets.length > 0 ? sets.join(', ') : 'state = state'} WHERE ${where} RETURNING 1`, params);
    return rows.length === 1;
  }

  // ---- task instances ----

  async createTaskInstances(tis: readonly TaskInstanceRecord[]): Promise<void> {
    if (tis.length === 0) return;
    // One statement for any number of rows: a parameter per column, each an array.
    const params = TI_COLUMNS.map(([k]) => tis.map((ti) => ti[k]));
    const unnest = TI_COLUMNS.map(([, , type], i) => `$${i + 1}::${type}[]`).join(', ');
    await this.q(
      `INSERT INTO ${this.s}.riffle_task_instance (${TI_COLUMNS.map(([, c]) => c).join(', ')}) SELECT * FROM unnest(${unnest}) ON CONFLICT DO NOTHING`,
      params,
    );
  }
  async getTaskInstance(key: TaskInstanceKey): Promise<TaskInstanceRecord | undefined> {
    const [row] = await this.q(`SELECT * FROM ${this.s}.riffle_task_instance WHERE ${KEY_WHERE}`, keyParams(key));
    return row && tiOf(row);
  }
  async listTaskInstances(filter: TaskInstanceFilter): Promise<TaskInstanceRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.dagId !== undefined) where.push(`dag_id = $${params.push(filter.dagId)}`);
    if (filter.runId !== undefined) where.push(`run_id = $${params.push(filter.runId)}`);
    if (filter.taskId !== undefined) where.push(`task_id = $${params.push(filter.taskId)}`);
    if (filter.states) where.push(`state = ANY($${params.push([...filter.states])})`);
    return (await this.q(`SELECT * FROM ${this.s}.riffle_task_instance${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}`, params)).map(tiOf);
  }
  async updateTaskInstance(key: TaskInstanceKey, patch: Partial<Omit<TaskInstanceRecord, keyof TaskInstanceKey>>, expect: TaskInstanceExpectation = {}): Promise<boolean> {
    const params: unknown[] = keyParams(key);
    const sets: string[] = [];
    for (const [k, v] of Object.entries({ ...patch, updatedAt: patch.updatedAt ?? Date.now() })) {
      const col = TI_COLUMN.get(k);
      if (col === undefined || v === undefined || ['dagId', 'runId', 'taskId', 'mapIndex'].includes(k)) continue;
      sets.push(`${col} = $${params.push(v)}`);
    }
    let where = KEY_WHERE;
    if (expect.states) where += ` AND state = ANY($${params.push([...expect.states])})`;
    if (expect.tryNumber !== undefined) where += ` AND try_number = $${params.push(expect.tryNumber)}`;
    const rows = await this.q(`UPDATE ${this.s}.riffle_task_instance SET ${sets.join(', ')} WHERE ${where} RETURNING 1`, params);
    return rows.length === 1;
  }
  async claimTaskInstances(requests: readonly ClaimRequest[], owner: string, o: ClaimOptions): Promise<TaskInstanceRecord[]> {
    checkClaim(requests, o);
    if (requests.length === 0 || o.limit === 0) return [];
    // One transaction, as Airflow's critical section is (it locks the pool rows):
    // 1. take the store's claim lock, so that claims of all schedulers run one after another (every limit — pool,
    //    DAG, task — is counted and consumed under it; only a claim makes an instance queued, so nothing else
    //    raises the counts meanwhile); it is released by COMMIT or ROLLBACK;
    // 2. lock the wanted rows that are still scheduled, skipping rows other writers hold (re-checked next pass);
    // 3. count what queued and running instances occupy in the DAGs, tasks and pools concerned;
    // 4. choose, in request order, the instances that fit (ClaimBudget, as the journal store does);
    // 5. mark those queued for `owner`, recording the pool they occupy.
    try {
      const rows = await this.transaction(async (c) => {
        await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [CLAIM_LOCK, this.schema]);
        const { rows: locked } = await c.query<{ dag_id: string; run_id: string; task_id: string; map_index: number }>(
          `WITH wanted AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int4[]) AS k(dag_id, run_id, task_id, map_index))
           SELECT ti.dag_id, ti.run_id, ti.task_id, ti.map_index FROM ${this.s}.riffle_task_instance ti
           JOIN wanted w ON ti.dag_id = w.dag_id AND ti.run_id = w.run_id AND ti.task_id = w.task_id AND ti.map_index = w.map_index
           WHERE ti.state = 'scheduled' FOR UPDATE OF ti SKIP LOCKED`,
          [requests.map((k) => k.dagId), requests.map((k) => k.runId), requests.map((k) => k.taskId), requests.map((k) => k.mapIndex)],
        );
        if (locked.length === 0) return [];
        const candidates = new Set(locked.map((r) => tiKey({ dagId: r.dag_id, runId: r.run_id, taskId: r.task_id, mapIndex: r.map_index })));
        const { rows: occupied } = await c.query<{ dag_id: string; task_id: string; pool: string; instances: number; slots: number }>(
          `SELECT dag_id, task_id, pool, count(*)::int4 AS instances, sum(pool_slots)::int4 AS slots FROM ${this.s}.riffle_task_instance
           WHERE state IN ('queued', 'running') AND (dag_id = ANY($1) OR pool = ANY($2)) GROUP BY dag_id, task_id, pool`,
          [[...new Set(requests.map((r) => r.dagId))], [...new Set(requests.map((r) => r.pool))]],
        );
        const budget = new ClaimBudget(occupied.map((r) => ({ dagId: r.dag_id, taskId: r.task_id, pool: r.pool, instances: r.instances, slots: r.slots })), o);
        const chosen: ClaimRequest[] = [];
        for (const r of requests) {
          if (budget.full) break;
          if (candidates.delete(tiKey(r)) && budget.take(r)) chosen.push(r);
        }
        if (chosen.length === 0) return [];
        const { rows: updated } = await c.query(
          `UPDATE ${this.s}.riffle_task_instance t SET state = 'queued', owner = $7, pool = p.pool, pool_slots = p.pool_slots, updated_at = $8
           FROM unnest($1::text[], $2::text[], $3::text[], $4::int4[], $5::text[], $6::int4[]) AS p(dag_id, run_id, task_id, map_index, pool, pool_slots)
           WHERE t.dag_id = p.dag_id AND t.run_id = p.run_id AND t.task_id = p.task_id AND t.map_index = p.map_index
           RETURNING t.*`,
          [chosen.map((k) => k.dagId), chosen.map((k) => k.runId), chosen.map((k) => k.taskId), chosen.map((k) => k.mapIndex), chosen.map((k) => k.pool), chosen.map((k) => k.poolSlots), owner, Date.now()],
        );
        return updated;
      });
      const order = new Map(requests.map((k, i) => [tiKey(k), i]));
      return rows.map(tiOf).sort((a, b) => order.get(tiKey(a))! - order.get(tiKey(b))!);
    } catch (e) {
      if (e instanceof MetadataStoreError) throw e;
      throw new MetadataStoreError('STORE_QUERY_FAILED', `PostgreSQL store ${this.location}: claiming task instances: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  // ---- XComs ----

  async setXCom(x: XComRecord): Promise<void> {
    await this.q(
      `INSERT INTO ${this.s}.riffle_xcom (dag_id, run_id, task_id, map_index, key, value) VALUES ($1, $2, $3, $4, $5, $6::jsonb)
       ON CONFLICT (dag_id, run_id, task_id, map_index, key) DO UPDATE SET value = EXCLUDED.value`,
      [...keyParams(x), x.key, JSON.stringify(x.value ?? null)],
    );
  }
  async getXCom(key: TaskInstanceKey, xcomKey = 'return_value'): Promise<XComRecord | undefined> {
    const [row] = await this.q(`SELECT * FROM ${this.s}.riffle_xcom WHERE ${KEY_WHERE} AND key = $5`, [...keyParams(key), xcomKey]);
    return row && xcomOf(row);
  }
  async listXComs(dagId: string, runId: string, taskId?: string): Promise<XComRecord[]> {
    const rows = taskId === undefined
      ? await this.q(`SELECT * FROM ${this.s}.riffle_xcom WHERE dag_id = $1 AND run_id = $2`, [dagId, runId])
      : await this.q(`SELECT * FROM ${this.s}.riffle_xcom WHERE dag_id = $1 AND run_id = $2 AND task_id = $3`, [dagId, runId, taskId]);
    return rows.map(xcomOf).sort((a, b) => a.taskId.localeCompare(b.taskId) || a.mapIndex - b.mapIndex || a.key.localeCompare(b.key));
  }
  async clearXComs(key: TaskInstanceKey): Promise<void> {
    await this.q(`DELETE FROM ${this.s}.riffle_xcom WHERE ${KEY_WHERE}`, keyParams(key));
  }

  // ---- logs ----

  async appendLog(key: TaskInstanceKey, tryNumber: number, text: string): Promise<void> {
    await this.q(`INSERT INTO ${this.s}.riffle_task_log (dag_id, run_id, task_id, map_index, try_number, text) VALUES ($1, $2, $3, $4, $5, $6)`, [...keyParams(key), tryNumber, text.replaceAll('\u0000', '')]);
  }
  async readLog(key: TaskInstanceKey, tryNumber: number): Promise<string> {
    const [row] = await this.q<{ text: string | null }>(`SELECT string_agg(text, '' ORDER BY seq) AS text FROM ${this.s}.riffle_task_log WHERE ${KEY_WHERE} AND try_number = $5`, [...keyParams(key), tryNumber]);
    return row?.text ?? '';
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

async function loadDriver(): Promise<typeof import('pg').default> {
  try {
    return (await import('pg')).default;
  } catch (e) {
    throw new MetadataStoreError('STORE_DRIVER_MISSING', `the PostgreSQL store needs the 'pg' package, which cannot be loaded: ${e instanceof Error ? e.message : String(e)}`, {
      hint: 'run npm install (pg is a dependency of riffle)', cause: e,
    });
  }
}

function connectError(e: unknown, loc: PostgresLocation): unknown {
  if (e instanceof MetadataStoreError) return e;
  const code = (e as { code?: string }).code;
  const message = e instanceof Error ? e.message : String(e);
  const hint = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || /timeout/i.test(message)
    ? 'is the server running and reachable from here? check host and port in --store / RIFFLE_ORCHESTRATOR_STORE'
    : code === '3D000'
      ? `create the database first (createdb ${loc.database})`
      : code === '28P01' || code === '28000'
        ? 'check the user and password in the URL (or PGPASSWORD / ~/.pgpass)'
        : 'check the URL: postgres://user[:password]@host[:port]/database[?schema=name]';
  return new MetadataStoreError('STORE_UNREACHABLE', `cannot open the PostgreSQL metadata store at ${redactUrl(loc)}: ${message}`, { hint, cause: e });
}

const tiKey = (k: TaskInstanceKey) => `${k.dagId}\u0000${k.runId}\u0000${k.taskId}\u0000${k.mapIndex}`;
const keyParams = (k: TaskInstanceKey): unknown[] => [k.dagId, k.runId, k.taskId, k.mapIndex];
