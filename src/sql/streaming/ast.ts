/**
 * The parse tree of Riffle's streaming SQL subset (see ../README.md, "Streaming SQL"). Every node keeps `at`, its
 * offset in the query text, so that refusals and errors point at what the user wrote.
 */

export type Expr =
  | { readonly kind: 'literal'; readonly value: unknown; readonly at: number }
  | { readonly kind: 'interval'; readonly ms: number; readonly at: number }
  | { readonly kind: 'column'; readonly table: string | undefined; readonly name: string; readonly at: number }
  | { readonly kind: 'unary'; readonly op: 'not' | '-' | '+'; readonly arg: Expr; readonly at: number }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr; readonly at: number }
  | { readonly kind: 'isNull'; readonly arg: Expr; readonly negated: boolean; readonly at: number }
  | { readonly kind: 'between'; readonly arg: Expr; readonly low: Expr; readonly high: Expr; readonly negated: boolean; readonly at: number }
  | { readonly kind: 'in'; readonly arg: Expr; readonly list: readonly Expr[]; readonly negated: boolean; readonly at: number }
  | { readonly kind: 'like'; readonly arg: Expr; readonly pattern: Expr; readonly negated: boolean; readonly at: number }
  | { readonly kind: 'case'; readonly operand: Expr | undefined; readonly whens: readonly { readonly when: Expr; readonly then: Expr }[]; readonly otherwise: Expr | undefined; readonly at: number }
  | { readonly kind: 'cast'; readonly arg: Expr; readonly type: string; readonly at: number }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly Expr[]; readonly star: boolean; readonly distinct: boolean; readonly filter: Expr | undefined; readonly over?: Over; readonly at: number };

/** `OVER (PARTITION BY … ORDER BY … ROWS BETWEEN n PRECEDING AND CURRENT ROW)`: an aggregate over a row's last rows. */
export interface Over {
  readonly partitionBy: readonly Expr[];
  readonly orderBy: readonly { readonly expr: Expr; readonly desc: boolean }[];
  /** Rows before the current one in the frame (`ROWS n PRECEDING`). */
  readonly preceding: number;
  readonly at: number;
}

export type BinaryOp = 'or' | 'and' | '=' | '<>' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | '%' | '||';

export type SelectItem =
  | { readonly kind: 'star'; readonly table: string | undefined; readonly at: number }
  | { readonly kind: 'expr'; readonly expr: Expr; readonly alias: string | undefined; readonly text: string; readonly at: number };

/** A window table function: `TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '10' SECOND))` and HOP, SESSION. */
export interface WindowTvf {
  readonly fn: 'tumble' | 'hop' | 'session';
  readonly table: FromItem;
  readonly timeColumn: string;
  /** SESSION's PARTITION BY columns (sessions are per partition). */
  readonly partitionBy: readonly string[];
  /** tumble: [size]; hop: [slide, size]; session: [gap]. */
  readonly intervals: readonly number[];
  readonly at: number;
}

export type FromItem =
  | { readonly kind: 'table'; readonly name: string; readonly alias: string; readonly at: number }
  | { readonly kind: 'subquery'; readonly query: Select; readonly alias: string; readonly at: number }
  | { readonly kind: 'window'; readonly tvf: WindowTvf; readonly alias: string; readonly at: number };

export interface Join {
  readonly kind: 'inner' | 'left';
  readonly item: FromItem;
  readonly on: Expr | undefined;
  readonly at: number;
}

/** `EMIT` clause: when a windowed aggregate's panes fire. */
export interface Emit {
  /** Early firings every this many ms of processing time (`WITH DELAY`), if any. */
  readonly earlyDelayMs: number | undefined;
  /** Early firings every this many rows (`EVERY n ROWS`), if any. */
  readonly earlyRows: number | undefined;
  /** Late firings: `ALLOWED LATENESS` interval (each late row fires a pane). */
  readonly allowedLatenessMs: number | undefined;
  readonly at: number;
}

export interface Select {
  readonly distinct: boolean;
  readonly items: readonly SelectItem[];
  readonly from: FromItem;
  readonly joins: readonly Join[];
  readonly where: Expr | undefined;
  readonly groupBy: readonly Expr[];
  readonly having: Expr | undefined;
  readonly emit: Emit | undefined;
  readonly at: number;
}

/**
 * Whether the query uses what only streaming SQL has: a window table function, Beam's GROUP BY TUMBLE/HOP/SESSION,
 * or EMIT (then `sql.transform` compiles it even over bounded inputs: DuckDB does not know these spellings).
 */
export function usesStreamingSyntax(q: Select): boolean {
  const item = (f: FromItem): boolean => f.kind === 'window' || (f.kind === 'subquery' && usesStreamingSyntax(f.query));
  return q.emit !== undefined || item(q.from) || q.joins.some((j) => item(j.item))
    || q.groupBy.some((g) => g.kind === 'call' && (g.name === 'tumble' || g.name === 'hop' || g.name === 'session'));
}
