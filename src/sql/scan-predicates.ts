/**
 * Which simple predicates of a query apply to a Delta scan, for partition pruning and min/max data skipping.
 *
 * Input: DuckDB's parse tree of the rewritten query (`json_serialize_sql`), where each Delta scan is a relation of
 * its own (`__riffle_delta_N`, used once). Output: per relation, a lakehouse `Predicate` — a conjunction of
 * `column op literal` terms — that every row the query can use satisfies. Only what is certain is kept; any doubt
 * drops the term (fewer files skipped, never a wrong answer):
 *
 * 1. Terms come from the top-level AND of the WHERE clause of the SELECT whose FROM holds the relation directly.
 * 2. When the FROM is the relation alone, a column may be unqualified; in a join only `alias.column` counts, only
 *    in REGULAR joins (an ASOF or POSITIONAL join would pair rows differently without the skipped files), and only
 *    null-rejecting comparisons (IS NULL on a join's null-supplying side is not one).
 * 3. The literal must convert exactly to the column's Delta type the way DuckDB compares: integers within the safe
 *    range, strings for strings (none under a default collation), `DATE '…'`/ISO strings for dates, ISO
 *    timestamps (without a zone only while the session's TimeZone is UTC, as Riffle sets it). Float columns are left out (32-bit values compared as doubles), and so are > >= <> on doubles
 *    (DuckDB orders NaN above every number, while the statistics leave NaN out).
 */
import type { Condition, DeltaValue, Predicate } from '../lakehouse/index.ts';

/** A column of a Delta relation: its name as in the table and its Delta type. */
export interface ScanColumn {
  readonly name: string;
  readonly type: string;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Node = { [k: string]: Json };

/** The session settings that change how DuckDB compares literals. */
export interface SessionSettings {
  /** `default_collation` ('' when none). */
  readonly defaultCollation: string;
  /** `TimeZone`. */
  readonly timeZone: string;
}

const DEFAULT_SETTINGS: SessionSettings = { defaultCollation: '', timeZone: 'UTC' };

type Op = 'eq' | 'lt' | 'lte' | 'gt' | 'gte' | 'in' | 'isNull' | 'notNull';

const COMPARISONS: Readonly<Record<string, Op>> = {
  COMPARE_EQUAL: 'eq', COMPARE_LESSTHAN: 'lt', COMPARE_LESSTHANOREQUALTO: 'lte', COMPARE_GREATERTHAN: 'gt', COMPARE_GREATERTHANOREQUALTO: 'gte',
};
const FLIPPED: Readonly<Record<string, Op>> = { eq: 'eq', lt: 'gt', lte: 'gte', gt: 'lt', gte: 'lte' };

function isNode(v: Json | undefined): v is Node {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The predicate each relation's scan may apply (relations without one are absent).
 *
 * @example
 * extractScanPredicates(JSON.parse(serialized), new Map([['__riffle_delta_0', columns]])).get('__riffle_delta_0');
 */
export function extractScanPredicates(tree: unknown, relations: ReadonlyMap<string, readonly ScanColumn[]>, session: SessionSettings = DEFAULT_SETTINGS): Map<string, Predicate> {
  const out = new Map<string, Predicate>();
  const visit = (v: Json | undefined): void => {
    if (Array.isArray(v)) { for (const x of v) visit(x); return; }
    if (!isNode(v)) return;
    if (v.type === 'SELECT_NODE') {
      for (const { relation, ref, alone } of scansOf(v.from_table, relations)) {
        const predicate = termsFor(v.where_clause, relations.get(relation) as readonly ScanColumn[], ref, alone, session);
        if (Object.keys(predicate).length > 0) out.set(relation, predicate);
      }
    }
    for (const child of Object.values(v)) visit(child);
  };
  visit(tree as Json);
  return out;
}

interface ScanRef {
  readonly relation: string;
  /** The name columns are qualified with (the alias, else the relation). */
  readonly ref: string;
  /** Whether the relation is the whole FROM clause. */
  readonly alone: boolean;
}

function baseTable(node: Node, relations: ReadonlyMap<string, unknown>): ScanRef | undefined {
  if (node.type !== 'BASE_TABLE' || node.schema_name !== '' || node.catalog_name !== '') return undefined;
  const name = String(node.table_name);
  if (!relations.has(name)) return undefined;
  const alias = typeof node.alias === 'string' && node.alias !== '' ? node.alias : name;
  return { relation: name, ref: alias.toLowerCase(), alone: false };
}

function scansOf(from: Json | undefined, relations: ReadonlyMap<string, unknown>): ScanRef[] {
  if (!isNode(from)) return [];
  const single = baseTable(from, relations);
  if (single) return [{ ...single, alone: true }];
  const refs: ScanRef[] = [];
  const walk = (n: Json | undefined): void => {
    if (!isNode(n)) return;
    if (n.type === 'JOIN') {
      if (n.ref_type !== 'REGULAR' && n.ref_type !== 'CROSS') return; // ASOF, POSITIONAL, NATURAL, DEPENDENT: no skipping
      walk(n.left);
      walk(n.right);
      return;
    }
    const b = baseTable(n, relations);
    if (b) refs.push(b);
  };
  walk(from);
  return refs;
}

function conjuncts(where: Json | undefined): Node[] {
  if (!isNode(where)) return [];
  if (where.class === 'CONJUNCTION' && where.type === 'CONJUNCTION_AND' && Array.isArray(where.children)) {
    return where.children.flatMap((c) => conjuncts(c));
  }
  return [where];
}

function termsFor(where: Json | undefined, columns: readonly ScanColumn[], ref: string, alone: boolean, session: SessionSettings): Predicate {
  const literal = (n: Json | undefined, type: string) => literalOf(n, type, session);
  const column = (n: Json | undefined): ScanColumn | undefined => {
    if (!isNode(n) || n.class !== 'COLUMN_REF' || !Array.isArray(n.column_names)) return undefined;
    const names = n.column_names.map((x) => String(x).toLowerCase());
    let name: string;
    if (names.length === 1 && alone) name = names[0];
    else if (names.length === 2 && names[0] === ref) name = names[1];
    else return undefined;
    const matches = columns.filter((c) => c.name.toLowerCase() === name);
    return matches.length === 1 ? matches[0] : undefined;
  };
  const conditions = new Map<string, Record<string, DeltaValue | DeltaValue[] | boolean>>();
  const add = (col: ScanColumn, op: Op, value?: DeltaValue | DeltaValue[]): void => {
    if (!allowed(col.type, op)) return;
    const c = conditions.get(col.name) ?? {};
    if (op === 'isNull' || op === 'notNull') {
      if ('isNull' in c) return;
      c.isNull = op === 'isNull';
    } else {
      if (op in c) return; // a second bound of the same kind: keeping the first is enough
      c[op] = value as DeltaValue;
    }
    conditions.set(col.name, c);
  };
  for (const t of conjuncts(where)) {
    if (t.class === 'COMPARISON' && typeof t.type === 'string' && t.type in COMPARISONS) {
      const op = COMPARISONS[t.type];
      let col = column(t.left);
      let lit = t.right;
      let actual = op;
      if (!col) { col = column(t.right); lit = t.left; actual = FLIPPED[op]; }
      if (!col) continue;
      const value = literal(lit, col.type);
      if (value !== undefined) add(col, actual, value);
    } else if (t.class === 'BETWEEN') {
      const col = column(t.input);
      if (!col) continue;
      const lo = literal(t.lower, col.type);
      const hi = literal(t.upper, col.type);
      if (lo !== undefined) add(col, 'gte', lo);
      if (hi !== undefined) add(col, 'lte', hi);
    } else if (t.class === 'OPERATOR' && t.type === 'COMPARE_IN' && Array.isArray(t.children)) {
      const [first, ...rest] = t.children;
      const col = column(first);
      if (!col || rest.length === 0) continue;
      const values = rest.map((r) => literal(r, col.type));
      if (values.every((v) => v !== undefined)) add(col, 'in', values as DeltaValue[]);
    } else if (t.class === 'OPERATOR' && (t.type === 'OPERATOR_IS_NULL' || t.type === 'OPERATOR_IS_NOT_NULL') && Array.isArray(t.children)) {
      const col = column(t.children[0]);
      if (!col) continue;
      if (t.type === 'OPERATOR_IS_NOT_NULL') add(col, 'notNull');
      else if (alone) add(col, 'isNull'); // not null-rejecting: only when the relation is the whole FROM
    }
  }
  const predicate: Record<string, Condition> = {};
  for (const [name, c] of conditions) predicate[name] = c as Condition;
  return predicate;
}

function allowed(type: string, op: Op): boolean {
  if (type === 'float') return false;
  if (type === 'double') return op !== 'gt' && op !== 'gte';
  return true;
}

const INTEGER_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'HUGEINT', 'UHUGEINT', 'INTEGER_LITERAL']);
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * A literal as the canonical value of a column of Delta type `type`, when it converts exactly; else undefined.
 */
function literalOf(n: Json | undefined, type: string, session: SessionSettings): DeltaValue | undefined {
  if (!isNode(n)) return undefined;
  let cast: string | undefined;
  let node = n;
  if (n.class === 'CAST' && n.try_cast !== true && isNode(n.child) && isNode(n.cast_type)) {
    cast = String(n.cast_type.id);
    node = n.child;
  }
  if (node.class !== 'CONSTANT' || !isNode(node.value)) return undefined;
  const v = node.value;
  if (v.is_null === true || !isNode(v.type)) return undefined;
  const id = String(v.type.id);
  const raw = v.value;
  switch (type) {
    case 'long': case 'integer': case 'short': case 'byte': {
      if (cast !== undefined || !INTEGER_TYPES.has(id) || typeof raw !== 'number' || !Number.isSafeInteger(raw)) return undefined;
      return type === 'long' ? BigInt(raw) : raw;
    }
    case 'double': {
      if (cast !== undefined) return undefined;
      if (INTEGER_TYPES.has(id) && typeof raw === 'number' && Number.isSafeInteger(raw)) return raw;
      if (id === 'DOUBLE' && typeof raw === 'number' && Number.isFinite(raw)) return raw;
      if (id === 'DECIMAL' && typeof raw === 'number' && Number.isSafeInteger(raw) && isNode(v.type.type_info)) {
        const scale = Number(v.type.type_info.scale);
        const x = Number(`${raw}e-${scale}`);
        return Number.isFinite(x) ? x : undefined;
      }
      return undefined;
    }
    case 'string':
      if (session.defaultCollation !== '') return undefined; // e.g. nocase: 'FR' = 'fr' holds in DuckDB, not in the statistics' order
      return (cast === undefined || cast === 'VARCHAR') && id === 'VARCHAR' && typeof raw === 'string' ? raw : undefined;
    case 'boolean': {
      if (id === 'BOOLEAN' && typeof raw === 'boolean' && cast === undefined) return raw;
      if (cast === 'BOOLEAN' && id === 'VARCHAR' && typeof raw === 'string') {
        const s = raw.toLowerCase();
        return s === 't' || s === 'true' ? true : s === 'f' || s === 'false' ? false : undefined;
      }
      return undefined;
    }
    case 'date':
      return (cast === undefined || cast === 'DATE') && id === 'VARCHAR' && typeof raw === 'string' && ISO_DATE.test(raw) && validDate(raw) ? raw : undefined;
    case 'timestamp': {
      if (!(cast === undefined || cast === 'TIMESTAMP' || cast === 'TIMESTAMP WITH TIME ZONE' || cast === 'TIMESTAMP_TZ') || id !== 'VARCHAR' || typeof raw !== 'string') return undefined;
      return timestampMicros(raw, session.timeZone === 'UTC');
    }
    default:
      return undefined;
  }
}

function validDate(s: string): boolean {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** An ISO timestamp as microseconds since the epoch (without a zone only when the session's zone is UTC). */
function timestampMicros(s: string, utcSession: boolean): bigint | undefined {
  const m = ISO_TIMESTAMP.exec(s.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', sec = '00', frac = '', zone] = m;
  if (!zone && !utcSession) return undefined; // DuckDB reads it in the session's zone
  if (!validDate(`${y}-${mo}-${d}`) || Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) return undefined;
  let offsetMinutes = 0;
  if (zone && zone !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
    if (!z) return undefined;
    offsetMinutes = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3] ?? '0'));
  }
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec)) - offsetMinutes * 60_000;
  return BigInt(ms) * 1000n + BigInt(frac.padEnd(6, '0') || '0');
}
