/**
 * What the planner passes around: a relation (the rows of a FROM item, a join or a subquery, with what is known of
 * their columns and windows) and the planner's name resolution, which the join planner shares.
 */
import type { PCollection } from '../../model/index.ts';
import type { SqlError } from '../sql-error.ts';
import type { Expr } from './ast.ts';
import type { ColumnExpr, Resolver } from './expressions.ts';

/** One FROM item inside a relation. */
export interface Entry {
  readonly alias: string;
  /** Known column names (declared schema or a subquery's SELECT list); undefined when unknown. */
  readonly columns: readonly string[] | undefined;
  /** window_start/window_end/window_time are virtual (the rows come from a window table function). */
  readonly windowColumns: boolean;
  /** Real columns that hold a window bound (a subquery selected window_start AS x). */
  readonly boundColumns: ReadonlyMap<string, 'start' | 'end' | 'time'>;
  /**
   * The bound columns are not in the rows but read from the element's window (a subquery's rows keep their window:
   * no Date per row and column for what only the window join and grouping need).
   */
  readonly boundsVirtual?: boolean;
}

export interface Relation {
  readonly pc: PCollection<any>;
  readonly entries: readonly Entry[];
  /** Rows are arrays, one object per entry (after a join). */
  readonly tuple: boolean;
  /** The windowing comes from a window function of this query (GROUP BY must then name window_start/window_end). */
  readonly sqlWindowed: boolean;
  /** One row per window (an aggregate grouped by the window only). */
  readonly perWindow: boolean;
  /**
   * Rows of a SESSION table function: sessions exist only once grouped (merged per key), so these rows must be
   * grouped by exactly these partition columns.
   */
  readonly sessionPartition?: readonly string[];
  /**
   * Rows of an interval join, windowed by one side's rows: a GROUP BY must include these (that side's join keys), so
   * that each group is one row's matches.
   */
  readonly intervalKeys?: readonly Expr[];
  /** The rows' event time is their window's window_time (an aggregate's results): they can be windowed again by it. */
  readonly timedByWindow?: boolean;
}

/** The virtual window columns and the bound each reads. */
export const VIRTUAL = new Map<string, 'start' | 'end' | 'time'>([['window_start', 'start'], ['window_end', 'end'], ['window_time', 'time']]);

/** The planner's naming and resolution, for the parts of the plan in other files. */
export interface PlanScope {
  readonly sql: string;
  /** A unique step name. */
  name(what: string): string;
  err(code: 'SQL_UNSUPPORTED' | 'SQL_UNKNOWN_TABLE' | 'SQL_UNKNOWN_COLUMN' | 'SQL_SYNTAX', message: string, at: number, hint?: string): SqlError;
  /** Which entry of the relation a column reference names (throws a SqlError naming it when none or ambiguous). */
  resolveEntry(rel: Relation, e: ColumnExpr): number;
  rowResolver(rel: Relation, noAggregates: string): Resolver;
  /** The window bound a column reference stands for, if any. */
  boundOf(rel: Relation, e: Expr): 'start' | 'end' | 'time' | undefined;
  /** A declared column's own spelling. */
  spelling(entry: Entry, written: string): string;
}
