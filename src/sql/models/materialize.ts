/**
 * Materializations: how a model's compiled SELECT becomes a relation in the DuckDB database file, or a Delta table.
 *
 * - `view`, `table`: CREATE OR REPLACE (an object of the other kind under the name is dropped first).
 * - `incremental`: the first run (or `--full-refresh`) creates the table; later runs build the new rows in a
 *   temporary table, then by strategy: `append` inserts them; `merge` (MERGE INTO on `unique_key`: matched rows
 *   updated, others inserted; without a key it appends); `delete+insert` deletes the target's rows whose key is among
 *   the new rows', then inserts; `insert_overwrite` replaces the partitions (`partition_by` values) the new rows hold.
 *   The model's `{% if is_incremental() %}` filter decides what "new" is (a lookback window is written there:
 *   `where day >= (select max(day) from {{ this }}) - interval 3 day`). `on_schema_change` (ignore, fail,
 *   append_new_columns, sync_all_columns) handles columns that appear or go.
 * - `delta`: the rows are written to a Delta table at `location` (relative to the project folder) through the
 *   lakehouse, replacing it (schema included); downstream models read it with `delta('<location>')`.
 *
 * Each materialization runs in one DuckDB transaction: a failure leaves the previous relation as it was.
 */
import { existsSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { Row } from '../../lakehouse/index.ts';
import type { SqlSession } from '../sql-session.ts';
import { ModelsError } from './models-error.ts';
import type { ModelNode } from './project-graph.ts';

/** What a materialization did. */
export interface MaterializeResult {
  /** Rows in the relation after the run (tables, incremental, delta), or undefined (views). */
  readonly rows?: number;
  /** For incremental runs: rows the new data held. */
  readonly newRows?: number;
  readonly mode?: 'create' | 'incremental' | 'full-refresh';
}

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The kind of object under a name in the main schema ('BASE TABLE', 'VIEW'), or undefined. */
export async function relationKind(session: SqlSession, name: string): Promise<string | undefined> {
  const r = await session.query(`select table_type from information_schema.tables where table_schema = 'main' and table_name = '${name.replace(/'/g, "''")}'`);
  return r.rows.length > 0 ? String(r.rows[0][0]) : undefined;
}

async function columnsOf(session: SqlSession, relation: string): Promise<{ name: string; type: string }[]> {
  const r = await session.query(`describe ${relation}`);
  return r.rows.map((row) => ({ name: String(row[0]), type: String(row[1]) }));
}

async function count(session: SqlSession, relation: string): Promise<number> {
  const r = await session.query(`select count(*) from ${relation}`);
  return Number(r.rows[0][0]);
}

async function inTransaction<T>(session: SqlSession, f: () => Promise<T>): Promise<T> {
  await session.query('begin transaction');
  try {
    const out = await f();
    await session.query('commit');
    return out;
  } catch (e) {
    await session.query('rollback').catch(() => undefined);
    throw e;
  }
}

/** Materializes a model whose compiled SQL is `sql`. `identifier` is its name in the main schema. */
export async function materialize(session: SqlSession, node: ModelNode, identifier: string, sql: string, options: { fullRefresh: boolean; projectDir: string }): Promise<MaterializeResult> {
  const rel = `main.${q(identifier)}`;
  const c = node.config;
  switch (c.materialized) {
    case 'view':
      return inTransaction(session, async () => {
        if ((await relationKind(session, identifier)) === 'BASE TABLE') await session.query(`drop table ${rel}`);
        await session.query(`create or replace view ${rel} as (\n${sql}\n)`);
        return {};
      });
    case 'table':
      return inTransaction(session, async () => {
        if ((await relationKind(session, identifier)) === 'VIEW') await session.query(`drop view ${rel}`);
        await session.query(`create or replace table ${rel} as (\n${sql}\n)`);
        return { rows: await count(session, rel), mode: 'create' };
      });
    case 'incremental':
      return inTransaction(session, () => incremental(session, node, identifier, rel, sql, options.fullRefresh && c.full_refresh !== false));
    case 'delta':
      return writeDelta(session, node, sql, options.projectDir);
    case 'ephemeral':
      return {};
  }
}

async function incremental(session: SqlSession, node: ModelNode, identifier: string, rel: string, sql: string, fullRefresh: boolean): Promise<MaterializeResult> {
  const c = node.config;
  const kind = await relationKind(session, identifier);
  if (kind === undefined || fullRefresh || kind === 'VIEW') {
    if (kind === 'VIEW') await session.query(`drop view ${rel}`);
    await session.query(`create or replace table ${rel} as (\n${sql}\n)`);
    return { rows: await count(session, rel), mode: kind === undefined ? 'create' : 'full-refresh' };
  }
  const tmp = q(`__riffle_new_${identifier}`);
  await session.query(`create or replace temp table ${tmp} as (\n${sql}\n)`);
  try {
    const newCols = await columnsOf(session, tmp);
    let targetCols = await columnsOf(session, rel);
    const targetNames = new Set(targetCols.map((x) => x.name));
    const newNames = new Set(newCols.map((x) => x.name));
    const added = newCols.filter((x) => !targetNames.has(x.name));
    const gone = targetCols.filter((x) => !newNames.has(x.name));
    const policy = c.on_schema_change ?? 'ignore';
    if ((added.length > 0 || gone.length > 0) && policy === 'fail') {
      throw new ModelsError('MODELS_SQL', `${node.file}: the new rows' columns differ from ${identifier}'s (${[...added.map((x) => `+${x.name}`), ...gone.map((x) => `-${x.name}`)].join(', ')}) and on_schema_change is 'fail'`, { hint: "run with --full-refresh to rebuild it, or set on_schema_change to 'append_new_columns' or 'sync_all_columns'" });
    }
    if (policy === 'append_new_columns' || policy === 'sync_all_columns') {
      for (const col of added) await session.query(`alter table ${rel} add column ${q(col.name)} ${col.type}`);
      if (policy === 'sync_all_columns') for (const col of gone) await session.query(`alter table ${rel} drop column ${q(col.name)}`);
      targetCols = await columnsOf(session, rel);
    }
    const shared = targetCols.map((x) => x.name).filter((n) => newNames.has(n));
    const cols = shared.map(q).join(', ');
    const keys = c.unique_key ?? [];
    for (const k of keys) if (!newNames.has(k) || !shared.includes(k)) throw new ModelsError('MODELS_SQL', `${node.file}: unique_key '${k}' is not a column of both the new rows and ${identifier}`);
    const on = keys.map((k) => `t.${q(k)} is not distinct from s.${q(k)}`).join(' and ');
    const strategy = c.incremental_strategy ?? (keys.length > 0 ? 'delete+insert' : 'append');
    const insert = `insert into ${rel} (${cols}) select ${cols} from ${tmp}`;
    switch (strategy) {
      case 'append':
        await session.query(insert);
        break;
      case 'merge': {
        if (keys.length === 0) {
          await session.query(insert);
          break;
        }
        const updatable = (c.merge_update_columns ?? shared).filter((n) => !keys.includes(n) && shared.includes(n));
        const update = updatable.length > 0 ? `when matched then update set ${updatable.map((n) => `${q(n)} = s.${q(n)}`).join(', ')}` : '';
        await session.query(`merge into ${rel} as t using ${tmp} as s on (${on}) ${update} when not matched then insert (${cols}) values (${shared.map((n) => `s.${q(n)}`).join(', ')})`);
        break;
      }
      case 'delete+insert':
        await session.query(`delete from ${rel} as t where exists (select 1 from ${tmp} as s where ${on})`);
        await session.query(insert);
        break;
      case 'insert_overwrite': {
        const parts = c.partition_by ?? [];
        const match = parts.map((p) => `t.${q(p)} is not distinct from s.${q(p)}`).join(' and ');
        await session.query(`delete from ${rel} as t where exists (select 1 from (select distinct ${parts.map(q).join(', ')} from ${tmp}) as s where ${match})`);
        await session.query(insert);
        break;
      }
    }
    return { rows: await count(session, rel), newRows: await count(session, tmp), mode: 'incremental' };
  } finally {
    await session.query(`drop table if exists ${tmp}`).catch(() => undefined);
  }
}

/** The absolute location of a delta model (inside the project folder unless given absolute). */
export function deltaLocation(node: ModelNode, projectDir: string): string {
  const location = node.config.location as string;
  const abs = resolve(projectDir, location);
  if (!location.startsWith('/') && !abs.startsWith(resolve(projectDir) + sep)) {
    throw new ModelsError('MODELS_CONFIG', `${node.file}: location '${location}' leaves the project folder`, { hint: 'give a path inside the project folder, or an absolute path' });
  }
  return abs;
}

type DeltaTypeName = 'string' | 'long' | 'integer' | 'double' | 'boolean' | 'timestamp' | 'date';

function deltaTypeOf(duckType: string, column: string, file: string): DeltaTypeName {
  const t = duckType.toUpperCase();
  if (t === 'VARCHAR' || t.startsWith('ENUM') || t === 'UUID') return 'string';
  if (t === 'BIGINT' || t === 'HUGEINT' || t === 'UBIGINT' || t === 'UINTEGER') return 'long';
  if (t === 'INTEGER' || t === 'SMALLINT' || t === 'TINYINT' || t === 'USMALLINT' || t === 'UTINYINT') return 'integer';
  if (t === 'DOUBLE' || t === 'FLOAT' || t.startsWith('DECIMAL')) return 'double';
  if (t === 'BOOLEAN') return 'boolean';
  if (t === 'DATE') return 'date';
  if (t.startsWith('TIMESTAMP')) return 'timestamp';
  throw new ModelsError('MODELS_SQL', `${file}: column '${column}' has type ${duckType}, which a delta model cannot write`, { hint: 'cast it to VARCHAR, BIGINT, INTEGER, DOUBLE, BOOLEAN, DATE or TIMESTAMP' });
}

async function writeDelta(session: SqlSession, node: ModelNode, sql: string, projectDir: string): Promise<MaterializeResult> {
  const location = deltaLocation(node, projectDir);
  const result = await session.query(sql, { values: 'js' });
  const types = result.columns.map((c) => deltaTypeOf(c.type, c.name, node.file));
  const schema: Record<string, DeltaTypeName> = Object.fromEntries(result.columns.map((c, i) => [c.name, types[i]]));
  const rows = result.rows.map((r) => {
    const row: Record<string, unknown> = {};
    result.columns.forEach((c, i) => {
      const v = r[i];
      row[c.name] = v === null || v === undefined ? null : types[i] === 'double' && typeof v === 'string' ? Number(v) : types[i] === 'long' && typeof v === 'number' ? BigInt(v) : v;
    });
    return row;
  });
  const { DeltaTable } = await import('../../lakehouse/index.ts');
  const partitionBy = node.config.partition_by ? [...node.config.partition_by] : [];
  if (!existsSync(join(location, '_delta_log'))) {
    const table = await DeltaTable.create(location, { schema, partitionBy });
    if (rows.length > 0) await table.append(rows as Row[]);
  } else {
    const table = await DeltaTable.open(location);
    await table.overwrite(rows as Row[], { overwriteSchema: true, schema, partitionBy });
  }
  return { rows: rows.length, mode: 'create' };
}
