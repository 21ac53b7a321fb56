/**
 * What a `riffle cdc` command needs: create a publication and its slot, show a slot's lag, drop them. Names are
 * quoted identifiers; the slot uses pgoutput.
 */
import { ConfigError } from '../../model/index.ts';
import { openClient } from './connection.ts';
import { describePgError, PostgresError } from './pg-errors.ts';
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
    const { rowCount: slots } = await client.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [options.slot]);
    if (!slots) await client.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [options.slot]);
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
  return (await slotStatus(url, options.slot))!;
}

/** The slot's status, or undefined when there is no such slot. */
export async function slotStatus(url: string, slot: string): Promise<SlotStatus | undefined> {
  const client = await openClient(url, `cdc status (slot ${slot})`);
  try {
    const { rows } = await client.query<{ active: boolean; confirmed: string | null; current: string; lag: string | null }>(
      `SELECT active, confirmed_flush_lsn::text AS confirmed, pg_current_wal_lsn()::text AS current,
              pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text AS lag
         FROM pg_replication_slots WHERE slot_name = $1`, [slot],
    );
    const row = rows[0];
    if (!row) return undefined;
    return { slot, active: row.active, confirmedLsn: row.confirmed, currentLsn: row.current, lagBytes: row.lag === null ? null : Number(row.lag) };
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
  } finally {
    await client.end().catch(() => {});
  }
}
