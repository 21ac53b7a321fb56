/**
 * Scalar expressions of the streaming SQL subset, compiled once into closures `(row, window) => value`.
 *
 * Values follow the DuckDB path's JS shapes (so both paths give equal rows): numbers (bigint when a value already is),
 * strings, booleans, null, Date for timestamps, 'YYYY-MM-DD' strings for dates. SQL's three-valued logic: a
 * comparison with NULL is NULL, a WHERE keeps rows whose condition is TRUE. `/` divides as DuckDB does (a DOUBLE;
 * NULL on division by zero); CAST to an integer type rounds half to even as DuckDB does.
 */
import { isIntervalWindow, type BoundedWindow } from '../../model/index.ts';
import { SqlError } from '../sql-error.ts';
import type { Expr } from './ast.ts';

export type Eval = (row: any, w: BoundedWindow) => unknown;
export type CallExpr = Extract<Expr, { kind: 'call' }>;
export type ColumnExpr = Extract<Expr, { kind: 'column' }>;

/** How names and grouped expressions resolve in one place of the query. */
export interface Resolver {
  /** A column reference (throws a SqlError naming it when unknown). */
  column(e: ColumnExpr): Eval;
  /** In an aggregate's output: a group key, an aggregate or a window bound that replaces the subtree, if any. */
  replace?(e: Expr): Eval | undefined;
  /** Where aggregates are not allowed, why (e.g. 'in WHERE'). */
  readonly noAggregates?: string;
}

export const AGGREGATES = new Set(['count', 'sum', 'avg', 'mean', 'min', 'max', 'arg_max', 'arg_min', 'max_by', 'min_by']);
/** Aggregates of two arguments (DuckDB's arg_max(arg, val) and its max_by spelling). */
export const TWO_ARG_AGGREGATES = new Set(['arg_max', 'arg_min', 'max_by', 'min_by']);

/** A grouped aggregate call (an aggregate with OVER is a window function, computed per row instead). */
export function isAggregateCall(e: Expr): e is CallExpr {
  return e.kind === 'call' && AGGREGATES.has(e.name) && e.over === undefined;
}
/** Beam SQL's window group functions and their bounds. */
export const WINDOW_GROUPS = new Set(['tumble', 'hop', 'session']);
export const WINDOW_BOUNDS: Readonly<Record<string, 'start' | 'end'>> = {
  tumble_start: 'start', tumble_end: 'end', hop_start: 'start', hop_end: 'end', session_start: 'start', session_end: 'end',
};

/** Window bound as a value: a Date (TIMESTAMP), as DuckDB gives TIMESTAMPTZ. */
export function windowBound(w: BoundedWindow, bound: 'start' | 'end' | 'time', sql: string, at: number): Date {
  if (!isIntervalWindow(w)) throw new SqlError('SQL_UNSUPPORTED', 'window_start/window_end read outside of a window (the rows are in the global window)', { sql, position: at });
  return new Date(bound === 'start' ? w.start : bound === 'end' ? w.end : w.end - 1);
}

/** Structural equality of two expressions (positions ignored): GROUP BY expressions are matched in SELECT this way. */
export function sameExpr(a: Expr, b: Expr): boolean {
  return exprKey(a) === exprKey(b);
}
/** An expression as text, positions left out (for matching and for sharing equal steps). */
export function exprKey(e: unknown): string {
  return JSON.stringify(e, dropAt);
}
function dropAt(key: string, value: unknown): unknown {
  return key === 'at' ? undefined : value;
}

/** Numbers and timestamps compare by value; null when either side is null. */
export function compare(a: unknown, b: unknown): number | null {
  if (a === null || a === undefined || b === null || b === undefined) return null;
  if (a instanceof Date) a = a.getTime();
  if (b instanceof Date) b = b.getTime();
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    if (typeof a === 'number' && !Number.isInteger(a)) return a < Number(b) ? -1 : a > Number(b) ? 1 : 0;
    if (typeof b === 'number' && !Number.isInteger(b)) return Number(a) < b ? -1 : Number(a) > b ? 1 : 0;
    const x = BigInt(a as bigint | number | string);
    const y = BigInt(b as bigint | number | string);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a !== typeof b) {
    if (typeof a === 'number' && typeof b === 'string' && b.trim() !== '' && Number.isFinite(Number(b))) b = Number(b);
    else if (typeof b === 'number' && typeof a === 'string' && a.trim() !== '' && Number.isFinite(Number(a))) a = Number(a);
    else throw new TypeError(`cannot compare ${typeof a} with ${typeof b}`);
  }
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

const isNull = (v: unknown): boolean => v === null || v === undefined;

function arith(op: string, a: unknown, b: unknown): unknown {
  if (isNull(a) || isNull(b)) return null;
  if (a instanceof Date || b instanceof Date) {
    const ms = (v: unknown) => (v instanceof Date ? v.getTime() : Number(v));
    if (op === '+' && !(a instanceof Date && b instanceof Date)) return new Date(ms(a) + ms(b));
    if (op === '-' && a instanceof Date && !(b instanceof Date)) return new Date(ms(a) - ms(b));
    if (op === '-' && a instanceof Date && b instanceof Date) return ms(a) - ms(b);
    throw new TypeError(`cannot apply ${op} to a timestamp`);
  }
  if (typeof a === 'bigint' && typeof b === 'bigint' && op !== '/') {
    if (op === '+') return a + b;
    if (op === '-') return a - b;
    if (op === '*') return a * b;
    return b === 0n ? null : a % b;
  }
  const x = Number(a);
  const y = Number(b);
  if (typeof a === 'string' || typeof b === 'string' || typeof a === 'boolean' || typeof b === 'boolean') throw new TypeError(`cannot apply ${op} to ${typeof a} and ${typeof b}`);
  switch (op) {
    case '+': return x + y;
    case '-': return x - y;
    case '*': return x * y;
    case '/': return y === 0 ? null : x / y;
    default: return y === 0 ? null : x % y;
  }
}

function truthy(v: unknown): boolean | null {
  if (isNull(v)) return null;
  if (typeof v === 'boolean') return v;
  throw new TypeError(`expected a boolean, got ${typeof v}`);
}

/** A SQL LIKE pattern as a regular expression (% any run, _ one character). */
function likeRegex(pattern: string): RegExp {
  let re = '';
  for (const ch of pattern) re += ch === '%' ? '[\\s\\S]*' : ch === '_' ? '[\\s\\S]' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${re}$`);
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}
function timestampText(d: Date): string {
  const ms = d.getUTCMilliseconds();
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${ms ? `.${pad(ms, 3)}` : ''}+00`;
}

/** DuckDB rounds DOUBLE → integer casts half to even (10.5 → 10, 99.5 → 100). */
function roundHalfEven(n: number): number {
  const f = Math.floor(n);
  const d = n - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function cast(v: unknown, type: string): unknown {
  if (isNull(v)) return null;
  switch (type) {
    case 'bigint': case 'int8': case 'long': case 'integer': case 'int': case 'int4': case 'smallint': case 'int2': case 'tinyint': case 'int1': {
      if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v;
      if (typeof v === 'boolean') return v ? 1 : 0;
      const n = typeof v === 'string' ? Number(v.trim()) : Number(v);
      if (typeof v === 'string' && (v.trim() === '' || !Number.isFinite(n) || !/^[+-]?\d+$/.test(v.trim()))) throw new TypeError(`could not convert string '${v}' to ${type.toUpperCase()}`);
      if (!Number.isFinite(n)) throw new TypeError(`could not convert ${String(v)} to ${type.toUpperCase()}`);
      return roundHalfEven(n);
    }
    case 'double': case 'float': case 'float8': case 'float4': case 'real': case 'decimal': case 'numeric': {
      if (typeof v === 'boolean') return v ? 1 : 0;
      const n = Number(typeof v === 'string' ? v.trim() : v);
      if (typeof v === 'string' && (v.trim() === '' || Number.isNaN(n))) throw new TypeError(`could not convert string '${v}' to ${type.toUpperCase()}`);
      return n;
    }
    case 'varchar': case 'string': case 'text': case 'char':
      return v instanceof Date ? timestampText(v) : String(v);
    case 'boolean': case 'bool':
      if (typeof v === 'boolean') return v;
      if (typeof v === 'number' || typeof v === 'bigint') return Number(v) !== 0;
      if (typeof v === 'string' && /^(true|t|1)$/i.test(v.trim())) return true;
      if (typeof v === 'string' && /^(false|f|0)$/i.test(v.trim())) return false;
      throw new TypeError(`could not convert '${String(v)}' to BOOLEAN`);
    case 'timestamp': case 'timestamptz': case 'datetime': {
      if (v instanceof Date) return v;
      if (typeof v === 'string') {
        const t = Date.parse(/[zZ]|[+-]\d\d(:?\d\d)?$/.test(v.trim()) ? v.trim().replace(' ', 'T') : `${v.trim().replace(' ', 'T')}Z`);
        if (Number.isNaN(t)) throw new TypeError(`could not convert string '${v}' to TIMESTAMP`);
        return new Date(t);
      }
      throw new TypeError(`could not convert ${typeof v} to TIMESTAMP (epoch milliseconds: epoch_ms(x))`);
    }
    case 'date': {
      const d = cast(v, 'timestamp') as Date;
      return d.toISOString().slice(0, 10);
    }
    default:
      throw new TypeError(`unknown type ${type.toUpperCase()}`);
  }
}

const EXTRACT: Readonly<Record<string, (d: Date) => number>> = {
  year: (d) => d.getUTCFullYear(), month: (d) => d.getUTCMonth() + 1, day: (d) => d.getUTCDate(), hour: (d) => d.getUTCHours(),
  minute: (d) => d.getUTCMinutes(), second: (d) => d.getUTCSeconds(), millisecond: (d) => d.getUTCSeconds() * 1000 + d.getUTCMilliseconds(),
  dow: (d) => d.getUTCDay(), doy: (d) => Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1, epoch: (d) => d.getTime() / 1000,
};

function asDate(v: unknown): Date {
  if (v instanceof Date) return v;
  if (typeof v === 'string') return cast(v, 'timestamp') as Date;
  throw new TypeError(`expected a timestamp, got ${typeof v}`);
}

/** Scalar functions: name → (arity check, implementation over evaluated arguments; NULL in gives NULL out unless noted). */
const SCALARS: Readonly<Record<string, { min: number; max: number; nullSafe?: boolean; fn: (a: unknown[]) => unknown }>> = {
  upper: { min: 1, max: 1, fn: (a) => String(a[0]).toUpperCase() },
  lower: { min: 1, max: 1, fn: (a) => String(a[0]).toLowerCase() },
  length: { min: 1, max: 1, fn: (a) => [...String(a[0])].length },
  char_length: { min: 1, max: 1, fn: (a) => [...String(a[0])].length },
  character_length: { min: 1, max: 1, fn: (a) => [...String(a[0])].length },
  substring: { min: 2, max: 3, fn: (a) => substring(String(a[0]), Number(a[1]), a[2] === undefined ? undefined : Number(a[2])) },
  substr: { min: 2, max: 3, fn: (a) => substring(String(a[0]), Number(a[1]), a[2] === undefined ? undefined : Number(a[2])) },
  trim: { min: 1, max: 2, fn: (a) => trimChars(String(a[0]), a[1] === undefined ? ' ' : String(a[1]), true, true) },
  ltrim: { min: 1, max: 2, fn: (a) => trimChars(String(a[0]), a[1] === undefined ? ' ' : String(a[1]), true, false) },
  rtrim: { min: 1, max: 2, fn: (a) => trimChars(String(a[0]), a[1] === undefined ? ' ' : String(a[1]), false, true) },
  replace: { min: 3, max: 3, fn: (a) => String(a[0]).split(String(a[1])).join(String(a[2])) },
  position: { min: 2, max: 2, fn: (a) => String(a[1]).indexOf(String(a[0])) + 1 },
  strpos: { min: 2, max: 2, fn: (a) => String(a[0]).indexOf(String(a[1])) + 1 },
  starts_with: { min: 2, max: 2, fn: (a) => String(a[0]).startsWith(String(a[1])) },
  split_part: { min: 3, max: 3, fn: (a) => { const parts = String(a[0]).split(String(a[1])); const i = Number(a[2]); return (i > 0 ? parts[i - 1] : parts[parts.length + i]) ?? ''; } },
  // Flink's SPLIT_INDEX(s, delimiter, index): 0-based, NULL past the end.
  split_index: { min: 3, max: 3, fn: (a) => String(a[0]).split(String(a[1]))[Number(a[2])] ?? null },
  regexp_extract: { min: 2, max: 3, fn: (a) => { const m = new RegExp(String(a[1])).exec(String(a[0])); return m ? (m[a[2] === undefined ? 0 : Number(a[2])] ?? '') : ''; } },
  regexp_matches: { min: 2, max: 2, fn: (a) => new RegExp(String(a[1])).test(String(a[0])) },
  concat: { min: 1, max: Infinity, nullSafe: true, fn: (a) => a.map((v) => (isNull(v) ? '' : v instanceof Date ? timestampText(v) : String(v))).join('') },
  abs: { min: 1, max: 1, fn: (a) => (typeof a[0] === 'bigint' ? (a[0] < 0n ? -a[0] : a[0]) : Math.abs(Number(a[0]))) },
  round: { min: 1, max: 2, fn: (a) => { const d = a[1] === undefined ? 0 : Number(a[1]); const f = 10 ** d; const x = Number(a[0]) * f; return (Math.sign(x) * Math.round(Math.abs(x))) / f; } },
  floor: { min: 1, max: 1, fn: (a) => Math.floor(Number(a[0])) },
  ceil: { min: 1, max: 1, fn: (a) => Math.ceil(Number(a[0])) },
  ceiling: { min: 1, max: 1, fn: (a) => Math.ceil(Number(a[0])) },
  mod: { min: 2, max: 2, fn: (a) => arith('%', a[0], a[1]) },
  power: { min: 2, max: 2, fn: (a) => Number(a[0]) ** Number(a[1]) },
  pow: { min: 2, max: 2, fn: (a) => Number(a[0]) ** Number(a[1]) },
  sqrt: { min: 1, max: 1, fn: (a) => Math.sqrt(Number(a[0])) },
  coalesce: { min: 1, max: Infinity, nullSafe: true, fn: (a) => a.find((v) => !isNull(v)) ?? null },
  ifnull: { min: 2, max: 2, nullSafe: true, fn: (a) => (isNull(a[0]) ? (a[1] ?? null) : a[0]) },
  nullif: { min: 2, max: 2, nullSafe: true, fn: (a) => (compare(a[0], a[1]) === 0 ? null : (a[0] ?? null)) },
  greatest: { min: 1, max: Infinity, nullSafe: true, fn: (a) => a.reduce((m: unknown, v) => (isNull(v) ? m : isNull(m) || compare(v, m)! > 0 ? v : m), null) },
  least: { min: 1, max: Infinity, nullSafe: true, fn: (a) => a.reduce((m: unknown, v) => (isNull(v) ? m : isNull(m) || compare(v, m)! < 0 ? v : m), null) },
  extract: { min: 2, max: 2, fn: (a) => { const f = EXTRACT[String(a[0])]; if (!f) throw new TypeError(`unknown date part '${String(a[0])}'`); return f(asDate(a[1])); } },
  date_part: { min: 2, max: 2, fn: (a) => { const f = EXTRACT[String(a[0]).toLowerCase()]; if (!f) throw new TypeError(`unknown date part '${String(a[0])}'`); return f(asDate(a[1])); } },
  // DuckDB: epoch_ms(integer) is a timestamp; epoch_ms(timestamp) the integer.
  epoch_ms: { min: 1, max: 1, fn: (a) => (a[0] instanceof Date ? a[0].getTime() : new Date(Number(a[0]))) },
  to_timestamp: { min: 1, max: 1, fn: (a) => new Date(Number(a[0]) * 1000) },
};

function substring(s: string, start: number, length: number | undefined): string {
  const chars = [...s];
  // SQL positions are 1-based; a start before 1 eats into the length, as DuckDB and Postgres do.
  let from = start - 1;
  let end = length === undefined ? chars.length : from + length;
  if (from < 0) from = 0;
  if (end < from) end = from;
  return chars.slice(from, end).join('');
}

function trimChars(s: string, chars: string, left: boolean, right: boolean): string {
  let a = 0;
  let b = s.length;
  while (left && a < b && chars.includes(s[a]!)) a++;
  while (right && b > a && chars.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

/**
 * Compiles an expression against a resolver. Errors in the query (unknown function, wrong arity, an aggregate where
 * none may be) are SqlErrors at the expression's position; errors in the data (a failed CAST) throw when evaluated.
 */
export function compileExpr(e: Expr, r: Resolver, sql: string): Eval {
  const replaced = r.replace?.(e);
  if (replaced) return replaced;
  const c = (x: Expr): Eval => compileExpr(x, r, sql);
  switch (e.kind) {
    case 'literal': { const v = e.value; return () => v; }
    case 'interval': { const v = e.ms; return () => v; }
    case 'column': return r.column(e);
    case 'unary': {
      const a = c(e.arg);
      if (e.op === 'not') return (row, w) => { const v = truthy(a(row, w)); return v === null ? null : !v; };
      if (e.op === '-') return (row, w) => { const v = a(row, w); return isNull(v) ? null : typeof v === 'bigint' ? -v : -Number(v); };
      return a;
    }
    case 'binary': {
      const a = c(e.left);
      const b = c(e.right);
      switch (e.op) {
        case 'and': return (row, w) => { const x = truthy(a(row, w)); if (x === false) return false; const y = truthy(b(row, w)); return y === false ? false : x === null || y === null ? null : true; };
        case 'or': return (row, w) => { const x = truthy(a(row, w)); if (x === true) return true; const y = truthy(b(row, w)); return y === true ? true : x === null || y === null ? null : false; };
        case '=': return (row, w) => { const k = compare(a(row, w), b(row, w)); return k === null ? null : k === 0; };
        case '<>': return (row, w) => { const k = compare(a(row, w), b(row, w)); return k === null ? null : k !== 0; };
        case '<': return (row, w) => { const k = compare(a(row, w), b(row, w)); return k === null ? null : k < 0; };
        case '<=': return (row, w) => { const k = compare(a(row, w), b(row, w)); return k === null ? null : k <= 0; };
        case '>': return (row, w) => { const k = compare(a(row, w), b(row, w)); return k === null ? null : k > 0; };
        case '>=': return (row, w) => { const k = compare(a(row, w), b(row, w)); return k === null ? null : k >= 0; };
        case '||': return (row, w) => { const x = a(row, w); const y = b(row, w); return isNull(x) || isNull(y) ? null : String(x) + String(y); };
        default: { const op = e.op; return (row, w) => arith(op, a(row, w), b(row, w)); }
      }
    }
    case 'isNull': { const a = c(e.arg); const neg = e.negated; return (row, w) => isNull(a(row, w)) !== neg; }
    case 'between': {
      const a = c(e.arg); const lo = c(e.low); const hi = c(e.high); const neg = e.negated;
      return (row, w) => {
        const v = a(row, w);
        const x = compare(v, lo(row, w));
        const y = compare(v, hi(row, w));
        if (x === null || y === null) return x !== null && x < 0 ? neg : y !== null && y > 0 ? neg : null;
        return (x >= 0 && y <= 0) !== neg;
      };
    }
    case 'in': {
      const a = c(e.arg); const list = e.list.map(c); const neg = e.negated;
      return (row, w) => {
        const v = a(row, w);
        if (isNull(v)) return null;
        let sawNull = false;
        for (const f of list) { const k = compare(v, f(row, w)); if (k === 0) return !neg; if (k === null) sawNull = true; }
        return sawNull ? null : neg;
      };
    }
    case 'like': {
      const a = c(e.arg); const neg = e.negated;
      if (e.pattern.kind === 'literal' && typeof e.pattern.value === 'string') {
        const re = likeRegex(e.pattern.value);
        return (row, w) => { const v = a(row, w); return isNull(v) ? null : re.test(String(v)) !== neg; };
      }
      const pat = c(e.pattern);
      return (row, w) => { const v = a(row, w); const q = pat(row, w); return isNull(v) || isNull(q) ? null : likeRegex(String(q)).test(String(v)) !== neg; };
    }
    case 'case': {
      const op = e.operand ? c(e.operand) : undefined;
      const whens = e.whens.map((x) => ({ when: c(x.when), then: c(x.then) }));
      const otherwise = e.otherwise ? c(e.otherwise) : () => null;
      return (row, w) => {
        const v = op?.(row, w);
        for (const x of whens) {
          const hit = op ? compare(v, x.when(row, w)) === 0 : truthy(x.when(row, w)) === true;
          if (hit) return x.then(row, w);
        }
        return otherwise(row, w);
      };
    }
    case 'cast': {
      const a = c(e.arg);
      const type = e.type;
      try { cast(null, type); cast('1', type === 'date' || type.startsWith('timestamp') || type === 'datetime' ? 'varchar' : type); } catch {
        throw new SqlError('SQL_UNSUPPORTED', `CAST to ${type.toUpperCase()} is not supported by streaming SQL`, { sql, position: e.at, hint: 'types: BIGINT, INTEGER, DOUBLE, DECIMAL, VARCHAR, BOOLEAN, TIMESTAMP, DATE' });
      }
      return (row, w) => cast(a(row, w), type);
    }
    case 'call': {
      if (e.over !== undefined) {
        throw new SqlError('SQL_UNSUPPORTED', 'a window function (OVER) is only allowed in the SELECT list of a query without GROUP BY or DISTINCT', { sql, position: e.at });
      }
      if (AGGREGATES.has(e.name)) {
        throw new SqlError('SQL_UNSUPPORTED', `the aggregate ${e.name.toUpperCase()}() ${r.noAggregates ?? 'is not allowed here'}`, { sql, position: e.at });
      }
      if (WINDOW_GROUPS.has(e.name) || e.name in WINDOW_BOUNDS) {
        throw new SqlError('SQL_UNSUPPORTED', `${e.name.toUpperCase()}(…) is only allowed in GROUP BY (Beam SQL's TUMBLE/HOP/SESSION) and, for TUMBLE_START/…_END, in the SELECT of that grouped query`, { sql, position: e.at });
      }
      const f = SCALARS[e.name];
      if (f === undefined) {
        throw new SqlError('SQL_UNKNOWN_FUNCTION', `unknown function ${e.name}()`, { sql, position: e.at, hint: `streaming SQL functions: ${Object.keys(SCALARS).join(', ')}; aggregates: ${[...AGGREGATES].join(', ')}` });
      }
      if (e.star || e.distinct || e.filter) throw new SqlError('SQL_SYNTAX', `${e.name}() takes no *, DISTINCT or FILTER`, { sql, position: e.at });
      if (e.name === 'extract' && e.args[0]?.kind === 'literal' && !(String(e.args[0].value) in EXTRACT)) {
        throw new SqlError('SQL_UNSUPPORTED', `EXTRACT(${String(e.args[0].value).toUpperCase()} FROM …) is not supported by streaming SQL`, { sql, position: e.at, hint: `date parts: ${Object.keys(EXTRACT).join(', ')}` });
      }
      if (e.args.length < f.min || e.args.length > f.max) {
        throw new SqlError('SQL_SYNTAX', `${e.name}() takes ${f.min === f.max ? f.min : `${f.min} to ${f.max === Infinity ? 'any number of' : f.max}`} arguments, got ${e.args.length}`, { sql, position: e.at });
      }
      const args = e.args.map(c);
      const { fn, nullSafe } = f;
      return (row, w) => {
        const vals = args.map((a) => a(row, w));
        if (!nullSafe && vals.some(isNull)) return null;
        return fn(vals);
      };
    }
  }
}

/**
 * compileExpr, with errors in the data (a failed CAST, a string compared with a number, SUM of strings) reported as
 * SqlErrors that point at the expression in the query.
 */
export function compileGuarded(e: Expr, r: Resolver, sql: string): Eval {
  const f = compileExpr(e, r, sql);
  let at = e.at; // where the expression starts (a binary node's own position is its operator's)
  walk(e, (x) => { if (x.at < at) at = x.at; });
  return (row, w) => {
    try {
      return f(row, w);
    } catch (x) {
      if (!(x instanceof TypeError)) throw x;
      throw new SqlError('SQL_TYPE', x.message, { sql, position: at, hint: 'CAST the value to the type the expression needs, or filter such rows out first' });
    }
  };
}

/** Whether the expression calls an aggregate (outside of nested subqueries, which the subset has none of). */
export function hasAggregate(e: Expr): boolean {
  let found = false;
  walk(e, (x) => { if (isAggregateCall(x)) found = true; });
  return found;
}

/** Visits every node of an expression. */
export function walk(e: Expr, visit: (e: Expr) => void): void {
  visit(e);
  switch (e.kind) {
    case 'unary': case 'isNull': case 'cast': walk(e.arg, visit); break;
    case 'binary': walk(e.left, visit); walk(e.right, visit); break;
    case 'between': walk(e.arg, visit); walk(e.low, visit); walk(e.high, visit); break;
    case 'in': walk(e.arg, visit); e.list.forEach((x) => walk(x, visit)); break;
    case 'like': walk(e.arg, visit); walk(e.pattern, visit); break;
    case 'case': if (e.operand) walk(e.operand, visit); e.whens.forEach((x) => { walk(x.when, visit); walk(x.then, visit); }); if (e.otherwise) walk(e.otherwise, visit); break;
    case 'call':
      e.args.forEach((x) => walk(x, visit));
      if (e.filter) walk(e.filter, visit);
      if (e.over) { e.over.partitionBy.forEach((x) => walk(x, visit)); e.over.orderBy.forEach((x) => walk(x.expr, visit)); }
      break;
    default:
  }
}

/** Evaluates as a WHERE/HAVING/ON condition: TRUE keeps the row. */
export function predicate(f: Eval): (row: any, w: BoundedWindow) => boolean {
  return (row, w) => f(row, w) === true;
}

/**
 * A grouping or join key as a string that is equal for equal SQL values (numbers and bigints of the same value,
 * timestamps by instant); null keys are `undefined` (they match nothing).
 */
export function keyOf(values: readonly unknown[]): string | undefined {
  let out = '';
  for (const v of values) {
    if (isNull(v)) return undefined;
    out += keyPart(v);
  }
  return out;
}
/**
 * One join key value as a Map key: numbers (and bigints within 2^53, and timestamps by instant) as numbers, strings
 * and booleans as themselves; null matches nothing (undefined).
 */
export function singleKey(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : keyPart(v);
  return keyPart(v);
}
export function keyPart(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'bigint') return `n${String(v)}|`;
  if (typeof v === 'string') return `s${v.length}:${v}`;
  if (typeof v === 'boolean') return v ? 'T|' : 'F|';
  if (v instanceof Date) return `n${v.getTime()}|`;
  return `j${JSON.stringify(v)}|`;
}
