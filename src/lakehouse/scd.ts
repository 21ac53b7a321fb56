/**
 * Slowly changing dimensions on MERGE (see merge.ts).
 * - Type 1 (`scdType1`): keep only the latest values — update rows whose key exists and whose values differ,
 *   insert new keys.
 * - Type 2 (`scdType2`): keep history — for a key whose tracked values changed, close the current row (current
 *   flag false, end column = the new row's start) and insert the new values as the current row; insert new keys as
 *   current; leave unchanged keys alone. Done in one MERGE: each changed row is staged twice, once with its keys (it
 *   matches and closes the current row) and once with null keys (it matches nothing, so it is inserted).
 */
import type { DeltaTable } from './delta-table.ts';
import type { DmlResult } from './delete.ts';
import { DeltaTableError } from './errors.ts';
import type { MergeRow } from './merge.ts';
import { type DeltaValue, isValueError, type Row, toCanonical } from './value-mapping.ts';

/**
 * Options of `scdType2`: key columns, the column holding when a version became effective (given in each source
 * row), the boolean current-row flag, and optionally the column receiving when a version stopped being current
 * and the columns whose change makes a new version (default: all but keys, start, end and flag).
 *
 * @example
 * const o: ScdType2Options = { keys: ['customer_id'], effectiveFrom: 'valid_from', effectiveTo: 'valid_to', current: 'is_current' };
 */
export interface ScdType2Options {
  readonly keys: readonly string[];
  readonly effectiveFrom: string;
  readonly current: string;
  readonly effectiveTo?: string;
  readonly trackedColumns?: readonly string[];
}

const same = (a: DeltaValue | undefined, b: DeltaValue | undefined): boolean => (a ?? null) === (b ?? null);
const STAGED = '__riffle_scd_row';

/**
 * SCD type 1: upsert `rows` on `keys` (only rows whose values differ are rewritten).
 *
 * @example
 * await scdType1(customers, [{ id: 1, email: 'new@example.com', city: 'Lyon' }], ['id']);
 */
export async function scdType1(table: DeltaTable, rows: readonly Row[], keys: readonly string[]): Promise<DmlResult> {
  const columns = (await table.schema()).fields.map((f) => f.name).filter((c) => !keys.includes(c));
  return table.merge(rows, { on: keys })
    .whenMatchedUpdate({ all: true, condition: (t, s) => columns.some((c) => !same(t[c], s[c])) })
    .whenNotMatchedInsert({ all: true })
    .execute();
}

/**
 * SCD type 2: new versions for changed keys, with validity columns and a current flag (one commit).
 *
 * @example
 * await scdType2(customers, [{ id: 1, city: 'Lyon', valid_from: new Date() }],
 *   { keys: ['id'], effectiveFrom: 'valid_from', effectiveTo: 'valid_to', current: 'is_current' });
 */
export async function scdType2(table: DeltaTable, rows: readonly Row[], options: ScdType2Options): Promise<DmlResult> {
  const snapshot = await table.snapshot();
  const names = snapshot.schema.fields.map((f) => f.name);
  const { keys, effectiveFrom, current, effectiveTo } = options;
  for (const c of [...keys, effectiveFrom, current, ...(effectiveTo ? [effectiveTo] : []), ...(options.trackedColumns ?? [])]) {
    if (!names.includes(c)) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `scdType2: unknown column '${c}'`, { hint: `columns are ${names.join(', ')}` });
  }
  if (snapshot.schema.fields.find((f) => f.name === current)?.type !== 'boolean') {
    throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `scdType2: the current flag '${current}' must be a boolean column`);
  }
  const tracked = options.trackedColumns ?? names.filter((c) => !keys.includes(c) && c !== effectiveFrom && c !== effectiveTo && c !== current);
  rows.forEach((r, i) => {
    if (r[effectiveFrom] === undefined || r[effectiveFrom] === null) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `scdType2: source row ${i} has no '${effectiveFrom}' value`);
  });
  // The current version of each key, read at the version the merge must still see.
  const currentRows = await table.read({ version: snapshot.version, where: { [current]: true } });
  const keyOf = (r: Readonly<Record<string, unknown>>): string => JSON.stringify(keys.map((k) => String(r[k] ?? '\u0000null')));
  const byKey = new Map(currentRows.map((r) => [keyOf(r), r]));
  const canonical = rows.map((r, i) => {
    const out: Record<string, DeltaValue> = {};
    for (const f of snapshot.schema.fields) {
      const v = toCanonical(f.type, r[f.name]);
      if (isValueError(v)) throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `scdType2: source row ${i}: column '${f.name}' expects ${f.type}, got ${v.error}`);
      out[f.name] = v as DeltaValue;
    }
    return out;
  });
  const staged: Row[] = [];
  canonical.forEach((s, i) => {
    const cur = byKey.get(keyOf(s));
    if (cur === undefined) staged.push(rows[i]);
    else if (tracked.some((c) => !same(cur[c], s[c]))) {
      staged.push(rows[i], { ...rows[i], ...Object.fromEntries(keys.map((k) => [k, null])), [STAGED]: i });
    }
  });
  const original = (s: MergeRow): Row => (typeof s[STAGED] === 'number' ? rows[s[STAGED]] : s) as Row;
  const values: Record<string, (s: MergeRow) => DeltaValue> = {};
  for (const c of names) values[c] = (s) => (c === current ? true : c === effectiveTo ? null : original(s)[c] ?? null);
  return table.merge(staged, { on: keys, readVersion: snapshot.version })
    .whenMatchedUpdate({
      condition: (t) => t[current] === true,
      set: { [current]: false, ...(effectiveTo ? { [effectiveTo]: (_t: MergeRow, s: MergeRow) => s[effectiveFrom] } : {}) },
    })
    .whenNotMatchedInsert({ values })
    .execute();
}
