// Change data capture into a warehouse (the seed's scenario S2): PostgreSQL's changes → MERGE into Delta tables.
//
// io.postgres.changes reads a publication through a logical replication slot: first a consistent snapshot of its
// tables (`op: 'r'`), then the change stream (`c` insert, `u` update, `d` delete, `t` truncate), whole transactions in
// commit order. Each source table `schema.table` is mirrored by the Delta table `${warehouse}/schema.table`, created on
// its first change with a schema from the catalog (int2/int4 → integer, int8/oid → long, float → double, bool →
// boolean; numeric, dates, times, uuid, json … as strings, the exact text io.postgres gives them). Per bundle, the
// changes of each table are collapsed by key (the table's primary key or replica identity), in order — an update's
// TOASTed columns that did not change keep the value an earlier change of the bundle set, or the stored one — and
// applied in one MERGE commit per table:
//   - c, r, u → update the matched row (only the columns the change carries; TOAST-unchanged ones keep the stored
//     value, never null) or insert it;
//   - d → delete the matched row; an update that changed the key deletes the old key and upserts the new one;
//   - t → delete every row of the table (after the changes before it are applied);
//   - a column added to the source table appears in the next change: the MERGE adds it to the Delta table
//     (schema evolution; type inferred from its values).
// The MERGE runs in the sink's flush, which the engine awaits before the source's next batch: when the read position
// of a batch is checkpointed, its changes are committed to Delta, so the slot's confirmed LSN (advanced by
// `finalizeCheckpoint` once a checkpoint completes) never passes an unapplied change. Each MERGE also records, as a
// Delta `txn` (app id `riffle-cdc-warehouse:<slot>`), the commit LSN of the last transaction it holds: a replay (a
// restart from an older position, or a run of a job without checkpoints, which re-reads the slot from its confirmed
// LSN) skips the transactions before it, so every Delta table equals its source table whatever was replayed.
//
// With --follow=false (the default) the read ends once it has caught up with the changes committed before it started
// (`until: 'caughtUp'`); --follow=true reads until cancelled.
//
// Known limit: a column added with a non-null DEFAULT fills the existing rows without any change event (PostgreSQL
// writes no WAL per row for it): those rows hold null in Delta until they change. Add columns without a default, or
// backfill with an UPDATE.
//
//   RIFFLE_PG_URL=postgres://user@host/db riffle cdc setup --publication shop --slot shop_warehouse --tables public.customers
//   RIFFLE_PG_URL=postgres://user@host/db node bin/riffle.js run examples/cdc-warehouse.ts --publication=shop --slot=shop_warehouse --warehouse=out/warehouse
import { Buffer } from 'node:buffer';
import { ConfigError, io, Pipeline, writeTo, type Sink, type SinkContext, type SinkWriter } from 'riffle';
import { DeltaTable, MergeBuilder, type DeltaType, type MergeRow, type Row } from 'riffle/lakehouse';

type ChangeEvent = io.postgres.ChangeEvent;
type PublishedTable = io.postgres.PublishedTable;
type Value = string | number | bigint | boolean | null;

/** A table's changes since its last MERGE, and the commit LSN of the last transaction among them. */
interface TableChanges {
  changes: Map<string, RowChange>;
  upTo: bigint;
}

/** PostgreSQL's `16/B374D848` as a number (exact below 2^53 bytes of WAL: 8 PiB). */
const lsnOf = (text: string): bigint => {
  const [hi, lo] = text.split('/') as [string, string];
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
};

/** What a bundle's changes of one row come to: its last state (an upsert, with the columns it carries) or a delete. */
interface RowChange {
  op: 'upsert' | 'delete';
  key: Row;
  row: Row;
  /** Columns whose stored value stays (TOAST unchanged and not set by an earlier change of the bundle). */
  unchanged: Set<string>;
}

/** The Delta type of a PostgreSQL column type (pg_type.typname); io.postgres gives the other types as strings. */
export function deltaType(pgType: string): DeltaType {
  switch (pgType) {
    case 'int2': case 'int4': return 'integer';
    case 'int8': case 'oid': return 'long';
    case 'float4': case 'float8': return 'double';
    case 'bool': return 'boolean';
    default: return 'string';
  }
}

/** A value of io.postgres (pg-values.ts) as a Delta value: json and arrays as JSON text, bytea as base64. */
export function deltaValue(v: unknown, type: DeltaType | undefined): Value {
  if (v === null || v === undefined) return null;
  if (type === 'long' && typeof v === 'number') return BigInt(v);
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? Buffer.from(x).toString('base64') : x));
}

const OP = '__riffle_op';
const UNCHANGED = '__riffle_unchanged';

/**
 * The sink: per bundle, one MERGE per source table into its Delta table. Runs on one worker (changes must be applied
 * in commit order).
 */
export function deltaMirror(options: { url: string; publication: string; slot: string; warehouse: string }): Sink<ChangeEvent> {
  return {
    describe: () => `delta-mirror(${options.warehouse})`,
    guarantee: 'at-least-once',
    singleWorker: 'the Delta mirror applies changes in commit order',
    async open(context: SinkContext): Promise<SinkWriter<ChangeEvent>> {
      const tables = new Map<string, PublishedTable>();
      for (const t of await io.postgres.publicationTables(options.url, options.publication)) tables.set(`${t.schema}.${t.table}`, t);
      const deltas = new Map<string, DeltaTable>();
      /** Per table: the commit LSN of the last transaction it holds (-1: none). */
      const applied = new Map<string, bigint>();
      const appId = `riffle-cdc-warehouse:${options.slot}`;
      let pending: ChangeEvent[] = [];

      const tableOf = (name: string): PublishedTable => {
        const t = tables.get(name);
        if (!t) throw new ConfigError(`${context.step}: a change of ${name}, which publication '${options.publication}' did not list when the job started`, { hint: 'restart the job after changing the publication' });
        if (t.key.length === 0) throw new ConfigError(`${context.step}: ${name} has no primary key or replica identity index to merge on`, { hint: `ALTER TABLE ${name} ADD PRIMARY KEY (…)` });
        return t;
      };
      const typesOf = (t: PublishedTable) => new Map(t.columns.map((c) => [c.name, deltaType(c.type)]));
      const deltaOf = async (t: PublishedTable): Promise<DeltaTable> => {
        const name = `${t.schema}.${t.table}`;
        let table = deltas.get(name);
        if (!table) {
          const path = `${options.warehouse}/${name}`;
          try {
            table = await DeltaTable.open(path);
          } catch {
            table = await DeltaTable.create(path, { schema: Object.fromEntries(t.columns.map((c) => [c.name, deltaType(c.type)])) });
          }
          deltas.set(name, table);
          const version = (await table.snapshot()).appTransactions.get(appId)?.version;
          applied.set(name, version === undefined ? -1n : BigInt(version));
        }
        return table;
      };

      /**
       * One MERGE commit into a table, recording (Delta `txn`, app id per slot) the commit LSN of the last transaction
       * it holds: a replay skips the transactions before it (the one at it is applied again, which ends in the same
       * rows: its changes in order over a state that holds some or all of them).
       */
      const commit = async (t: PublishedTable, source: Row[], build: (b: MergeBuilder) => MergeBuilder, upTo: bigint) => {
        const name = `${t.schema}.${t.table}`;
        const table = await deltaOf(t);
        const record = upTo > applied.get(name)!;
        const start = async () => {
          const tx = await table.startTransaction();
          if (record) tx.setAppTransaction(appId, Number(upTo));
          return tx;
        };
        const result = await build(new MergeBuilder(start, source, { on: t.key, mergeSchema: true })).execute();
        if (record && result.committed) applied.set(name, upTo);
      };

      /** The collapsed changes of one table as one MERGE: deletes, updates (TOAST-unchanged columns kept), inserts. */
      const merge = async (t: PublishedTable, pendingChanges: TableChanges) => {
        const { changes, upTo } = pendingChanges;
        if (changes.size === 0) return;
        const columns = new Set<string>();
        const source: Row[] = [];
        for (const c of changes.values()) {
          if (c.op === 'upsert') for (const k of Object.keys(c.row)) columns.add(k);
          source.push({ ...c.row, ...c.key, [OP]: c.op, [UNCHANGED]: [...c.unchanged].join('\u0000') });
        }
        const unchangedOf = (s: MergeRow) => new Set(String(s[UNCHANGED] ?? '').split('\u0000'));
        const set = Object.fromEntries([...columns].map((c) => [c, (target: MergeRow, s: MergeRow) => (unchangedOf(s).has(c) ? target[c] ?? null : s[c] ?? null)]));
        const values = Object.fromEntries([...columns].map((c) => [c, (s: MergeRow) => s[c] ?? null]));
        await commit(t, source, (b) => {
          const withDeletes = b.whenMatchedDelete({ condition: (_t, s) => s[OP] === 'delete' });
          return columns.size === 0 ? withDeletes : withDeletes
            .whenMatchedUpdate({ set, condition: (_t, s) => s[OP] === 'upsert' })
            .whenNotMatchedInsert({ values, condition: (s) => s[OP] === 'upsert' });
        }, upTo);
      };

      const apply = async (events: readonly ChangeEvent[]) => {
        // Per table, the changes since the last MERGE, collapsed by key in order.
        let batch = new Map<string, TableChanges>();
        const flushAll = async () => {
          for (const [name, changes] of batch) await merge(tableOf(name), changes);
          batch = new Map();
        };
        for (const e of events) {
          const name = `${e.source.schema}.${e.source.table}`;
          const t = tableOf(name);
          await deltaOf(t);
          const lsn = lsnOf(e.source.commitLsn);
          if (lsn < applied.get(name)!) continue; // a replay of a transaction this table holds already
          if (e.op === 't') {
            await flushAll();
            await commit(t, [], (b) => b.whenNotMatchedBySourceDelete(), lsn);
            continue;
          }
          const types = typesOf(t);
          const convert = (row: Readonly<Record<string, unknown>>): Row => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, deltaValue(v, types.get(k))]));
          const keyOf = (row: Row): Row => Object.fromEntries(t.key.map((k) => [k, row[k] ?? null]));
          const keyText = (key: Row) => JSON.stringify(t.key.map((k) => String(key[k])));
          let entry = batch.get(name);
          if (!entry) batch.set(name, (entry = { changes: new Map(), upTo: lsn }));
          if (lsn > entry.upTo) entry.upTo = lsn;
          if (e.op === 'd') {
            const key = keyOf(convert(e.before!));
            entry.changes.set(keyText(key), { op: 'delete', key, row: {}, unchanged: new Set() });
            continue;
          }
          const row = convert(e.after!);
          const key = keyOf(row);
          const unchanged = new Set(e.unchanged ?? []);
          if (e.op === 'u' && e.before) {
            // The key changed (PostgreSQL sends the old key then): the old row goes, and the TOASTed values the update
            // left unchanged are the old row's — from an earlier change of this bundle, else as stored in Delta.
            const old = keyOf(convert(e.before));
            if (keyText(old) !== keyText(key)) {
              const prevOld = entry.changes.get(keyText(old));
              for (const c of [...unchanged]) {
                if (prevOld?.op === 'upsert' && c in prevOld.row && !prevOld.unchanged.has(c)) { row[c] = prevOld.row[c]; unchanged.delete(c); }
              }
              if (unchanged.size > 0) {
                await flushAll();
                const [stored] = await (await deltaOf(t)).read({ where: old as Record<string, Value>, columns: [...unchanged] });
                // No stored old row: a replay, where the new key already holds them (they stay unchanged there).
                if (stored) for (const c of [...unchanged]) { row[c] = (stored[c] ?? null) as Value; unchanged.delete(c); }
                batch.set(name, (entry = { changes: new Map(), upTo: lsn }));
              }
              entry.changes.set(keyText(old), { op: 'delete', key: old, row: {}, unchanged: new Set() });
            }
          }
          const prev = entry.changes.get(keyText(key));
          if (e.op === 'u' && prev?.op === 'upsert') {
            // An earlier change of this bundle set the columns this update left unchanged: keep its values (only
            // those it did not set either keep the stored value).
            entry.changes.set(keyText(key), { op: 'upsert', key, row: { ...prev.row, ...row }, unchanged: new Set([...unchanged].filter((c) => !(c in prev.row))) });
          } else {
            entry.changes.set(keyText(key), { op: 'upsert', key, row, unchanged });
          }
        }
        await flushAll();
      };

      return {
        write: (e) => void pending.push(e),
        flush: async () => {
          const events = pending;
          pending = [];
          await apply(events);
          return [];
        },
        finish: async () => {},
        abort: async () => { pending = []; },
      };
    },
  };
}

export default Pipeline.define(
  {
    description: 'CDC → warehouse: PostgreSQL changes (snapshot, then the replication stream) merged into Delta tables, one per source table.',
    params: {
      url: { type: 'string', default: '', description: 'the server (default $RIFFLE_PG_URL)' },
      publication: { type: 'string', default: 'riffle_warehouse', description: 'the publication to read (riffle cdc setup creates it)' },
      slot: { type: 'string', default: 'riffle_warehouse', description: 'the replication slot (created with a snapshot when missing)' },
      warehouse: { type: 'string', default: 'out/warehouse', description: 'directory of the Delta tables (one per source table, named schema.table)' },
      follow: { type: 'boolean', default: false, description: 'read until cancelled (default: stop once caught up with the changes committed before the start)' },
    },
  },
  (p, { url, publication, slot, warehouse, follow }) => {
    const server = url !== '' ? url : process.env.RIFFLE_PG_URL ?? '';
    if (server === '') throw new ConfigError('cdc-warehouse: no server: pass --url or set RIFFLE_PG_URL', { hint: '--url=postgres://user@host:5432/db' });
    p.apply('Changes', io.postgres.changes(publication, slot, { url: server, ...(follow ? {} : { until: 'caughtUp' as const }) }))
      .apply('MergeIntoDelta', writeTo(deltaMirror({ url: server, publication, slot, warehouse })));
  },
);
