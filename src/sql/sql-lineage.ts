/**
 * The field lineage of a `sql.transform` query, from its select list: each output column's input columns (a bare
 * column is IDENTITY, an aggregate AGGREGATION, any other expression TRANSFORMATION) and the columns that decide the
 * rows (WHERE and HAVING: FILTER, JOIN … ON: JOIN, GROUP BY: GROUP_BY). Parsed by the streaming SQL parser, after a
 * trailing ORDER BY / LIMIT is set aside (they change neither). A query it cannot parse, a subquery or window table
 * function in FROM, or a column it cannot place (an unqualified name with several candidate tables whose columns are
 * unknown, `*` over a table whose columns are unknown) gives no lineage: unknown, rather than a guess.
 * Strategy: 1. tables and aliases of FROM and JOINs; 2. each select item's columns; 3. the row-deciding clauses.
 * @example
 *   sqlFieldLineage('SELECT country, sum(amount) AS total FROM orders GROUP BY country', new Map([['orders', { collection: 'c3', columns: ['id', 'country', 'amount'] }]]));
 */
import type { FieldLineage, FieldOrigin } from '../model/index.ts';
import type { Expr, Select } from './streaming/ast.ts';
import { parseStreamingSql } from './streaming/index.ts';

/** A query input: its collection id and, when known, its column names. */
export interface LineageInput {
  readonly collection: string;
  readonly columns: readonly string[] | undefined;
}

const AGGREGATES = new Set(['sum', 'count', 'avg', 'min', 'max', 'any_value', 'arg_min', 'arg_max', 'string_agg', 'list', 'array_agg', 'median', 'mode', 'stddev', 'stddev_pop', 'stddev_samp', 'variance', 'var_pop', 'var_samp', 'first', 'last', 'bool_and', 'bool_or', 'approx_count_distinct']);

/** Lineage of `query` over `inputs` (table name → input), or undefined when it cannot be told for every column. */
export function sqlFieldLineage(query: string, inputs: ReadonlyMap<string, LineageInput>): FieldLineage | undefined {
  let select: Select;
  try {
    select = parseStreamingSql(withoutOrderAndLimit(query));
  } catch {
    return undefined;
  }
  // 1. tables by alias
  const tables = new Map<string, LineageInput>();
  for (const item of [select.from, ...select.joins.map((j) => j.item)]) {
    if (item.kind !== 'table') return undefined;
    const input = inputs.get(item.name);
    if (input === undefined) return undefined; // a table function or file read in the query: not a pipeline input
    tables.set(item.alias, input);
  }
  const place = (e: Extract<Expr, { kind: 'column' }>): LineageInput | undefined => {
    if (e.table !== undefined) return tables.get(e.table);
    const candidates = [...tables.values()].filter((t) => t.columns === undefined || t.columns.includes(e.name));
    const sure = candidates.filter((t) => t.columns !== undefined);
    return sure.length === 1 ? sure[0] : candidates.length === 1 ? candidates[0] : undefined;
  };
  let unplaced = false;
  const origins = (e: Expr | undefined, type: FieldOrigin['type'], subtype: string, out: FieldOrigin[] = []): FieldOrigin[] => {
    walk(e, (c) => {
      const t = place(c);
      if (t === undefined) unplaced = true;
      else if (!out.some((o) => o.collection === t.collection && o.field === c.name)) out.push({ collection: t.collection, field: c.name, type, subtype });
    });
    return out;
  };
  // 2. the select list
  const fields: Record<string, FieldOrigin[]> = {};
  for (const item of select.items) {
    if (item.kind === 'star') {
      const over = item.table === undefined ? [...tables.values()] : [tables.get(item.table)];
      for (const t of over) {
        if (t?.columns === undefined) return undefined;
        for (const column of t.columns) fields[column] ??= [{ collection: t.collection, field: column, type: 'DIRECT', subtype: 'IDENTITY' }];
      }
      continue;
    }
    const e = item.expr;
    const name = item.alias ?? (e.kind === 'column' ? e.name : item.text);
    const subtype = e.kind === 'column' ? 'IDENTITY' : hasAggregate(e) ? 'AGGREGATION' : 'TRANSFORMATION';
    fields[name] = origins(e, 'DIRECT', subtype);
  }
  // 3. the clauses that decide the rows
  const dataset: FieldOrigin[] = [];
  origins(select.where, 'INDIRECT', 'FILTER', dataset);
  for (const j of select.joins) origins(j.on, 'INDIRECT', 'JOIN', dataset);
  for (const g of select.groupBy) origins(g, 'INDIRECT', 'GROUP_BY', dataset);
  origins(select.having, 'INDIRECT', 'FILTER', dataset);
  if (unplaced) return undefined;
  return dataset.length > 0 ? { fields, dataset } : { fields };
}

/** The query without a trailing top-level `ORDER BY …` and `LIMIT n [OFFSET m]` (outside quotes and parentheses). */
function withoutOrderAndLimit(query: string): string {
  let depth = 0;
  let quote: string | undefined;
  let cut = query.length;
  const upper = query.toUpperCase();
  for (let i = 0; i < query.length; i++) {
    const ch = query[i]!;
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && /\s/.test(ch) && /^\s+(ORDER\s+BY|LIMIT)\b/.test(upper.slice(i))) {
      cut = i;
      break;
    }
  }
  return query.slice(0, cut).replace(/;\s*$/, '');
}

function hasAggregate(e: Expr): boolean {
  let found = false;
  visit(e, (x) => {
    if (x.kind === 'call' && (AGGREGATES.has(x.name.toLowerCase()) || x.star) && x.over === undefined) found = true;
  });
  return found;
}

function walk(e: Expr | undefined, onColumn: (c: Extract<Expr, { kind: 'column' }>) => void): void {
  if (e !== undefined) visit(e, (x) => { if (x.kind === 'column') onColumn(x); });
}

function visit(e: Expr, f: (x: Expr) => void): void {
  f(e);
  switch (e.kind) {
    case 'unary': case 'isNull': case 'cast': visit(e.arg, f); break;
    case 'binary': visit(e.left, f); visit(e.right, f); break;
    case 'between': visit(e.arg, f); visit(e.low, f); visit(e.high, f); break;
    case 'in': visit(e.arg, f); e.list.forEach((x) => visit(x, f)); break;
    case 'like': visit(e.arg, f); visit(e.pattern, f); break;
    case 'case':
      if (e.operand) visit(e.operand, f);
      for (const w of e.whens) { visit(w.when, f); visit(w.then, f); }
      if (e.otherwise) visit(e.otherwise, f);
      break;
    case 'call':
      e.args.forEach((x) => visit(x, f));
      if (e.filter) visit(e.filter, f);
      if (e.over) { e.over.partitionBy.forEach((x) => visit(x, f)); e.over.orderBy.forEach((o) => visit(o.expr, f)); }
      break;
    default: break;
  }
}
