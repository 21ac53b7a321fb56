/**
 * Simple predicates for reads (`table.read({ where })`): a conjunction of per-column conditions. They filter rows
 * exactly, and let the reader skip whole files: by partition values (partition pruning) and by per-file min/max/
 * nullCount statistics (data skipping). Comparisons follow SQL: a null never satisfies a comparison.
 */
import { DeltaTableError } from './errors.ts';
import type { FileStats } from './file-stats.ts';
import { decimalOf, type TableSchema } from './schema.ts';
import { type DeltaValue, isValueError, sameValue, toCanonical } from './value-mapping.ts';
import { compareValues, orderOf } from './value-order.ts';

type Order = (a: Exclude<DeltaValue, null>, b: Exclude<DeltaValue, null>) => number;

/**
 * A condition on one column: a value (equality; `null` means "is null") or an object of operators, all of which
 * must hold.
 *
 * @example
 * const c: Condition = { gte: 10, lt: 20 };
 */
export type Condition =
  | DeltaValue
  | {
      eq?: DeltaValue; ne?: DeltaValue; lt?: DeltaValue; lte?: DeltaValue; gt?: DeltaValue; gte?: DeltaValue;
      in?: readonly DeltaValue[]; isNull?: boolean;
    };

/**
 * A predicate: column → condition; all must hold.
 *
 * @example
 * const where: Predicate = { country: 'fr', amount: { gt: 100 }, ts: { gte: new Date('2024-01-01T00:00:00Z') } };
 */
export type Predicate = Readonly<Record<string, Condition>>;

type Op = 'eq' | 'ne' | 'lt' | 'lte' | 'gt' | 'gte' | 'in' | 'isNull' | 'notNull';

/**
 * One normalized term: column, operator, canonical operand(s).
 *
 * @example
 * const t: Term = { column: 'id', op: 'gt', value: 5n, values: [] };
 */
export interface Term {
  readonly column: string;
  readonly op: Op;
  readonly value: DeltaValue;
  readonly values: readonly DeltaValue[];
  /** The column's order when it is not `compareValues` (decimals: numeric); set by `compilePredicate`. */
  readonly order?: (a: Exclude<DeltaValue, null>, b: Exclude<DeltaValue, null>) => number;
}

/**
 * Normalizes a predicate against a schema: checks the columns exist and converts operands to canonical values
 * (so `{ id: 5 }` compares with a long column's bigints).
 *
 * @example
 * compilePredicate({ id: { gt: 5 } }, schema); // [{ column: 'id', op: 'gt', value: 5n, values: [] }]
 */
export function compilePredicate(where: Predicate | undefined, schema: TableSchema): Term[] {
  if (!where) return [];
  const terms: Term[] = [];
  for (const [column, cond] of Object.entries(where)) {
    const field = schema.fields.find((f) => f.name === column);
    if (!field) {
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `where: unknown column '${column}'`, { hint: `columns are ${schema.fields.map((f) => f.name).join(', ')}` });
    }
    if (field.nested !== undefined) {
      throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `where: column '${column}' is ${field.type}; predicates on nested columns are not supported`, { hint: 'filter the rows read instead' });
    }
    const canon = (v: unknown): DeltaValue => {
      const c = toCanonical(field.type, v);
      if (isValueError(c)) {
        throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `where: column '${column}' is ${field.type}, got ${c.error}`);
      }
      return c;
    };
    const order = decimalOf(field.type) !== undefined ? { order: orderOf(field.type) } : {};
    const isOps = cond !== null && typeof cond === 'object' && !(cond instanceof Date) && !(cond instanceof Uint8Array);
    if (!isOps) {
      terms.push(cond === null ? { column, op: 'isNull', value: null, values: [] } : { column, op: 'eq', value: canon(cond), values: [], ...order });
      continue;
    }
    for (const [op, operand] of Object.entries(cond)) {
      if (op === 'isNull') terms.push({ column, op: operand ? 'isNull' : 'notNull', value: null, values: [] });
      else if (op === 'in') terms.push({ column, op: 'in', value: null, values: (operand as DeltaValue[]).map(canon), ...order });
      else if (['eq', 'ne', 'lt', 'lte', 'gt', 'gte'].includes(op)) terms.push({ column, op: op as Op, value: canon(operand), values: [], ...order });
      else throw new DeltaTableError('DELTA_INVALID_ARGUMENT', `where: unknown operator '${op}' on column '${column}'`, { hint: 'use eq, ne, lt, lte, gt, gte, in, isNull' });
    }
  }
  return terms;
}

function compare(a: DeltaValue, op: Op, b: DeltaValue, values: readonly DeltaValue[], order: Order = compareValues): boolean {
  switch (op) {
    case 'isNull': return a === null;
    case 'notNull': return a !== null;
    case 'in': return a !== null && values.some((v) => sameValue(v, a));
    default: break;
  }
  if (a === null || b === null) return false;
  if (op === 'eq') return sameValue(a, b);
  if (op === 'ne') return !sameValue(a, b);
  const c = order(a, b); // strings by UTF-8 bytes, as the statistics; NaN (incomparable) fails every test
  switch (op) {
    case 'lt': return c < 0;
    case 'lte': return c <= 0;
    case 'gt': return c > 0;
    case 'gte': return c >= 0;
  }
}

/**
 * Whether one value (canonical, null for SQL NULL) satisfies a term — for evaluating a predicate column by column.
 *
 * @example
 * termHolds({ column: 'id', op: 'gt', value: 5n, values: [] }, 7n); // true
 */
export function termHolds(term: Term, value: DeltaValue): boolean {
  return compare(value, term.op, term.value, term.values, term.order);
}

/**
 * Whether a row (of canonical values) satisfies all terms.
 *
 * @example
 * matchesRow(terms, { id: 7n }); // true for { id: { gt: 5 } }
 */
export function matchesRow(terms: readonly Term[], row: Readonly<Record<string, DeltaValue>>): boolean {
  for (const t of terms) if (!compare(row[t.column] ?? null, t.op, t.value, t.values, t.order)) return false;
  return true;
}

/**
 * Whether a file may hold a matching row, judged from its partition values (exact) and statistics (bounds). False
 * means the file can be skipped; true means it must be read. Missing statistics never skip.
 *
 * @example
 * mayMatchFile(terms, { country: 'de' }, stats); // false for { country: 'fr' } on a partitioned table
 */
export function mayMatchFile(terms: readonly Term[], partition: Readonly<Record<string, DeltaValue>>, stats: FileStats): boolean {
  for (const t of terms) {
    if (t.column in partition) {
      if (!compare(partition[t.column], t.op, t.value, t.values, t.order)) return false;
      continue;
    }
    const nulls = stats.nullCount.get(t.column);
    const all = stats.numRecords !== undefined && nulls === stats.numRecords;
    if (t.op === 'isNull') { if (nulls === 0) return false; continue; }
    if (all) return false; // every value null: no comparison (nor notNull) can hold
    if (t.op === 'notNull') continue;
    const lo = stats.min.get(t.column);
    const hi = stats.max.get(t.column);
    const min = lo === null ? undefined : lo;
    const max = hi === null ? undefined : hi;
    if (min === undefined && max === undefined) continue;
    // Bounds and operands compare in the order the statistics were written in (strings: UTF-8 bytes). A missing
    // bound (±Infinity has no JSON form) or a NaN comparison (false) never skips.
    const order = t.order ?? compareValues;
    const below = (x: Exclude<DeltaValue, null>): boolean => min !== undefined && order(x, min) < 0;
    const above = (x: Exclude<DeltaValue, null>): boolean => max !== undefined && order(x, max) > 0;
    const v = t.value;
    if (t.op === 'in') { if (!t.values.some((x) => x !== null && !below(x) && !above(x))) return false; continue; }
    if (v === null) continue;
    switch (t.op) {
      case 'eq': if (below(v) || above(v)) return false; break;
      // Float bounds leave NaN out, and NaN != v holds: only non-float columns can be all equal to v.
      case 'ne': if (typeof v !== 'number' && min === max && min === v) return false; break;
      case 'lt': if (min !== undefined && order(min, v) >= 0) return false; break;
      case 'lte': if (min !== undefined && order(min, v) > 0) return false; break;
      case 'gt': if (max !== undefined && order(max, v) <= 0) return false; break;
      case 'gte': if (max !== undefined && order(max, v) < 0) return false; break;
    }
  }
  return true;
}

/**
 * Renders a predicate as SQL text, for `commitInfo.operationParameters.predicate` (what history shows).
 *
 * @example
 * describePredicate({ country: 'fr', id: { gt: 5 } }); // "country = 'fr' AND id > 5"
 */
export function describePredicate(where: Predicate | undefined): string {
  const lit = (v: unknown): string => (v === null ? 'NULL' : typeof v === 'string' ? `'${v.replace(/'/g, "''")}'` : v instanceof Date ? `'${v.toISOString()}'`
    : v instanceof Uint8Array ? `X'${Buffer.from(v).toString('hex').toUpperCase()}'` : String(v));
  const sqlOps: Record<string, string> = { eq: '=', ne: '!=', lt: '<', lte: '<=', gt: '>', gte: '>=' };
  const parts: string[] = [];
  for (const [column, cond] of Object.entries(where ?? {})) {
    if (cond === null) { parts.push(`${column} IS NULL`); continue; }
    if (typeof cond !== 'object' || cond instanceof Date || cond instanceof Uint8Array) { parts.push(`${column} = ${lit(cond)}`); continue; }
    for (const [op, operand] of Object.entries(cond)) {
      if (op === 'isNull') parts.push(`${column} IS ${operand ? '' : 'NOT '}NULL`);
      else if (op === 'in') parts.push(`${column} IN (${(operand as unknown[]).map(lit).join(', ')})`);
      else parts.push(`${column} ${sqlOps[op] ?? op} ${lit(operand)}`);
    }
  }
  return parts.length === 0 ? 'true' : parts.join(' AND ');
}
