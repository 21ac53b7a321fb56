/**
 * What a `riffle cdc` command needs: create a publication and its slot, show a slot's lag, drop them. Names are
 * quoted identifiers; the slot uses pgoutput.
 */
import type { Client } from 'pg';
import { ConfigError } from '../../model/index.ts';
import { openClient } from './connection.ts';
import { describePgError, PostgresError } from './pg-errors.ts';
import { decodePgOutput, pgTimeToMs } from './pgoutput.ts';
import { parseTableName, quoteIdent, quoteTable } from './sql-names.ts';

/** A slot's state: how far the consumer confirmed, and how much WAL the server keeps for it. */
export interface SlotStatus {
  readonly slot: string;
  readonly publication?: string;
  /** A consumer is connected. */
  readonly active: boolean;
  readonly confirmedLsn: string | null;
  readonly currentLsn: string;
  /** WAL bytes between the confirmed LSN and now: what the consumer has not committed yet. */
  readonly lagBytes: number | null;
  /**
   * How far behind the consumer is in time, ms, where the server can tell: for an active slot, its walsender's
   * flush lag (`pg_stat_replication.flush_lag`: the time between a WAL write and the consumer's confirmation of it);
   * for an inactive slot with a publication, the age of the oldest transaction not yet confirmed (its commit time,
   * peeked from the slot without consuming); 0 when nothing is pending; null when not measurable.
   */
  readonly lagMs: number | null;
  /** How `lagMs` was measured: 'flush_lag', 'oldest_unconfirmed', 'none_pending', or null. */
  readonly lagSource: 'flush_lag' | 'oldest_unconfirmed' | 'none_pending' | null;
  /** PostgreSQL's `wal_status` of the slot: reserved, extended, unreserved or lost (its WAL is gone). */
  readonly walStatus: string | null;
}

/**
 * Creates the publication (for the tables, or all tables when none are given) and the pgoutput slot, each only when
 * missing. Returns the slot's status.
 *
 * @example await setupCdc(url, { publication: 'riffle_pub', slot: 'riffle_slot', tables: ['public.orders'] });
 */
export async function setupCdc(url: string, options: { publication: string; slot: string; tables?: readonly string[] }): Promise<SlotStatus> {
  const what = `cdc setup (slot ${options.slot})`;
  if (!/^[a-z0-9_]{1,63}$/.test(options.slot)) throw new ConfigError(`${what}: slot '${options.slot}' is not a valid replication slot name`, { hint: 'use lower-case letters, digits and _ (at most 63)' });
  const tables = (options.tables ?? []).map((t) => quoteTable(parseTableName(t, what)));
  const client = await openClient(url, what);
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [options.publication]);
    if (!rowCount) {
      await client.query(`CREATE PUBLICATION ${quoteIdent(options.publication)} ${tables.length > 0 ? `FOR TABLE ${tables.join(', ')}` : 'FOR ALL TABLES'}`);
    }
    const { rows: slots } = await client.query<{ plugin: string | null; database: string | null; db: string }>(
      'SELECT plugin, database, current_database() AS db FROM pg_replication_slots WHERE slot_name = $1', [options.slot],
    );
    const existing = slots[0];
    if (!existing) await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [options.slot]);
    else if (existing.plugin !== 'pgoutput' || existing.database !== existing.db) {
      throw new ConfigError(`${what}: a slot '${options.slot}' exists already, ${existing.plugin === null ? 'a physical slot' : `with plugin ${existing.plugin}`} on database ${existing.database ?? '(none)'}`, {
        hint: 'choose another slot name (Riffle needs a logical pgoutput slot on this database)',
      });
    }
  } catch (cause) {
    if (cause instanceof ConfigError) throw cause;
    const { code, reason } = describePgError(cause);
    throw new PostgresError(`${what}: ${reason}`, {
      cause,
      hint: code === '55000' ? "set wal_level = logical in the server's configuration and restart it" : undefined,
    });
  } finally {
    await client.end().catch(() => {});
  }
  return (await slotStatus(url, options.slot, { publication: options.publication }))!;
}

/**
 * The slot's status, or undefined when there is no such slot. `publication` (the slot's consumer's publication) lets
 * an inactive slot's lag be measured in time: the oldest unconfirmed transaction is peeked (decoded, not consumed).
 */
export async function slotStatus(url: string, slot: string, options: { publication?: string } = {}): Promise<SlotStatus | undefined> {
  const what = `cdc status (slot ${slot})`;
  const client = await openClient(url, what);
  try {
    const { rows } = await client.query<{ active: boolean; pid: number | null; confirmed: string | null; current: string; lag: string | null; wal_status: string | null; plugin: string | null }>(
      `SELECT active, active_pid AS pid, confirmed_flush_lsn::text AS confirmed, pg_current_wal_lsn()::text AS current,
              pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text AS lag, wal_status, plugin
         FROM pg_replication_slots WHERE slot_name = $1`, [slot],
    );
    const row = rows[0];
    if (!row) return undefined;
    const lagBytes = row.lag === null ? null : Number(row.lag);
    let lagMs: number | null = null;
    let lagSource: SlotStatus['lagSource'] = null;
    if (row.active && row.pid !== null) {
      const { rows: [rep] } = await client.query<{ ms: string | null }>(
        'SELECT (extract(epoch FROM flush_lag) * 1000)::text AS ms FROM pg_stat_replication WHERE pid = $1', [row.pid],
      );
      if (rep?.ms !== null && rep?.ms !== undefined) { lagMs = Math.round(Number(rep.ms)); lagSource = 'flush_lag'; }
    } else if (options.publication !== undefined && row.plugin === 'pgoutput' && row.wal_status !== 'lost') {
      ({ lagMs, lagSource } = await oldestUnconfirmedAge(client, slot, options.publication));
    }
    return {
      slot, ...(options.publication !== undefined ? { publication: options.publication } : {}),
      active: row.active, confirmedLsn: row.confirmed, currentLsn: row.current, lagBytes, lagMs, lagSource, walStatus: row.wal_status,
    };
  } catch (cause) {
    if (cause instanceof PostgresError) throw cause;
    throw new PostgresError(`${what}: ${describePgError(cause).reason}`, { cause });
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The age of the slot's oldest unconfirmed transaction: peeks at the first pgoutput message (a Begin, which carries
 * the commit time) without consuming it. A consumer that connects meanwhile makes the peek fail: then null.
 */
async function oldestUnconfirmedAge(client: Client, slot: string, publication: string): Promise<Pick<SlotStatus, 'lagMs' | 'lagSource'>> {
  try {
    const { rows } = await client.query<{ data: Buffer }>(
      `SELECT data FROM pg_logical_slot_peek_binary_changes($1, NULL, 1, 'proto_version', '1', 'publication_names', $2)`, [slot, quoteIdent(publication)],
    );
    const first = rows[0];
    if (!first) return { lagMs: 0, lagSource: 'none_pending' };
    const message = decodePgOutput(new Uint8Array(first.data));
    if (message.tag !== 'begin') return { lagMs: null, lagSource: null };
    return { lagMs: Math.max(0, Date.now() - pgTimeToMs(message.commitTime)), lagSource: 'oldest_unconfirmed' };
  } catch {
    return { lagMs: null, lagSource: null };
  }
}

/** A table of a publication: its key (the replica identity: primary key or chosen index) and columns. */
export interface PublishedTable {
  readonly schema: string;
  readonly table: string;
  /** The replica identity's columns (what a delete's `before` holds); [] with REPLICA IDENTITY FULL or NOTHING and no key. */
  readonly key: readonly string[];
  /** Columns in table order, with the type's name as `pg_type.typname` gives it (`int8`, `numeric`, `_text`, …). */
  readonly columns: readonly { readonly name: string; readonly type: string }[];
}

/**
 * The tables a publication publishes, each with its key and columns: what a consumer needs to mirror them (e.g.
 * MERGE keys of a warehouse table).
 *
 * @example const tables = await publicationTables(url, 'riffle_pub'); // [{ schema: 'public', table: 'orders', key: ['id'], columns }]
 */
export async function publicationTables(url: string, publication: string): Promise<PublishedTable[]> {
  const what = `cdc (publication ${publication})`;
  const client = await openClient(url, what);
  try {
    const { rows } = await client.query<{ schema: string; table: string; key: string[] | null; columns: { name: string; type: string }[] }>(
      `SELECT n.nspname AS schema, c.relname AS "table",
              (SELECT array_agg(a.attname::text ORDER BY array_position(i.indkey::int2[], a.attnum))
                 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])
                WHERE i.indrelid = c.oid AND (CASE c.relreplident WHEN 'i' THEN i.indisreplident ELSE i.indisprimary END)) AS key,
              (SELECT json_agg(json_build_object('name', a.attname, 'type', t.typname) ORDER BY a.attnum)
                 FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns
         FROM pg_publication_tables pt
         JOIN pg_namespace n ON n.nspname = pt.schemaname
         JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = pt.tablename
        WHERE pt.pubname = $1
        ORDER BY 1, 2`, [publication],
    );
    return rows.map((r) => ({ schema: r.schema, table: r.table, key: r.key ?? [], columns: r.columns }));
  } catch (cause) {
    throw new PostgresError(`${what}: ${describePgError(cause).reason}`, { cause });
  } finally {
    await client.end().catch(() => {});
  }
}

/** The names of the database's logical replication slots. */
export async function logicalSlots(url: string): Promise<string[]> {
  const client = await openClient(url, 'cdc status');
  try {
    const { rows } = await client.query<{ slot: string }>(
      "SELECT slot_name AS slot FROM pg_replication_slots WHERE slot_type = 'logical' AND database = current_database() ORDER BY 1",
    );
    return rows.map((r) => r.slot);
  } catch (cause) {
    throw new PostgresError(`cdc status: ${describePgError(cause).reason}`, { cause });
  } finally {
    await client.end().catch(() => {});
  }
}

/** Drops the slot (the server stops keeping WAL for it) and, when given, the publication. */
export async function dropCdc(url: string, options: { slot: string; publication?: string }): Promise<void> {
  const client = await openClient(url, `cdc drop (slot ${options.slot})`);
  try {
    await client.query('SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1', [options.slot]);
    if (options.publication !== undefined) await client.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(options.publication)}`);
  } catch (cause) {
    const { code, reason } = describePgError(cause);
    throw new PostgresError(`cdc drop (slot ${options.slot}): ${reason}`, {
      cause,
      hint: code === '55006' ? 'a consumer is connected to the slot: stop it first (riffle cdc status shows whether the slot is active)' : undefined,
    });
  } finally {
    await client.end().catch(() => {});
  }
}
