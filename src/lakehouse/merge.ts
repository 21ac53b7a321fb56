/**
 * MERGE INTO, copy-on-write: source rows are joined with target rows on key columns (or a predicate function), then
 * clauses apply in order — the first whose condition holds wins:
 * - matched (a target row with a source row): `whenMatchedUpdate` (a `set` or `all` source columns) or
 *   `whenMatchedDelete`; no clause holding leaves the row as it is;
 * - not matched (a source row with no target row): `whenNotMatchedInsert` (`values` or `all`);
 * - not matched by source (a target row with no source row): `whenNotMatchedBySourceUpdate` (a `set` of values or
 *   functions of the target row) or `whenNotMatchedBySourceDelete`.
 * With `mergeSchema: true`, source columns the target lacks are added to the schema (nullable) in the merge's commit
 * when an `all` clause copies them, as are columns named in `set`/`values` (see schema-evolution.ts for types).
 * As in Delta, a target row matched by several source rows is an error (the outcome would depend on order), unless
 * the only matched clause is an unconditional delete; one source row may match several target rows.
 *
 * Files: with key columns and no by-source clause, only files whose partition values or statistics admit one of the
 * source keys are read; files with no changed row are not rewritten. Metrics follow delta-rs: numSourceRows,
 * numTargetRowsInserted/Updated/Deleted/Copied, numOutputRows, numTargetFilesScanned/SkippedDuringScan/Added/Removed.
 */
import { ChangeLog, scanFiles, stageRewrite } from './copy-on-write.ts';
import type { DmlResult } from './delete.ts';
import { ConcurrentModificationError, DeltaTableError } from './errors.ts';
import type { Predicate } from './predicate.ts';
import { mergedSchema } from './schema-evolution.ts';
import type { SchemaInput, TableSchema } from './schema.ts';
import type { DataFile, Snapshot } from './snapshot.ts';
import type { Transaction } from './transaction.ts';
import { checkColumns } from './update.ts';
import { type KeyIndex, keyIndex } from './key-index.ts';
import { type DeltaValue, isValueError, type Row, toCanonical } from './value-mapping.ts';
import { compareValues, orderOf } from './value-order.ts';

/** A row as merge clauses see it: table columns in canonical values (source rows may carry extra columns). */
export type MergeRow = Readonly<Record<string, DeltaValue>>;

/**
 * Options of `table.merge`: the join (`on` key columns, equal and non-null on both sides, or a predicate of target
 * and source rows, which reads every file), and optionally the version the caller read (the merge then fails with
 * `ConcurrentModificationError` if the table moved on).
 *
 * @example
 * const options: MergeOptions = { on: ['id'] };
 */
export interface MergeOptions {
  readonly on: readonly string[] | ((target: MergeRow, source: MergeRow) => boolean);
  readonly readVersion?: number;
  /** Schema evolution: add the source's new columns (see above). */
  readonly mergeSchema?: boolean;
  /** With `mergeSchema`: types of new columns (inferred from the source values otherwise). */
  readonly schema?: SchemaInput;
}

/**
 * `whenNotMatchedBySourceUpdate`: new values by column for target rows no source row matches (a value or a function
 * of the target row).
 *
 * @example
 * builder.whenNotMatchedBySourceUpdate({ set: { active: false }, condition: (t) => t.active === true });
 */
export interface NotMatchedBySourceUpdate {
  readonly set: Readonly<Record<string, DeltaValue | ((target: MergeRow) => DeltaValue)>>;
  readonly condition?: (target: MergeRow) => boolean;
}

/**
 * `whenMatchedUpdate`: new values by column (a value or a function of target and source rows), or `all` to copy
 * every table column from the source row.
 *
 * @example
 * builder.whenMatchedUpdate({ set: { amount: (t, s) => (t.amount as number) + (s.amount as number) }, condition: (t, s) => s.amount !== null });
 */
export interface MatchedUpdate {
  readonly set?: Readonly<Record<string, DeltaValue | ((target: MergeRow, source: MergeRow) => DeltaValue)>>;
  readonly all?: boolean;
  readonly condition?: (target: MergeRow, source: MergeRow) => boolean;
}

/**
 * `whenNotMatchedInsert`: the new row's values by column (a value or a function of the source row; columns not
 * given are null), or `all` to insert the source row's table columns.
 *
 * @example
 * builder.whenNotMatchedInsert({ all: true, condition: (s) => s.status !== 'cancelled' });
 */
export interface NotMatchedInsert {
  readonly values?: Readonly<Record<string, DeltaValue | ((source: MergeRow) => DeltaValue)>>;
  readonly all?: boolean;
  readonly condition?: (source: MergeRow) => boolean;
}

type Clause =
  | { kind: 'update'; update: MatchedUpdate }
  | { kind: 'delete'; condition?: (target: MergeRow, source: MergeRow) => boolean }
  | { kind: 'insert'; insert: NotMatchedInsert }
  | { kind: 'deleteBySource'; condition?: (target: MergeRow) => boolean }
  | { kind: 'updateBySource'; update: NotMatchedBySourceUpdate };

/** Keys with a type tag, so 1 (integer) and '1' (string) differ; null keys never match (SQL equality). */
function keyOf(row: MergeRow, keys: readonly string[]): string | undefined {
  let out = '';
  for (const k of keys) {
    const v = row[k];
    if (v === null || v === undefined) return undefined;
    out += `${typeof v}:${String(v)}\u0000`;
  }
  return out;
}

/**
 * A MERGE being described; `execute()` runs it as one commit.
 *
 * @example
 * await table.merge(changes, { on: ['id'] })
 *   .whenMatchedDelete({ condition: (t, s) => s.deleted === true })
 *   .whenMatchedUpdate({ all: true })
 *   .whenNotMatchedInsert({ all: true })
 *   .execute();
 */
export class MergeBuilder {
  private readonly clauses: Clause[] = [];
  private readonly start: () => Promise<Transaction>;
  private readonly source: readonly Row[];
  private readonly options: MergeOptions;

  constructor(start: () => Promise<Transaction>, source: readonly Row[], options: MergeOptions) {
    this.start = start;
    this.source = source;
    this.options = options;
  }

  /** Updates matched target rows (for which `condition` holds). */
  whenMatchedUpdate(update: MatchedUpdate): this {
    if ((update.set === undefined) === (update.all !== true)) {
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', 'merge: whenMatchedUpdate needs either set or all: true');
    }
    this.clauses.push({ kind: 'update', update });
    return this;
  }

  /** Deletes matched target rows (for which `condition` holds). */
  whenMatchedDelete(options: { readonly condition?: (target: MergeRow, source: MergeRow) => boolean } = {}): this {
    this.clauses.push({ kind: 'delete', condition: options.condition });
    return this;
  }

  /** Inserts source rows that match no target row (for which `condition` holds). */
  whenNotMatchedInsert(insert: NotMatchedInsert): this {
    if ((insert.values === undefined) === (insert.all !== true)) {
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', 'merge: whenNotMatchedInsert needs either values or all: true');
    }
    this.clauses.push({ kind: 'insert', insert });
    return this;
  }

  /** Updates target rows that match no source row (for which `condition` holds). Every file is then read. */
  whenNotMatchedBySourceUpdate(update: NotMatchedBySourceUpdate): this {
    if (update.set === undefined || Object.keys(update.set).length === 0) {
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', 'merge: whenNotMatchedBySourceUpdate needs a non-empty set');
    }
    this.clauses.push({ kind: 'updateBySource', update });
    return this;
  }

  /** Deletes target rows that match no source row (for which `condition` holds). Every file is then read. */
  whenNotMatchedBySourceDelete(options: { readonly condition?: (target: MergeRow) => boolean } = {}): this {
    this.clauses.push({ kind: 'deleteBySource', condition: options.condition });
    return this;
  }

  /**
   * With `mergeSchema`: the target schema plus the source's new columns that clauses write (every source column when
   * an `all` clause copies them; columns named in set/values), or undefined when there are none.
   */
  private evolvedSchema(schema: TableSchema): TableSchema | undefined {
    const known = new Set(schema.fields.map((f) => f.name.toLowerCase()));
    const wanted: string[] = [];
    const want = (c: string): void => { if (!known.has(c.toLowerCase())) { known.add(c.toLowerCase()); wanted.push(c); } };
    const copiesAll = this.clauses.some((c) => (c.kind === 'update' && c.update.all) || (c.kind === 'insert' && c.insert.all));
    if (copiesAll) for (const row of this.source) if (row !== null && typeof row === 'object') Object.keys(row).forEach(want);
    for (const c of this.clauses) {
      if (c.kind === 'update' && c.update.set) Object.keys(c.update.set).forEach(want);
      if (c.kind === 'insert' && c.insert.values) Object.keys(c.insert.values).forEach(want);
      if (c.kind === 'updateBySource') Object.keys(c.update.set).forEach(want);
    }
    if (wanted.length === 0) return undefined;
    const columns: Row[] = this.source.map((r) => Object.fromEntries(wanted.map((c) => [c, (r as Row)?.[c] ?? null])));
    const added = mergedSchema({ fields: [] }, columns, this.options.schema);
    return added ? { fields: [...schema.fields, ...added.fields] } : undefined;
  }

  /** Runs the merge: one commit (none if nothing changes). */
  async execute(): Promise<DmlResult> {
    const started = Date.now();
    const tx = await this.start();
    const snapshot = tx.snapshot as Snapshot;
    if (this.options.readVersion !== undefined && snapshot.version !== this.options.readVersion) {
      throw new ConcurrentModificationError('concurrentWrite', snapshot.version, `merge: the table is at version ${snapshot.version}, not the version ${this.options.readVersion} that was read`);
    }
    const matched = this.clauses.filter((c) => c.kind === 'update' || c.kind === 'delete');
    const notMatched = this.clauses.filter((c): c is Extract<Clause, { kind: 'insert' }> => c.kind === 'insert');
    const bySource = this.clauses.filter((c): c is Extract<Clause, { kind: 'deleteBySource' | 'updateBySource' }> => c.kind === 'deleteBySource' || c.kind === 'updateBySource');
    if (this.clauses.length === 0) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', 'merge: no when… clause given');
    if (this.options.mergeSchema) {
      const evolved = this.evolvedSchema(snapshot.schema);
      if (evolved) tx.evolveSchema(evolved);
    }
    const schema = tx.schema;
    for (const c of this.clauses) {
      if (c.kind === 'updateBySource') checkColumns(schema, Object.keys(c.update.set), 'merge whenNotMatchedBySourceUpdate');
      if (c.kind === 'update' && c.update.set) checkColumns(schema, Object.keys(c.update.set), 'merge whenMatchedUpdate');
      if (c.kind === 'insert' && c.insert.values) checkColumns(schema, Object.keys(c.insert.values), 'merge whenNotMatchedInsert');
    }
    const on = this.options.on;
    if (typeof on !== 'function') {
      if (on.length === 0) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', 'merge: on needs at least one key column');
      checkColumns(schema, on, 'merge on');
      const nested = schema.fields.find((f) => on.includes(f.name) && f.nested !== undefined);
      if (nested) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `merge on: column '${nested.name}' is ${nested.type}; nested columns cannot be merge keys`, { hint: 'match on primitive columns (or give on as a function)' });
    }
    const source = this.source.map((row, i) => canonicalSource(schema, row, i));

    // Candidate files: by-source clauses need every target row; otherwise only files that may hold a source key.
    // Conflicts: what was read is those files and, for new files, the key ranges (or the whole table).
    let files: readonly DataFile[] = snapshot.files;
    if (typeof on !== 'function' && bySource.length === 0) {
      const orders = on.map((k) => orderOf(schema.fields.find((f) => f.name === k)?.type ?? 'string'));
      const ranges = keyRanges(on, source, orders);
      files = filesHoldingKeys(snapshot.filesMatching(ranges).files, on, source, orders);
      tx.readPredicate(ranges);
    } else {
      tx.readTable();
    }
    tx.readFiles(files);
    const scanned = await scanFiles(snapshot, files);

    // The join: a hash of the source rows on their keys (one key column: the canonical value itself).
    const keyFn = typeof on === 'function' ? undefined : on.length === 1 ? singleKey(on[0]) : (row: MergeRow) => keyOf(row, on);
    const index = keyFn ? keyIndex(source.map(keyFn)) : undefined;
    const onlyUnconditionalDelete = matched.length === 1 && matched[0].kind === 'delete' && matched[0].condition === undefined;
    const sourceMatched = new Uint8Array(source.length);
    const rewrites: { file: DataFile; output: Row[] }[] = [];
    const changes = new ChangeLog(tx.changeDataFeed);
    let updated = 0;
    let deleted = 0;
    let bySourceUpdated = 0;
    let bySourceDeleted = 0;
    for (const { file, rows } of scanned) {
      const output: Row[] = [];
      let changed = false;
      for (const t of rows) {
        const hits = typeof on === 'function'
          ? source.reduce<number[]>((acc, s, i) => (on(t, s) ? (acc.push(i), acc) : acc), [])
          : (index as KeyIndex).get((keyFn as (row: MergeRow) => unknown)(t));
        for (const i of hits) sourceMatched[i] = 1;
        if (hits.length > 1 && matched.length > 0 && !onlyUnconditionalDelete) {
          throw new DeltaTableError('DELTA_INVALID_ARGUMENT',
            `merge: ${hits.length} source rows (${hits.slice(0, 5).join(', ')}${hits.length > 5 ? ', …' : ''}) matched the same target row and would modify it in possibly conflicting ways`,
            { hint: 'deduplicate the source on the merge keys (keep one row per key)' });
        }
        let outcome: 'keep' | 'delete' | Row = 'keep';
        if (hits.length > 0) {
          const s = source[hits[0]];
          for (const c of matched) {
            if (c.kind === 'delete') {
              if (c.condition === undefined || c.condition(t, s)) { outcome = 'delete'; break; }
            } else if (c.kind === 'update' && (c.update.condition === undefined || c.update.condition(t, s))) {
              outcome = applyUpdate(schema, c.update, t, s, hits[0]);
              break;
            }
          }
        } else {
          for (const c of bySource) {
            if (c.kind === 'deleteBySource') {
              if (c.condition === undefined || c.condition(t)) { outcome = 'delete'; break; }
            } else if (c.update.condition === undefined || c.update.condition(t)) {
              const after: Row = { ...t };
              for (const [col, v] of Object.entries(c.update.set)) after[col] = typeof v === 'function' ? v(t) : v;
              outcome = after;
              break;
            }
          }
        }
        if (outcome === 'keep') {
          output.push(t);
        } else if (outcome === 'delete') {
          changed = true;
          deleted++;
          if (hits.length === 0) bySourceDeleted++;
          changes.add('delete', t);
        } else {
          changed = true;
          updated++;
          if (hits.length === 0) bySourceUpdated++;
          output.push(outcome);
          changes.add('update_preimage', t);
          changes.add('update_postimage', outcome);
        }
      }
      if (changed) rewrites.push({ file, output });
    }
    const inserts: Row[] = [];
    source.forEach((s, i) => {
      if (sourceMatched[i]) return;
      for (const c of notMatched) {
        if (c.insert.condition !== undefined && !c.insert.condition(s)) continue;
        const row: Row = {};
        for (const f of schema.fields) {
          if (c.insert.all) row[f.name] = requireColumn(s, f.name, i, 'whenNotMatchedInsert all');
          else {
            const v = c.insert.values?.[f.name];
            row[f.name] = typeof v === 'function' ? v(s) : v ?? null;
          }
        }
        inserts.push(row);
        changes.add('insert', row);
        break;
      }
    });
    const copied = rewrites.reduce((n, r) => n + r.output.length, 0) - updated;
    const base = {
      numSourceRows: source.length, numTargetRowsInserted: inserts.length, numTargetRowsUpdated: updated, numTargetRowsDeleted: deleted,
      numTargetRowsCopied: copied, numOutputRows: inserts.length + updated + copied,
      numTargetRowsMatchedUpdated: updated - bySourceUpdated, numTargetRowsMatchedDeleted: deleted - bySourceDeleted,
      numTargetRowsNotMatchedBySourceUpdated: bySourceUpdated, numTargetRowsNotMatchedBySourceDeleted: bySourceDeleted,
      numTargetFilesScanned: files.length, numTargetFilesSkippedDuringScan: snapshot.files.length - files.length,
    };
    if (rewrites.length === 0 && inserts.length === 0) {
      return { version: snapshot.version, committed: false, metrics: { ...base, numTargetFilesAdded: 0, numTargetFilesRemoved: 0, numTargetChangeFilesAdded: 0, executionTimeMs: Date.now() - started } };
    }
    const counts = await stageRewrite(tx, { rewrites, inserts, changes: changes.changes });
    const metrics = {
      ...base, numTargetFilesAdded: counts.numAddedFiles, numTargetFilesRemoved: counts.numRemovedFiles,
      numTargetChangeFilesAdded: counts.numAddedChangeFiles, executionTimeMs: Date.now() - started,
    };
    const describe = (kind: string, condition: unknown): { actionType: string; predicate?: string } => ({ actionType: kind, ...(condition ? { predicate: '<function>' } : {}) });
    const { version } = await tx.commit({
      operation: 'MERGE',
      operationParameters: {
        predicate: typeof on === 'function' ? '<function>' : on.map((k) => `target.${k} = source.${k}`).join(' AND '),
        matchedPredicates: JSON.stringify(matched.map((c) => describe(c.kind, c.kind === 'update' ? c.update.condition : c.kind === 'delete' ? c.condition : undefined))),
        notMatchedPredicates: JSON.stringify(notMatched.map((c) => describe('insert', c.insert.condition))),
        notMatchedBySourcePredicates: JSON.stringify(bySource.map((c) => (c.kind === 'deleteBySource' ? describe('delete', c.condition) : describe('update', c.update.condition)))),
      },
      operationMetrics: metrics,
    });
    return { version, committed: true, metrics };
  }
}

function requireColumn(row: MergeRow, column: string, i: number, what: string): DeltaValue {
  if (!(column in row)) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `merge: source row ${i} has no column '${column}' (needed by ${what})`);
  return row[column];
}

function applyUpdate(schema: TableSchema, update: MatchedUpdate, t: MergeRow, s: MergeRow, i: number): Row {
  const after: Row = update.all ? {} : { ...t };
  if (update.all) for (const f of schema.fields) after[f.name] = requireColumn(s, f.name, i, 'whenMatchedUpdate all');
  else for (const [c, v] of Object.entries(update.set ?? {})) after[c] = typeof v === 'function' ? v(t, s) : v;
  return after;
}

/** Source rows with their table columns in canonical values (so they compare with target rows); other columns as given. */
function canonicalSource(schema: TableSchema, row: Row, i: number): MergeRow {
  if (row === null || typeof row !== 'object') throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `merge: source row ${i} is not an object`);
  const out: Record<string, DeltaValue> = { ...(row as Record<string, DeltaValue>) };
  for (const f of schema.fields) {
    if (!(f.name in row)) continue;
    const c = toCanonical(f.type, row[f.name]);
    if (isValueError(c)) {
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `merge: source row ${i}: column '${f.name}' expects ${f.type}, got ${c.error}`);
    }
    out[f.name] = c as DeltaValue;
  }
  return out;
}

/**
 * One key column's join key: the canonical value itself (all of one type, compared by value in a Map), a long within
 * ±2^53 as a number (V8 hashes numbers much faster than bigints; both sides convert alike); null never matches.
 */
function singleKey(column: string): (row: MergeRow) => DeltaValue | undefined {
  return (row) => {
    const v = row[column];
    if (typeof v === 'bigint') return v <= SAFE && v >= -SAFE ? Number(v) : v;
    if (v instanceof Uint8Array) return `\u0000bytes:${String(v)}`; // by value (a binary column holds no strings)
    return v === null || v === undefined ? undefined : v;
  };
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
type Order = (a: Exclude<DeltaValue, null>, b: Exclude<DeltaValue, null>) => number;

/**
 * The sorted distinct source values of one key column, with a test "does any lie within [lo, hi]?" (binary search).
 * Numbers and longs within ±2^53 sort natively as float64s; other values by `compareValues` (strings by UTF-8 bytes).
 */
function keyProbe(values: readonly DeltaValue[], order: Order): (lo: DeltaValue, hi: DeltaValue) => boolean {
  const toNum = (v: DeltaValue): number => (typeof v === 'bigint' ? Number(v) : v as number);
  // One pass: numbers (and longs within ±2^53) as float64s, sorted natively (a typed array sorts numerically).
  let numeric = true;
  const doubles = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v === 'number') doubles[i] = v;
    else if (typeof v === 'bigint' && v <= SAFE && v >= -SAFE) doubles[i] = Number(v);
    else { numeric = false; break; }
  }
  let sorted: ArrayLike<unknown>;
  if (numeric) {
    sorted = doubles.sort();
  } else {
    sorted = (values as Exclude<DeltaValue, null>[]).slice().sort(order); // strings by UTF-8 bytes, as the statistics
  }
  return (lo, hi) => {
    // Bounds of another type than the values (a foreign writer's stats) prove nothing: read the file.
    if (numeric && !((typeof lo === 'number' || typeof lo === 'bigint') && (typeof hi === 'number' || typeof hi === 'bigint'))) return true;
    const [l, h] = numeric ? [toNum(lo), toNum(hi)] : [lo, hi];
    const cmp = numeric ? compareValues : order;
    let a = 0;
    let b = sorted.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (cmp(sorted[mid] as Exclude<DeltaValue, null>, l as Exclude<DeltaValue, null>) < 0) a = mid + 1;
      else b = mid;
    }
    return a < sorted.length && cmp(sorted[a] as Exclude<DeltaValue, null>, h as Exclude<DeltaValue, null>) <= 0;
  };
}

/**
 * The files that may hold a row matching a source row: for each key column, some source value must lie within the
 * file's min/max statistics (or equal its partition value). Finer than the key ranges when the source's keys are
 * spread (e.g. updates of one id range plus inserts of new ids: only the files of that range are read).
 */
function filesHoldingKeys(files: readonly DataFile[], keys: readonly string[], source: readonly MergeRow[], orders: readonly Order[]): DataFile[] {
  const probes = keys.map((k, i) => {
    const values: DeltaValue[] = [];
    for (const s of source) {
      const v = s[k];
      if (v !== null && v !== undefined) values.push(v);
    }
    return { key: k, within: keyProbe(values, orders[i]) };
  });
  return files.filter((f) => probes.every(({ key, within }) => {
    if (key in f.partitionValues) {
      const v = f.partitionValues[key];
      return v !== null && within(v, v);
    }
    const lo = f.stats.min.get(key);
    const hi = f.stats.max.get(key);
    if (lo === undefined || hi === undefined || lo === null || hi === null) return (f.stats.nullCount.get(key) ?? -1) !== f.stats.numRecords || f.stats.numRecords === undefined;
    return within(lo, hi);
  }));
}

/** A predicate every target row matching a source row satisfies: each key within the source's values. */
function keyRanges(keys: readonly string[], source: readonly MergeRow[], orders: readonly Order[]): Predicate {
  const where: Record<string, Predicate[string]> = {};
  for (const [i, k] of keys.entries()) {
    const order = orders[i];
    const values = new Set<DeltaValue>();
    let lo: DeltaValue = null;
    let hi: DeltaValue = null;
    for (const s of source) {
      const v = s[k];
      if (v === null || v === undefined) continue;
      if (values.size <= 256) values.add(v); // past 256 values, only the range is used
      if (lo === null || order(v, lo) < 0) lo = v;
      if (hi === null || order(v, hi) > 0) hi = v;
    }
    where[k] = values.size <= 256 ? { in: [...values] } : { gte: lo, lte: hi };
  }
  return where;
}
